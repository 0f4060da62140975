"""What an alert says (bot.core.alert_buffer): coaches read names, days and what to do, never ids
or jargon; a batch stays inside Discord's embed limits."""

from __future__ import annotations

import datetime as dt

from helpers import utc

from bot.core.alert_buffer import dead_alert, failed_alert, render
from bot.core.delivery import PermanentDeliveryError, TransientDeliveryError
from bot.core.engine import ActionKind, NotYet
from bot.domain.models import ClientProfile, Job

DAY = dt.date(2026, 12, 1)  # a Tuesday
USER = 1577230343147094028  # the id of issue 13
MENTION = f"<@{USER}>"


def job(user_id: int | None = USER, attempts: int = 4, **extra: object) -> Job:
    values: dict[str, object] = {
        "id": 1,
        "engine": "e",
        "action": "drop",
        "user_id": user_id,
        "local_date": DAY,
        "due_at": utc(2026, 12, 1, 5, 30),
        "deadline": utc(2026, 12, 1, 12),
        "status": "running",
        "attempts": attempts,
        "next_attempt_at": utc(2026, 12, 1, 6, 5),
        "started_at": utc(2026, 12, 1, 5, 30),
        "created_at": utc(2026, 11, 30),
        **extra,
    }
    return Job(**values)  # type: ignore[arg-type]


def client(name: str = "Sam") -> ClientProfile:
    return ClientProfile(user_id=USER, display_name=name, timezone="UTC", start_date=DAY)


def dead(the_job: Job, who: ClientProfile | None, exc: Exception | None, **extra: object) -> str:
    values: dict[str, object] = {
        "label": "check-in",
        "kind": ActionKind.drop,
        "exc": exc,
        "now": utc(2026, 12, 1, 6, 5),
        "can_trigger": True,
        **extra,
    }
    return dead_alert(the_job, who, **values)  # type: ignore[arg-type]


def test_a_dead_drop_names_the_client_the_day_the_cause_and_what_to_do() -> None:
    text = dead(job(), client(), TransientDeliveryError("500 0: 500: Internal Server Error"))
    assert text == (
        f"**Sam** ({MENTION}) — Tuesday 01 December's check-in could not be delivered: Discord kept "
        "answering with a server error (4 tries over 35 minutes). It will not be retried; send it "
        "with /trigger if it still matters today."
    )


def test_the_cause_and_the_advice_follow_what_happened() -> None:
    closed = dead(job(), client(), TransientDeliveryError("429 0: slow down"), can_trigger=False,
                  now=utc(2026, 12, 1, 12, 5))  # fmt: skip
    assert "Discord kept telling the bot to slow down" in closed and "it has closed" in closed
    once = dead(job(attempts=1), client(), TransientDeliveryError("TimeoutError: "))
    assert "the bot failed to reach Discord (1 try)" in once
    waiting = dead(job(), client(), NotYet("the day's drop is still being sent"), kind=ActionKind.mark,
                   label="check-in closes", can_trigger=False)  # fmt: skip
    assert (
        "the “check-in closes” step of Tuesday 01 December did not go through: it was still waiting"
        in waiting
    )
    assert waiting.endswith("It will not be retried.")
    crashed = dead(job(), client(), KeyError("x"))
    assert "ran into an error of its own" in crashed and "KeyError" not in crashed
    died = dead(job(attempts=5, started_at=utc(2026, 12, 1, 4, 50)), client(), None)
    assert "the bot stopped before it could finish, every time (5 tries over 1 hour 15 minutes)" in died


def test_no_raw_id_outside_the_mention_and_names_stay_literal() -> None:
    unnamed = dead(job(), client(""), TransientDeliveryError("503 0: Service Unavailable"))
    assert unnamed.startswith(f"{MENTION} — Tuesday 01 December's check-in")
    removed = dead(job(), None, TransientDeliveryError("503"), can_trigger=False)
    assert removed.startswith("A client no longer on the roster — ") and str(USER) not in removed
    marked_up = dead(job(), client("*Jo_ `x`*"), TransientDeliveryError("503"))
    assert marked_up.startswith(rf"**\*Jo\_ \`x\`\*** ({MENTION})")
    for text in (unnamed, removed, marked_up):
        assert str(USER) not in text.replace(MENTION, "")


def test_a_job_for_everyone_says_what_it_was() -> None:
    scan = dead(job(user_id=None), None, TransientDeliveryError("502 0: Bad Gateway"),
                kind=ActionKind.scan, label="weekly flag scan", can_trigger=False)  # fmt: skip
    assert scan.startswith("The weekly flag scan of Tuesday 01 December could not be posted: Discord kept")
    assert "None" not in scan and "<@" not in scan


def test_a_permanent_failure_says_what_it_means() -> None:
    refused = failed_alert(job(attempts=1), client(), label="check-in", kind=ActionKind.drop,
                           exc=PermanentDeliveryError("400 50035: Invalid Form Body"))  # fmt: skip
    assert refused.startswith(
        f"**Sam** ({MENTION}) — Tuesday 01 December's check-in could not be delivered: "
    )
    assert "refused the message as invalid" in refused and "fault in the bot" in refused
    assert "50035" not in refused
    forbidden = failed_alert(
        job(user_id=None, attempts=1),
        None,
        label="weekly flag scan",
        kind=ActionKind.scan,
        exc=PermanentDeliveryError("403 50001: Missing Access"),
    )
    assert forbidden.startswith("The weekly flag scan of Tuesday 01 December could not be posted")
    assert "permissions" in forbidden


def test_a_batch_fits_one_embed_and_the_rest_waits_for_the_next() -> None:
    long = dead(job(), client("N" * 80), TransientDeliveryError("503")) + " x" * 500
    rows = [{"id": i, "kind": "job_dead", "message": long} for i in range(20)]
    message, ids = render(rows)
    [embed] = message.embeds
    assert len(embed.description) <= 4096 and 0 < len(ids) < 20
    assert embed.title == f"{len(ids)} delivery alerts"
    lines = embed.description.split("\n")
    assert len(lines) == len(ids) and all(len(line) <= 900 and line.startswith("• **") for line in lines)
    assert "job_dead" not in embed.description and "`" not in embed.description
    _, more = render(rows[len(ids) :])
    assert more and more[0] == len(ids)
