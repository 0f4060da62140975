"""The weekly check-in: on the client's check-in weekday (REVIEW_WEEKDAY, or the coach's choice
for them) at REVIEW_AT local time, a DM shows the week in numbers and asks how the week went, in
two forms. The first: the waist (and up to two other measurements the coach chose) in the
client's unit, the week rated 1-5 and a few words on wins and struggles. The second, offered once
the first is in: up to three progress photos (front, side, back) and the coach's third and fourth
measurements. It is due by REVIEW_DEADLINE_AT the next day (REVIEW_DEADLINE_DAYS); otherwise it
is missed, and it counts in compliance and flags like the daily engines.

A check-in sent in is a card for the client's coach, "weekly check-in to review", announced in
the coaches' channel (and by DM to a coach who asked for them) with two buttons: one shows the
answers, the numbers and a side-by-side of the photos against the previous and the first
check-in's, only to a coach the scope rule lets act on the client; the other opens a form whose
answer goes to the client on the private line (the notes engine) and resolves the card."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import asyncpg

from bot.config import Settings
from bot.core.clock import Clock
from bot.core.delivery import PermanentDeliveryError, RecipientUnreachable
from bot.core.engine import ActionKind, ActionSpec, ComplianceSource, Engine, JobContext, Outcome
from bot.domain import measurements as lengths
from bot.domain import photos, team, week_numbers
from bot.domain.eligibility import IsWeekday
from bot.domain.errors import InputError
from bot.domain.inputs import number, text
from bot.domain.models import ClientProfile, DailyDrop, Unit
from bot.engines import lifecycle, notes, weekly_progress
from bot.repo import cards, clients, coaches
from bot.repo import jobs as jobs_repo
from bot.repo import week_numbers as week_numbers_repo
from bot.repo import weekly as repo
from bot.repo.drops import drops_of, open_drop
from bot.views import custom_ids
from bot.views.messages import Button, ButtonStyle, Embed, EmbedField, OutgoingMessage
from bot.views.notes import NOTE_LIMIT

NAME = "weekly"
OPEN_ID = custom_ids.REVIEW_OPEN
FORM_ID = custom_ids.REVIEW_FORM
PHOTOS_ID = custom_ids.REVIEW_PHOTOS
PHOTOS_FORM_ID = custom_ids.REVIEW_PHOTOS_FORM
SEE_ID = custom_ids.REVIEW_SEE
ANSWER_ID = custom_ids.REVIEW_ANSWER
ANSWER_FORM_ID = custom_ids.REVIEW_ANSWER_FORM
ANNOUNCE = "announce"
CARD_KIND = "weekly_review"
STORY_LIMIT = 1000
FIRST_FORM_MEASUREMENTS = 2  # besides the waist: a modal holds five questions


def asked_in_forms(chosen: Sequence[str]) -> tuple[list[str], list[str]]:
    """The measurements besides the waist the first form asks, and those the photos form asks."""
    extras = [name for name in chosen if name in lengths.OPTIONAL][: lengths.MAX_OPTIONAL]
    return extras[:FIRST_FORM_MEASUREMENTS], extras[FIRST_FORM_MEASUREMENTS:]


def _snapshot_for(settings: Settings, numbers: list[str] | None = None):  # type: ignore[no-untyped-def]
    async def snapshot(
        conn: asyncpg.Connection, profile: ClientProfile, day: dt.date, now: dt.datetime
    ) -> tuple[DailyDrop, bool] | str:
        deadline = lifecycle.deadline_of(
            profile, day, settings.review_deadline_at, settings.review_deadline_days
        )
        content = {
            "closes": f"{settings.review_deadline_at:%H:%M}",
            "closes_on": (day + dt.timedelta(days=settings.review_deadline_days)).isoformat(),
            "unit": str(profile.unit),
            # Asked as the coach had chosen when it was sent: a change mid-week waits for next week.
            "measurements": list(profile.review_measurements),
            "numbers": numbers or [],
        }
        return await open_drop(conn, profile.user_id, day, NAME, content, deadline, now)

    return snapshot


async def render(
    conn: asyncpg.Connection, drop: DailyDrop, profile: ClientProfile, closed: bool, fresh: bool = False
) -> list[OutgoingMessage]:
    if fresh:
        return [message(drop, None, closed)]
    answer = await repo.of_drop(conn, drop.id)
    poses = await repo.poses_of(conn, drop.user_id, drop.local_date)
    return [message(drop, answer, closed, poses)]


def _measured(answer: Mapping[str, Any], unit: str) -> list[str]:
    out = [f"waist {answer['waist_typed']} {unit}"] if answer.get("waist_typed") else []
    for name, value in sorted(repo.measurements_of(answer).items(), key=_order):
        out.append(f"{name} {value['typed']} {unit}")
    return out


def _order(item: tuple[str, Any]) -> int:
    return list(lengths.MEASUREMENTS).index(item[0]) if item[0] in lengths.MEASUREMENTS else 99


def message(
    drop: DailyDrop,
    answer: Mapping[str, Any] | None,
    closed: bool,
    poses: set[str] | frozenset[str] = frozenset(),
) -> OutgoingMessage:
    closes_on = dt.date.fromisoformat(drop.content["closes_on"])
    unit = lengths.length_unit(drop.content["unit"])
    first, later = asked_in_forms(drop.content.get("measurements", []))
    named = ["your waist", *first]
    asked = named[0] if len(named) == 1 else f"{', '.join(named[:-1])} and {named[-1]}"
    lines = [
        f"How did your week go? {asked.capitalize()}, the week rated 1 to 5 and a few words on your "
        "wins and struggles; then, if you like, progress photos (front, side, back)"
        f"{' and your ' + ' and '.join(later) if later else ''}. Your coach reads them beside last week's."
    ]
    numbers = drop.content.get("numbers")
    if numbers:
        lines.insert(0, "**Your week in numbers**\n" + "\n".join(numbers))
    done = answer is not None and answer["status"] == "submitted"
    if done:
        assert answer is not None
        rated = f"week {answer['rating']}/5"
        lines.append(f"✅ {' · '.join([*_measured(answer, unit), rated])}")
        if answer["story"]:
            lines.append(f"_{answer['story'][:500]}_")
        if poses:
            lines.append(f"📷 {', '.join(p for p in photos.POSES if p in poses)}")
    elif closed:
        lines.append("❌ missed")
    footer = (
        f"Closed {closes_on:%A %d %B} at {drop.content['closes']}."
        if closed
        else f"Send it by {closes_on:%A %d %B} at {drop.content['closes']}."
    )
    embed = Embed(
        title=f"Weekly check-in — {drop.local_date:%A %d %B}",
        description="\n\n".join(lines),
        footer=footer,
        color=0x7F8C8D if closed else 0x16A085,
    )
    buttons = [
        Button(
            "Edit check-in" if done else "Weekly check-in",
            OPEN_ID.format(user_id=drop.user_id, day=drop.local_date),
            ButtonStyle.success if done else ButtonStyle.primary,
            disabled=closed,
        )
    ]
    if done:
        buttons.append(
            Button(
                "Change photos" if poses else "Add photos",
                PHOTOS_ID.format(user_id=drop.user_id, day=drop.local_date),
                ButtonStyle.secondary,
                disabled=closed,
            )
        )
    return OutgoingMessage(embeds=(embed,), rows=(tuple(buttons),))


# --- the first form


@dataclass(frozen=True)
class Answers:
    waist_cm: float | None
    waist_typed: str | None
    rating: int
    story: str | None
    measurements: dict[str, dict[str, Any]]


def measurement_field(name: str) -> str:
    """A measurement's input custom_id in a form ("m-hips")."""
    return f"m-{name}"


