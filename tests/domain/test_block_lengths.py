"""A block's optional length ("4 weeks", "12 sessions"): how it is written and validated, and
where the run of a block under way ends (paused days do not count; it repeats after its end)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.domain.blocks import BlockLength, block_end, cycle, parse_block
from bot.domain.errors import InputError

MONDAY = dt.date(2026, 5, 4)
MON_WED_FRI = (1, 3, 5)

BLOCK = """
id: steel_A
name: Steel Block A
{length}
days:
  - title: Day 1
    exercises:
      - {{id: back_squat, name: Back Squat, sets: 4, reps: 5, rest: 180}}
"""


def d(n: int) -> dt.date:
    return MONDAY + dt.timedelta(days=n)


def never(day: dt.date) -> bool:
    return False


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("length: 4 weeks", "4 weeks"),
        ("length: 1 Week", "1 week"),
        ("length: '12 sessions'", "12 sessions"),
        ("length:   1 session ", "1 session"),
        ("", None),
        ("length: null", None),
    ],
)
def test_a_length_is_weeks_or_sessions(written: str, stored: str | None) -> None:
    block = parse_block(BLOCK.format(length=written))
    assert block.length == stored
    # Stored as JSON and read back (what the database keeps), it means the same.
    assert type(block).model_validate(block.model_dump(mode="json")) == block


@pytest.mark.parametrize(
    ("written", "problem"),
    [
        ("length: 4", 'length: must be a number of weeks or of sessions, such as "4 weeks" or "12 sessions"'),
        ("length: four weeks", 'length: must be a number of weeks or of sessions, such as "4 weeks"'),
        ("length: 4 months", 'length: must be a number of weeks or of sessions, such as "4 weeks"'),
        ("length: 0 weeks", "length: 0 weeks is outside 1–52 weeks"),
        ("length: 53 weeks", "length: 53 weeks is outside 1–52 weeks"),
        ("length: 400 sessions", "length: 400 sessions is outside 1–365 sessions"),
        ("length: true", "length: must be a number of weeks or of sessions"),
        ("length: {weeks: 4}", "length: must be a number of weeks or of sessions"),
    ],
)
def test_a_bad_length_is_refused_with_what_to_write(written: str, problem: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_block(BLOCK.format(length=written))
    [found] = caught.value.problems
    assert found.startswith(problem), found


def test_weeks_end_on_the_last_day_of_the_last_week_and_a_pause_moves_the_end_back() -> None:
    four = BlockLength(4, "weeks")
    assert cycle(four, MONDAY, MONDAY, sessions=[], training_days=MON_WED_FRI, paused=never) == (
        MONDAY,
        d(27),
    )
    away = {d(n) for n in range(10, 15)}  # five days paused
    assert cycle(four, MONDAY, d(20), sessions=[], training_days=MON_WED_FRI, paused=away.__contains__) == (
        MONDAY,
        d(32),
    )
    # An open pause: the end cannot be reached.
    assert (
        cycle(four, MONDAY, d(3), sessions=[], training_days=MON_WED_FRI, paused=lambda day: day >= d(5))
        is None
    )


def test_after_its_end_the_block_repeats() -> None:
    two = BlockLength(2, "weeks")
    assert cycle(two, MONDAY, d(13), sessions=[], training_days=MON_WED_FRI, paused=never) == (MONDAY, d(13))
    assert cycle(two, MONDAY, d(14), sessions=[], training_days=MON_WED_FRI, paused=never) == (d(14), d(27))
    assert cycle(two, MONDAY, d(45), sessions=[], training_days=MON_WED_FRI, paused=never) == (d(42), d(55))


def test_sessions_end_on_the_last_one_delivered_or_the_training_day_it_will_fall_on() -> None:
    six = BlockLength(6, "sessions")
    done = [d(0), d(2), d(4)]  # Mon, Wed, Fri delivered
    # Three to come: Mon, Wed, Fri of the next week.
    assert cycle(six, MONDAY, d(5), sessions=done, training_days=MON_WED_FRI, paused=never) == (MONDAY, d(11))
    # Today's (Friday's) delivered: it counts, and the rest start tomorrow.
    assert cycle(six, MONDAY, d(4), sessions=done, training_days=MON_WED_FRI, paused=never) == (MONDAY, d(11))
    # A pause next week: the sessions it skips come after it.
    away = {d(n) for n in range(7, 12)}
    assert cycle(six, MONDAY, d(5), sessions=done, training_days=MON_WED_FRI, paused=away.__contains__) == (
        MONDAY,
        d(18),
    )
    # All six delivered by Friday the 15th: that was the last day; from Saturday it repeats.
    all_six = [*done, d(7), d(9), d(11)]
    assert cycle(six, MONDAY, d(11), sessions=all_six, training_days=MON_WED_FRI, paused=never) == (
        MONDAY,
        d(11),
    )
    assert cycle(six, MONDAY, d(12), sessions=all_six, training_days=MON_WED_FRI, paused=never) == (
        d(12),
        d(25),
    )
    assert cycle(six, MONDAY, d(12), sessions=done, training_days=(), paused=never) is None


def test_a_queued_block_cuts_the_end_short_or_follows_a_repeat() -> None:
    block = parse_block(BLOCK.format(length="length: 4 weeks"))
    common = {"sessions": [], "training_days": MON_WED_FRI, "paused": never}
    plain = block_end(block, MONDAY, d(20), **common)  # type: ignore[arg-type]
    assert plain is not None and (plain.ends_on, plain.next_name, plain.length) == (d(27), None, "4 weeks")
    early = block_end(block, MONDAY, d(20), next_name="B", next_from=d(24), **common)  # type: ignore[arg-type]
    assert early is not None and (early.ends_on, early.next_from) == (d(23), d(24))
    later = block_end(block, MONDAY, d(20), next_name="B", next_from=d(35), **common)  # type: ignore[arg-type]
    assert later is not None and (later.ends_on, later.next_from) == (d(27), d(35))
    endless = parse_block(BLOCK.format(length=""))
    assert block_end(endless, MONDAY, d(20), next_name="B", next_from=d(24), **common) is None  # type: ignore[arg-type]
