"""The bot's voice (README, "The bot's voice") in what coaches and clients read: dates as people
say them in the weekly summary and the escalation, /today saying "done" only for what is logged,
a /stats table whose columns stay under their header, and chart legends that cover no data."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pytest
from helpers import profile, utc
from matplotlib.figure import Figure

from bot.domain.compliance import DayOutcome
from bot.domain.flag_rules import ClientWeek, FlagThresholds, escalation_due
from bot.domain.models import Job, JobStatus, Unit
from bot.engines import flags
from bot.views import render
from bot.views.charts import LiftPoint, lift_chart
from bot.views.client_charts import bodyweight_chart, readiness_chart

MONDAY = dt.date(2026, 5, 4)
ISO = re.compile(r"\d{4}-\d{2}-\d{2}")


# --- dates in the coaches' channel ------------------------------------------------------------


def missed(days: int) -> list[DayOutcome]:
    """A client who logged nothing on any engine for `days` days from Monday."""
    return [
        DayOutcome(MONDAY + dt.timedelta(days=n), engine, 1, 0)
        for n in range(days)
        for engine in ("checkin", "meals")
    ]


RULES = FlagThresholds(
    engine_labels={"checkin": "check-in", "meals": "meals"},
    checkin_engines=frozenset({"checkin"}),
    min_compliance_pct=70,
    drop_points=20,
    missed_days=3,
    no_checkin_days=3,
    readiness_drop=1.0,
)


def test_the_escalation_says_its_dates_as_people_say_them() -> None:
    wednesday = MONDAY + dt.timedelta(days=2)
    card = escalation_due(missed(3), wednesday, RULES, include_today=True)
    assert card is not None
    eve = profile(7, "UTC", MONDAY, display_name="Eve")
    text = flags.escalation_text(eve, card.summary, 4)
    assert text == (
        "⚠️ Escalation: **Eve** — 3 consecutive days with nothing logged on any engine, "
        "through Wednesday 06 May (threshold 3 days) (card #4)"
    )


def test_the_escalation_names_a_client_without_a_display_name_by_mention_not_id() -> None:
    nameless = profile(7, "UTC", MONDAY, display_name="")
    assert flags.escalation_text(nameless, "3 consecutive days", 4) == (
        "⚠️ Escalation: <@7> — 3 consecutive days (card #4)"
    )


def test_the_weekly_summary_says_its_dates_as_people_say_them() -> None:
    week = ClientWeek(
        user_id=2,
        display_name="Alex Morgan",
        week_start=MONDAY,
        week_end=MONDAY + dt.timedelta(days=7),
        outcomes=missed(7),
    )
    result = flags.ScanResult(weeks=[week], raised=[], honors=[], roster=[])
    raised = [
        flags.SummaryCard(
            "Alex Morgan", 1, "missed_days", "3 consecutive days … through 2026-05-06 (threshold 3 days)"
        ),
        flags.SummaryCard(
            "Alex Morgan", 1, "no_checkin", "No check-in yet: 6 days since check-ins started on 2026-05-04"
        ),
        flags.SummaryCard("Alex Morgan", 2, "block_ending", "Training block ends on 2026-05-18, in 7 days"),
    ]
    description = flags.summary_message(result, raised, "2026-W19").embeds[0].description
    assert ISO.search(description) is None, description
    assert "through Wednesday 06 May (threshold 3 days)" in description
    assert "check-ins started on Monday 04 May" in description
    assert "ends on Monday 18 May, in 7 days" in description


def test_spoken_dates_leave_what_is_not_a_date_alone() -> None:
    assert flags.spoken_dates("week 2026-W19, ref 2026-13-45, id 12026-05-04") == (
        "week 2026-W19, ref 2026-13-45, id 12026-05-04"
    )
    across = flags.spoken_dates("from 2026-12-31 to 2027-01-01")
    assert across == "from Thursday 31 December to Friday 01 January"


# --- /today: "done" only for what is logged ---------------------------------------------------


class Labels:
    def action_label(self, engine: str, action: str) -> str:
        return {"training": "workout", "checkin": "check-in"}.get(engine, engine)


def drop(engine: str, hour: int, status: JobStatus) -> Job:
    due = utc(2026, 5, 6, hour)
    return Job(
        id=hour,
        engine=engine,
        action="drop",
        user_id=7,
        local_date=MONDAY + dt.timedelta(days=2),
        due_at=due,
        deadline=due + dt.timedelta(hours=12),
        status=status,
        attempts=1,
        next_attempt_at=due,
        created_at=due - dt.timedelta(hours=3),
    )


def schedule(card: render.Embed) -> list[str]:
    return next(f.value for f in card.fields if f.name == "Schedule").splitlines()


def test_today_says_sent_for_a_drop_only_delivered_and_done_once_all_of_it_is_logged() -> None:
    sam = profile(7, "UTC", MONDAY)
    jobs = [
        drop("checkin", 5, JobStatus.sent),
        drop("training", 7, JobStatus.sent),
        drop("cardio", 18, JobStatus.pending),
    ]
    done = ["check-in: done ✅", "training: 0/4 top sets logged"]
    now = utc(2026, 5, 6, 12, 30)
    card = render.today_card(sam, jobs, done, now, Labels(), complete={"checkin"})
    assert schedule(card) == [
        "`05:00` check-in — done",
        "`07:00` workout — sent",  # delivered, nothing logged: not "done"
        "`18:00` cardio — coming up",
    ]
    told = render.today_card(sam, jobs, done, now, Labels())  # nothing known to be complete
    assert schedule(told)[:2] == ["`05:00` check-in — sent", "`07:00` workout — sent"]


def test_today_says_in_words_that_a_drop_never_reached_the_client() -> None:
    sam = profile(7, "UTC", MONDAY)
    jobs = [drop("checkin", 5, JobStatus.dead), drop("training", 7, JobStatus.expired)]
    card = render.today_card(sam, jobs, [], utc(2026, 5, 6, 12), Labels())
    assert schedule(card) == ["`05:00` check-in — not sent", "`07:00` workout — not sent"]


# --- /stats: columns under their header -------------------------------------------------------


def columns(table: str) -> list[list[int]]:
    """Where each column of the code block ends, per row (header first)."""
    rows = table.removeprefix("```\n").removesuffix("\n```").splitlines()
    return [[m.end() for m in re.finditer(r"\S+(?= ·|$)", row)] for row in rows]


@pytest.mark.parametrize(
    ("done", "today"),
    [
        ((1, 1), MONDAY + dt.timedelta(days=1)),  # 100% and 33%
        ((0, 3), MONDAY + dt.timedelta(days=1)),  # 0% and 100%
        ((1, 3), MONDAY + dt.timedelta(days=120)),  # a 120-day streak, 100% in every window
    ],
)
def test_stats_columns_line_up_under_the_header_from_0_to_100_percent(done, today) -> None:  # type: ignore[no-untyped-def]
    checkins, meals = done
    outcomes = [
        DayOutcome(MONDAY + dt.timedelta(days=n), engine, 3 if engine == "meals" else 1, value)
        for n in range((today - MONDAY).days)
        for engine, value in (("checkin", checkins), ("meals", meals))
    ]
    labels = {"checkin": "check-in", "meals": "meals", "cardio": "cardio"}
    embed = render.stats_embed("Ana", outcomes, today, labels)
    table = embed.description
    streak = (today - MONDAY).days if done == (1, 3) else 0
    assert embed.fields[-1].value == f"{streak} fully compliant days in a row"
    assert table.startswith("```\n") and table.endswith("\n```")  # monospace
    ends = columns(table)
    assert len(ends) >= 3 and all(len(row) == 3 for row in ends), table
    assert all(row == ends[0] for row in ends[1:]), table  # each cell ends under its header
    assert len({len(line) for line in table.splitlines()[1:-1]}) == 1, table


def test_stats_columns_line_up_for_a_label_longer_than_check_in() -> None:
    outcomes = [DayOutcome(MONDAY, "mobility", 2, 2), DayOutcome(MONDAY, "checkin", 1, 0)]
    labels = {"checkin": "check-in", "mobility": "mobility work"}
    table = render.stats_embed("Ana", outcomes, MONDAY + dt.timedelta(days=1), labels).description
    ends = columns(table)
    assert all(row == ends[0] for row in ends[1:]), table
    assert "mobility work  100% · 100% · 100%" in table
    assert "check-in         0% ·   0% ·   0%" in table


# --- chart legends cover no data --------------------------------------------------------------


@pytest.fixture(autouse=True)
def _every_figure_closed(no_figure_left_open: None) -> None:
    """Each chart closes its figure (tests/views/conftest.py)."""


def data_points(figure: Figure) -> np.ndarray:
    """Every plotted point of the main axes, in display (pixel) coordinates."""
    axes = figure.axes[0]
    points = [line.get_xydata() for line in axes.get_lines()]
    points += [collection.get_offsets() for collection in axes.collections]
    return axes.transData.transform(np.concatenate([np.asarray(p, dtype=float) for p in points]))


def weight_loss(days: int) -> list[tuple[dt.date, float]]:
    """A steady loss from 84 kg, noisy day to day: the first weigh-ins are the top-left corner."""
    return [(MONDAY + dt.timedelta(days=n), 84 - n / 20 + (0.4 if n % 3 == 0 else -0.2)) for n in range(days)]


@pytest.mark.parametrize(
    "make",
    [
        lambda: bodyweight_chart("Bodyweight — Sam Carter", weight_loss(84), "kg"),
        lambda: bodyweight_chart("Bodyweight — Sam Carter", weight_loss(84), "lb"),
        lambda: bodyweight_chart("Bodyweight — Sam Carter", weight_loss(10), "kg"),
        lambda: readiness_chart(  # a dip at the start: the bottom-left corner
            "Readiness", [(MONDAY + dt.timedelta(days=n), 1.0 + min(n, 40) / 10) for n in range(60)]
        ),
        lambda: lift_chart(  # a deload: heavy at the start, the top-left corner
            "Squat", [LiftPoint(MONDAY + dt.timedelta(days=n), 140 - n, 5, not n) for n in range(30)], Unit.kg
        ),
    ],
    ids=["bodyweight-loss-kg", "bodyweight-loss-lb", "bodyweight-loss-short", "readiness-dip", "lift-deload"],
)
def test_the_legend_covers_no_data(drawn, make) -> None:  # type: ignore[no-untyped-def]
    figure = drawn(make)
    legends = [*figure.legends, *(a.get_legend() for a in figure.axes if a.get_legend() is not None)]
    assert legends, "the chart has no legend"
    points = data_points(figure)
    renderer = figure.drawn_with
    for legend in legends:
        box = legend.get_window_extent(renderer)
        covered = [p for p in points if box.contains(*p)]
        assert covered == [], f"the legend covers {len(covered)} points"
        assert not box.overlaps(figure.axes[0].get_window_extent(renderer))  # outside the plot
        assert figure.bbox.contains(box.x0, box.y0) and figure.bbox.contains(box.x1, box.y1)  # not cut off