def _measurements(
    values: Mapping[str, str], names: Sequence[str], unit: Unit, problems: list[str]
) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for name in names:
        found = lengths.parse(values.get(measurement_field(name), ""), name, unit, problems)
        if found is not None:
            out[name] = {"cm": found[0], "typed": found[1]}
    return out


def parse(values: Mapping[str, str], unit: Unit, extras: Sequence[str] = ()) -> Answers:
    """The first form's answers; every problem named (InputError), nothing written."""
    problems: list[str] = []
    waist = lengths.parse(values.get("waist", ""), lengths.WAIST, unit, problems)
    measured = _measurements(values, extras, unit, problems)
    rating = number(values.get("rating", ""), "how the week went", problems, low=1, high=5, whole=True)
    story = text(values.get("story"), "wins and struggles", problems, limit=STORY_LIMIT)
    if problems:
        raise InputError(problems)
    assert rating is not None
    return Answers(
        None if waist is None else waist[0], None if waist is None else waist[1], int(rating), story, measured
    )


@dataclass(frozen=True)
class Submitted:
    drop: DailyDrop
    answers: Answers
    messages: list[OutgoingMessage]


Wake = Callable[[dt.datetime], None]


def card_scope(day: dt.date) -> str:
    return day.isoformat()


def card_summary(profile: ClientProfile, day: dt.date, answers: Answers) -> str:
    return f"Weekly check-in of {day:%A %d %B} to review: week {answers.rating}/5"


