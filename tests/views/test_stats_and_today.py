"""Issue 13 on /stats and /today themselves: a day already fully logged counts for the streak
and shows as today's progress (rates stay over whole days), and a client paused mid-day still
sees what they logged before the pause."""

from __future__ import annotations

import datetime as dt

from helpers import profile, utc

from bot.domain.compliance import DayOutcome
from bot.views import render

MONDAY = dt.date(2026, 5, 4)
LABELS = {"checkin": "check-in", "meals": "meals"}


class Labels:
    def action_label(self, engine: str, action: str) -> str:
        return f"{engine} {action}"


def day(n: int, *, meals_done: int = 3, checkin_done: int = 1) -> list[DayOutcome]:
    when = MONDAY + dt.timedelta(days=n)
    return [DayOutcome(when, "checkin", 1, checkin_done), DayOutcome(when, "meals", 3, meals_done)]


def fields(embed: render.Embed) -> dict[str, str]:
    return {f.name: f.value for f in embed.fields}


def test_stats_on_day_one_shows_today_so_far_and_counts_a_fully_logged_day() -> None:
    embed = render.stats_embed("Ana", day(0), MONDAY, LABELS)
    assert embed.description == "Rates count whole days: yours start tomorrow, once today is over."
    assert fields(embed) == {"Today so far": "4/4 done", "Streak": "1 fully compliant day in a row"}


def test_stats_on_day_one_before_anything_is_logged_or_sent() -> None:
    started = render.stats_embed("Ana", day(0, meals_done=1, checkin_done=0), MONDAY, LABELS)
    assert fields(started) == {"Today so far": "1/4 done", "Streak": "0 fully compliant days in a row"}
    nothing = render.stats_embed("Ana", [], MONDAY, LABELS)
    assert nothing.description == "Nothing was due yet."
    assert fields(nothing) == {"Streak": "0 fully compliant days in a row"}


def test_stats_rates_stay_over_whole_days_and_an_unfinished_today_costs_no_streak() -> None:
    outcomes = [*day(0), *day(1), *day(2, meals_done=0, checkin_done=0)]  # today (day 2) just began
    embed = render.stats_embed("Ana", outcomes, MONDAY + dt.timedelta(days=2), LABELS)
    assert "overall   100% · 100% · 100%" in embed.description  # today's misses do not count yet
    assert fields(embed) == {"Today so far": "0/4 done", "Streak": "2 fully compliant days in a row"}
    done = render.stats_embed("Ana", [*day(0), *day(1), *day(2)], MONDAY + dt.timedelta(days=2), LABELS)
    assert "overall   100% · 100% · 100%" in done.description
    assert fields(done) == {"Today so far": "4/4 done", "Streak": "3 fully compliant days in a row"}


def test_compliance_lines_count_a_fully_logged_today_when_the_outcomes_reach_it() -> None:
    lines, current = render.compliance_lines([*day(0), *day(1)], MONDAY + dt.timedelta(days=1), LABELS)
    assert current == 2 and lines == [
        "check-in  100% · 100% · 100%",
        "meals     100% · 100% · 100%",
        "overall   100% · 100% · 100%",
    ]


def test_today_when_paused_mid_day_shows_what_was_logged() -> None:
    paused = profile(7, "UTC", MONDAY, paused=True, paused_until=dt.date(2026, 5, 7))
    now = utc(2026, 5, 4, 12)
    card = render.today_card(paused, [], ["check-in: done ✅", "meals: 2/6 answered"], now, Labels())
    assert card.title == "Today, Monday 04 May"
    assert card.description == "Nothing more today: you are paused."
    assert fields(card) == {"Logged so far": "check-in: done ✅\nmeals: 2/6 answered"}
    nothing = render.today_card(paused, [], [], now, Labels())
    assert (nothing.description, nothing.fields) == ("Nothing today: you are paused.", ())