async def submit(
    pool: asyncpg.Pool,
    clock: Clock,
    *,
    user_id: int,
    day: dt.date,
    values: Mapping[str, str],
    wake: Wake | None = None,
) -> Submitted:
    """The first form. The first time it comes in, the coach's card is raised and its announcement
    queued, in the same transaction."""
    async with pool.acquire() as conn:
        profile = await clients.get(conn, user_id)
        if profile is None:
            raise InputError("You are not a client of The Regiment.")
        now = clock.now()
        async with conn.transaction():
            drop = await LOGBOOK.open_for_logging(conn, profile, day, clock)
            unit = Unit(drop.content["unit"])
            first, _ = asked_in_forms(drop.content.get("measurements", []))
            answers = parse(values, unit, first)
            await repo.submit(
                conn, drop, waist_cm=answers.waist_cm, waist_typed=answers.waist_typed, unit=str(unit),
                rating=answers.rating, story=answers.story, measurements=answers.measurements,
                asked=first, now=now,
            )  # fmt: skip
            summary = card_summary(profile, day, answers)
            opened = await cards.raise_card(
                conn, kind=CARD_KIND, user_id=user_id, scope=card_scope(day), summary=summary, now=now,
                details={"date": day.isoformat()}, urgency=2,
            )  # fmt: skip
            if opened is not None:
                await jobs_repo.ensure(conn, NAME, ANNOUNCE, user_id, day, now, now)
            else:  # an edit: the card says what the check-in says now
                await cards.set_summary(conn, cards.card_key(CARD_KIND, user_id, card_scope(day)), summary)
        messages = await render(conn, drop, profile, False)
    if wake is not None:
        wake(now)
    return Submitted(drop, answers, messages)


async def _form_of(
    pool: asyncpg.Pool, clock: Clock, user_id: int, day: dt.date, photos_form: bool
) -> tuple[ClientProfile, DailyDrop, list[str]]:
    """The client, their open check-in and the measurements besides the waist a form asks;
    InputError when the check-in has closed, or (the photos form) before it was sent in."""
    profile, drop = await LOGBOOK.require_open(pool, user_id, day, clock)
    first, later = asked_in_forms(drop.content.get("measurements", []))
    if photos_form:
        async with pool.acquire() as conn:
            answer = await repo.of_drop(conn, drop.id)
        if answer is None or answer["status"] != "submitted":
            raise InputError(SEND_FIRST)
    return profile, drop, later if photos_form else first


async def form_questions(
    pool: asyncpg.Pool, clock: Clock, *, user_id: int, day: dt.date, photos_form: bool
) -> tuple[str, list[str]]:
    """(the length unit, the measurements besides the waist) a form asks, to open it."""
    _, drop, asked = await _form_of(pool, clock, user_id, day, photos_form)
    return lengths.length_unit(drop.content["unit"]), asked


SEND_FIRST = "Send the check-in first (the Weekly check-in button), then the photos."


# --- the photos form


@dataclass(frozen=True)
class Upload:
    """One file of the photos form, as the Discord layer hands it over: what Discord says of it,
    and how to download it (only called once the declared size passed)."""

    pose: str
    filename: str
    content_type: str | None
    size: int
    read: Callable[[], Awaitable[bytes]]


@dataclass(frozen=True)
class PhotosSent:
    drop: DailyDrop
    poses: list[str]
    measured: list[str]
    messages: list[OutgoingMessage]


def _stored(data: bytes, content_type: str | None, size: int, label: str) -> tuple[bytes, int, int] | str:
    """The checks and the resizing of one downloaded photo (CPU work: run in a thread)."""
    problem = photos.inspect(data, content_type, size, label=label)
    if problem is not None:
        return problem.message
    try:
        jpeg = photos.normalise(data, label=label)
    except InputError as exc:
        return str(exc)
    return (jpeg, *photos.dimensions(jpeg))


async def _prepared(upload: Upload) -> tuple[str, bytes, int, int] | str:
    """The stored form of one upload (pose, jpeg, width, height), or its problem."""
    label = f"{upload.pose} photo"
    if upload.pose not in photos.POSES:
        return f"{label}: not a pose of the check-in"
    too_large = photos.too_large(upload.size, label)
    if too_large is not None:
        return too_large.message
    data = await upload.read()
    made = await asyncio.to_thread(_stored, data, upload.content_type, upload.size, label)
    return made if isinstance(made, str) else (upload.pose, *made)


async def submit_photos(
    pool: asyncpg.Pool,
    clock: Clock,
    *,
    user_id: int,
    day: dt.date,
    values: Mapping[str, str],
    uploads: Sequence[Upload],
) -> PhotosSent:
    """The photos form: each photo downloaded, checked and normalised, then all of them and the
    measurements written in one transaction; any problem is named and nothing is written."""
    profile, drop, later = await _form_of(pool, clock, user_id, day, photos_form=True)
    problems: list[str] = []
    unit = Unit(drop.content["unit"])  # as the form asked: the client's unit when it was sent
    measured = _measurements(values, later, unit, problems)
    prepared = []
    if len({u.pose for u in uploads}) != len(uploads):
        problems.append("one photo per pose")  # a forged form: nothing is downloaded
    else:
        for upload in uploads:
            made = await _prepared(upload)
            if isinstance(made, str):
                problems.append(made)
            else:
                prepared.append(made)
    if not problems and not prepared and not measured:
        problems.append("nothing to send: add a photo (front, side or back)")
    if problems:
        raise InputError(problems)
    now = clock.now()
    async with pool.acquire() as conn:
        async with conn.transaction():
            drop = await LOGBOOK.open_for_logging(conn, profile, day, clock)
            if prepared:
                await repo.save_photos(conn, drop, prepared, now)
            # A measurement left blank keeps what was sent before: this form is mostly for photos.
            if measured and not await repo.merge_measurements(conn, user_id, day, measured, list(measured)):
                raise InputError(SEND_FIRST)
        messages = await render(conn, drop, profile, False)
    return PhotosSent(drop, [p[0] for p in prepared], list(measured), messages)


# --- the coach's side


def _shown_change(now_cm: float, before_cm: float | None, unit: str, since: str) -> str:
    if before_cm is None:
        return ""
    change = lengths.from_cm(now_cm, unit) - lengths.from_cm(before_cm, unit)
    sign = "+" if change > 0 else "−" if change < 0 else "±"
    return f" ({sign}{abs(change):.1f} since {since})"


def _lengths_of(row: Mapping[str, Any] | None) -> dict[str, float]:
    if row is None or row["status"] != "submitted":
        return {}
    out = {lengths.WAIST: float(row["waist_cm"])} if row["waist_cm"] is not None else {}
    for name, value in repo.measurements_of(row).items():
        out[name] = float(value["cm"])
    return out


@dataclass(frozen=True)
class Review:
    """What a coach sees of one check-in: the words, and the photo comparison (JPEG) if any."""

    embed: Embed
    sheet: bytes | None


NOT_SENT_IN = "There is no weekly check-in sent in for that day"


async def _sent_in(
    conn: asyncpg.Connection, user_id: int, day: dt.date, finish: str = "."
) -> tuple[ClientProfile, asyncpg.Record]:
    """The client and their check-in of `day`; InputError unless it was sent in."""
    profile = await clients.get(conn, user_id)
    answer = await repo.of_day(conn, user_id, day)
    if profile is None or answer is None or answer["status"] != "submitted":
        raise InputError(f"{NOT_SENT_IN}{finish}")
    return profile, answer


async def review(pool: asyncpg.Pool, user_id: int, day: dt.date) -> Review:
    """The check-in of `day` for its coach (the caller has checked the coach may see it)."""
    async with pool.acquire() as conn:
        profile, answer = await _sent_in(conn, user_id, day)
        around = await repo.reviews_around(conn, user_id, day)
        compared = await repo.compared(conn, user_id, day)
        drop = await LOGBOOK.store.get(conn, user_id, day)
        answered = await repo.answer_of(conn, user_id, day)
    name = profile.display_name or str(user_id)
    unit = profile.unit
    now_lengths = _lengths_of(answer)
    previous, first = (_lengths_of(r) for r in (around.get("previous"), around.get("first")))
    measured = []
    for key in sorted(now_lengths, key=lambda k: _order((k, None))):
        cm = now_lengths[key]
        line = f"{key}: {lengths.shown(cm, unit)}"
        line += _shown_change(cm, previous.get(key), unit, "last time")
        if around.get("first") is not None and around["first"]["date"] != around.get("previous", {}).get(
            "date"
        ):
            line += _shown_change(cm, first.get(key), unit, "the first")
        measured.append(line)
    fields = [EmbedField("Week", f"{answer['rating']}/5")]
    if measured:
        fields.append(EmbedField("Measurements", "\n".join(measured)[:1024]))
    if answer["story"]:
        fields.append(EmbedField("Wins and struggles", answer["story"][:1024]))
    numbers = drop.content.get("numbers") if drop is not None else None
    if numbers:
        fields.append(EmbedField("The week in numbers", "\n".join(numbers)[:1024]))
    this_week = next((poses for date, _, poses in compared if date == day), {})
    fields.append(
        EmbedField("Photos", ", ".join(p for p in photos.POSES if p in this_week) or "none this week")
    )
    if answered is not None:
        fields.append(EmbedField("Answered", f"on {answered['answered_at']:%A %d %B}"))
    sheet = None
    if any(poses for _, _, poses in compared):
        titles = {
            "this week": "This week",
            "previous": "Previous",
            "first": "First",
            "both": "First, previous",
        }
        sheet = photos.side_by_side(
            [
                (f"{titles[which]} · {date:%A %d %b}", [poses.get(p) for p in photos.POSES])
                for date, which, poses in compared
            ]
        )
    embed = Embed(
        title=f"Weekly check-in — {name}, {day:%A %d %B}",
        fields=tuple(fields),
        footer="Answer it with the Answer button: it goes to the client as a note from you.",
        color=0x16A085,
    )
    return Review(embed, sheet)


def review_post(name: str, day: dt.date, card_id: int | None, rating: int, user_id: int) -> OutgoingMessage:
    """The announcement of a check-in sent in. Its photos are not counted here: they may come
    after it, and "See the check-in" shows them as they are then."""
    card = f" · card #{card_id}" if card_id is not None else ""
    return OutgoingMessage(
        content=f"📋 Weekly check-in to review — **{name}**, {day:%A %d %B}{card}\nweek {rating}/5",
        rows=(
            (
                Button("See the check-in", SEE_ID.format(user_id=user_id, day=day), ButtonStyle.primary),
                Button("Answer", ANSWER_ID.format(user_id=user_id, day=day), ButtonStyle.secondary),
            ),
        ),
    )


async def announce(ctx: JobContext) -> Outcome:
    """Tell the client's coach a check-in is waiting: in the coaches' channel, and by DM to a coach
    who asked for them. Photos stay out of the post: a channel is seen by every coach."""
    assert ctx.client is not None
    day, user_id = ctx.job.local_date, ctx.client.user_id
    key = cards.card_key(CARD_KIND, user_id, card_scope(day))
    async with ctx.pool.acquire() as conn:
        answer = await repo.of_day(conn, user_id, day)
        if answer is None or answer["status"] != "submitted":
            return Outcome.skipped("no check-in sent in")
        card_id = await cards.unannounced(conn, key)
        if card_id is None:
            return Outcome.done(announced=False)
        coach = await coaches.responsible(conn, user_id, day)
    post = review_post(ctx.client.display_name or str(user_id), day, card_id, answer["rating"], user_id)
    addressed = OutgoingMessage(content=f"{post.content}{team.addressed(coach)}", rows=post.rows)
    channel = ctx.settings.coach_channel_id
    sent = False
    if coach is not None and (team.wants_dm(coach) or channel is None):
        try:
            await ctx.sends.dm(coach.user_id, None, post, part=1)
            sent = True
        except RecipientUnreachable:
            # The coach's DMs are closed: the client is not unreachable; the channel still hears.
            if channel is None:
                raise PermanentDeliveryError(
                    f"Discord refuses DMs to {coach.display_name} and COACH_CHANNEL_ID is not set"
                ) from None
    if channel is not None:
        await ctx.post(channel, addressed)
        sent = True
    if not sent:
        return Outcome.skipped("no coach and no coaches' channel: the card waits in /cards list")
    async with ctx.pool.acquire() as conn:
        await cards.mark_announced(conn, key, ctx.now())
    return Outcome.done(announced=True)


async def client_name(pool: asyncpg.Pool, user_id: int, day: dt.date) -> str:
    """The client of a check-in, by name, for the answer's form; InputError if none was sent in."""
    async with pool.acquire() as conn:
        profile, _ = await _sent_in(conn, user_id, day)
    return profile.display_name or str(user_id)


def answer_heading(day: dt.date) -> str:
    """What the answer's note starts with, before the coach's words."""
    return f"About your weekly check-in of {day:%A %d %B}:\n"


#: The longest answer a coach may type: the note holds the heading too (the longest date).
ANSWER_LIMIT = NOTE_LIMIT - len(answer_heading(dt.date(2026, 9, 30)))


@dataclass(frozen=True)
class Answered:
    text: str


async def answer(
    pool: asyncpg.Pool,
    clock: Clock,
    *,
    user_id: int,
    day: dt.date,
    coach_id: int,
    coach_name: str,
    text_: str | None,
    wake: Wake | None = None,
) -> Answered:
    """The coach's answer: a note to the client (the private line), then the card resolved."""
    async with pool.acquire() as conn:
        await _sent_in(conn, user_id, day, "; nothing was sent.")
        earlier = await repo.answer_of(conn, user_id, day)
    if earlier is not None:
        raise InputError(
            f"This check-in was answered on {earlier['answered_at']:%A %d %B}; nothing was sent. "
            "Say more with /note."
        )
    body = None if text_ is None or not text_.strip() else f"{answer_heading(day)}{text_.strip()}"
    queued = await notes.send_note(
        pool, clock, user_id=user_id, author_id=coach_id, author_name=coach_name, text=body, wake=wake
    )
    now = clock.now()
    key = cards.card_key(CARD_KIND, user_id, card_scope(day))
    async with pool.acquire() as conn, conn.transaction():
        card_id = await cards.id_of_key(conn, key)
        await repo.record_answer(
            conn, user_id, day, coach_id=coach_id, note_id=queued.note_id, card_id=card_id, now=now
        )
        await cards.resolve_by_key(conn, key, now, by=coach_id, note="answered")
    card = f" Card #{card_id} is resolved." if card_id is not None else ""
    return Answered(f"Your answer to {queued.client_name}'s weekly check-in is on its way.{card}")


def day_line(row: Mapping[str, Any]) -> str | None:
    if not row.get("kind"):
        return None
    return f"weekly check-in: {dict(submitted='done ✅', missed='missed ❌').get(row.get('status'), 'to do')}"


LOGBOOK = lifecycle.Logbook(
    drops_of(NAME, repo.MISS_FROM_CLOSED),
    missing_text="There is no weekly check-in for {day:%A %d %B}.",
    closed_text="The weekly check-in of {day:%A %d %B} closed at {closes}",
)


def _deliver_for(settings: Settings, drops: lifecycle.DropLifecycle[DailyDrop]):  # type: ignore[no-untyped-def]
    async def deliver(ctx: JobContext) -> Outcome:
        """The drop, with the week in numbers read for its snapshot (by the attempt that takes it:
        a retry or a forced resend sends what was first taken)."""
        assert ctx.client is not None
        numbers = None
        async with ctx.pool.acquire() as conn:
            if await LOGBOOK.store.get(conn, ctx.client.user_id, ctx.job.local_date) is None:
                week = await week_numbers_repo.read(
                    conn, ctx.registry.outcome_sources(), ctx.client, ctx.job.local_date
                )
                labels = {n: label for n, label in ctx.registry.labels().items() if n != NAME}
                numbers = week_numbers.lines(week, ctx.client.unit, labels)
        return await replace(drops, snapshot=_snapshot_for(settings, numbers)).deliver(ctx)

    return deliver


def build(settings: Settings) -> Engine:
    drops = lifecycle.DropLifecycle(NAME, LOGBOOK, _snapshot_for(settings), render)
    return Engine(
        NAME,
        label="weekly check-in",
        actions=[
            *drops.actions(
                settings.review_at,
                settings.review_deadline_at,
                "weekly check-in",
                "weekly check-in closes",
                closes_days=settings.review_deadline_days,
                time_field="review_at",
            ),
            # Queued when a check-in comes in: never planned, so the time is not used.
            ActionSpec(
                NAME,
                ANNOUNCE,
                dt.time(0, 0),
                ActionKind.mark,
                label="weekly check-in to review",
                planned=False,
            ),
        ],
        handlers={**drops.handlers(), "drop": _deliver_for(settings, drops), ANNOUNCE: announce},
        applies=IsWeekday("review_weekday", settings.review_weekday),
        triggerable=("drop",),
        compliance=ComplianceSource(repo.OUTCOMES, repo.RECENT_LOGS, repo.DAY_STATUS, day_line),
        cog="cogs.weekly",
        custom_ids=(OPEN_ID, FORM_ID, PHOTOS_ID, PHOTOS_FORM_ID, SEE_ID, ANSWER_ID, ANSWER_FORM_ID),
        renderers={"weekly": message, "weekly check-in to review": review_post},
        charts=weekly_progress.CHARTS,
    )
