"""The gallery's entries rendered from demo data in memory: what a demo week cannot show.

- The alert buffer (bot.core.alert_buffer): the week delivers everything, so its alerts are
  written here by the same wording functions the dispatcher calls, for the registry's own actions,
  and posted as the buffer posts them: a usual batch, and a full one of the longest lines.
- The honors board of a busy week (the demo week's is quiet: a first week has no PRs, Sam no
  streak): the week of a roster of demo clients through the board's own rules
  (bot.domain.flag_rules.honors) and the registry's "honors board" renderer.
- Charts over months of history (a demo week has days), and a chart of a single point.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from bot.core import alert_buffer
from bot.core.delivery import PermanentDeliveryError, TransientDeliveryError
from bot.core.engine import ActionKind, ActionSpec, EngineRegistry, NotYet
from bot.domain.compliance import DayOutcome, streak
from bot.domain.flag_rules import ClientWeek, honors
from bot.domain.lifting import Best, epley, is_pr, show_weight
from bot.domain.models import ClientProfile, Job, JobStatus, Unit
from bot.preview import CHANNELS, CHARTS, Entry
from bot.views import charts as lift_charts
from bot.views import client_charts
from bot.views.messages import OutgoingMessage

# Display names as coaches type them, markdown included (the alert escapes it).
_CROWD = ("Jo *the tank* Okafor", "Mia_Lopez", "Dev", "Élodie Moreau-Laurent", "Chris `CJ` Jones")


def _spec(registry: EngineRegistry, kind: ActionKind) -> ActionSpec:
    """The registry's first action of a kind (for a drop, one a coach may trigger)."""
    if kind == ActionKind.drop:
        return registry.triggerable()[0]
    return next(s for e in registry for s in e.actions if s.kind == kind)


def _job(spec: ActionSpec, user_id: int | None, day: dt.date, attempts: int, now: dt.datetime) -> Job:
    due = now - dt.timedelta(hours=1)
    return Job(
        id=1,
        engine=spec.engine,
        action=spec.action,
        user_id=user_id,
        local_date=day,
        due_at=due,
        deadline=now + dt.timedelta(hours=6) if spec.kind == ActionKind.drop else None,
        status=JobStatus.dead,
        attempts=attempts,
        next_attempt_at=now,
        created_at=due - dt.timedelta(hours=2),
        started_at=due,
    )


def alert_lines(registry: EngineRegistry, clients: list[ClientProfile], now: dt.datetime) -> list[str]:
    """One alert of each wording: a drop out of retries (Discord's 5xx), a scan Discord refused
    (403), a step whose workers kept dying, a drop Discord found invalid (400), one still waiting."""
    drop, scan = _spec(registry, ActionKind.drop), _spec(registry, ActionKind.scan)
    mark = _spec(registry, ActionKind.mark)
    first, second = clients[0], clients[-1]
    day = now.date()

    def label(spec: ActionSpec) -> str:
        return registry.action_label(spec.engine, spec.action)

    return [
        alert_buffer.dead_alert(
            _job(drop, first.user_id, day, 4, now), first, label=label(drop), kind=drop.kind,
            exc=TransientDeliveryError("503 0: Service Unavailable"), now=now, can_trigger=True,
        ),
        alert_buffer.failed_alert(
            _job(scan, None, day, 1, now), None, label=label(scan), kind=scan.kind,
            exc=PermanentDeliveryError("403 50001: Missing Access"),
        ),
        alert_buffer.dead_alert(
            _job(mark, second.user_id, day, 3, now), second, label=label(mark), kind=mark.kind,
            exc=None, now=now, can_trigger=False,
        ),
        alert_buffer.failed_alert(
            _job(drop, second.user_id, day, 1, now), second, label=label(drop), kind=drop.kind,
            exc=PermanentDeliveryError("400 50035: Invalid Form Body"),
        ),
        alert_buffer.dead_alert(
            _job(mark, first.user_id, day, 4, now), first, label=label(mark), kind=mark.kind,
            exc=NotYet("the day's drop is still being sent"), now=now, can_trigger=False,
        ),
    ]  # fmt: skip


def alerts(registry: EngineRegistry, clients: list[ClientProfile], now: dt.datetime) -> list[Entry]:
    """A batch as the buffer posts it, and a full batch (BATCH alerts) of long lines."""
    lines = alert_lines(registry, clients, now)
    usual, _ = alert_buffer.render([{"id": i, "message": m} for i, m in enumerate(lines, start=1)])
    crowd = [
        c.model_copy(update={"display_name": name})
        for c, name in zip(clients * len(_CROWD), _CROWD, strict=False)
    ]
    many = [m for c in crowd for m in alert_lines(registry, [c], now)]
    full, _ = alert_buffer.render(
        [{"id": i, "message": m} for i, m in enumerate(many[: alert_buffer.BATCH], start=1)]
    )
    return [
        Entry("alerts", CHANNELS, "The alert buffer's post: one alert of each wording", "#alerts", usual),
        Entry("alerts-full-batch", CHANNELS,
              f"The alert buffer's post of a full batch ({alert_buffer.BATCH} alerts, or as many as fit)",
              "#alerts", full),
    ]  # fmt: skip


_ROSTER = (
    "Sam Carter", "Alex Morgan", "Priya Natarajan", "Tomás Álvarez", "Hannah Schmidt", "Kwame Mensah",
    "Yuki Tanaka", "Olivia Brown", "Mateo Rossi", "Aisha Khan", "Liam O'Connor", "Sofia Petrova",
    "Noah Williams", "Chloé Dubois", "Ravi Patel", "Emma Johansson", "Lucas Silva", "Zara Ahmed",
    "Finn Murphy", "Mei Chen", "Oscar Nilsson", "Amara Okeke", "Jonas Weber", "Isla MacLeod",
)  # fmt: skip
# A typical top set (kg) of each lift, around which the demo PRs fall.
_LIFTS = {"Back Squat": 120, "Bench Press": 90, "Deadlift": 150, "Overhead Press": 55, "Barbell Row": 80}


def renderer(registry: EngineRegistry, name: str) -> Callable[..., OutgoingMessage]:
    """The message an engine declares under `name` (Engine.renderers), whichever engine it is."""
    found = [e.renderers[name] for e in registry if name in e.renderers]
    if len(found) != 1:
        raise LookupError(f"{len(found)} engines declare a message {name!r}")
    return found[0]


def honors_board(registry: EngineRegistry, end: dt.date) -> list[Entry]:
    """A week of a roster of demo clients, as the weekly scan gathers it, on the honors board."""
    rng = random.Random(7)
    engines = [e.name for e in registry.tracked()]
    week_start = end - dt.timedelta(days=7)
    weeks, streaks, prs = [], {}, {}
    for user_id, name in enumerate(_ROSTER, start=1):
        reliability = rng.choice((1.0, 1.0, 0.97, 0.9, 0.75))
        since = rng.randint(8, 35)  # days on the plan
        outcomes = []
        for n in range(since):
            day = end - dt.timedelta(days=since - n)
            for row, engine in enumerate(engines):
                due = 1 + row % 3
                done = due if rng.random() < reliability else rng.randint(0, due - 1)
                outcomes.append(DayOutcome(day, engine, due, done))
        weeks.append(ClientWeek(user_id, name, week_start, end, outcomes))
        streaks[user_id] = streak(outcomes, end)
        if rng.random() < 0.6:
            lifts = rng.sample(sorted(_LIFTS), rng.randint(1, 4))
            prs[user_id] = [
                f"{lift} {show_weight(_LIFTS[lift] * rng.uniform(0.7, 1.3), Unit.kg)} × {rng.randint(1, 10)}"
                for lift in lifts
            ]
    entries = honors(weeks, streaks, prs, paused=set(), opted_out={len(_ROSTER)})
    year, week, _ = end.isocalendar()
    message = renderer(registry, "honors board")(entries, f"{year}-W{week:02d}")
    return [
        Entry("honors-board-busy-week", CHANNELS,
              f"The honors board of a busy week: {len(_ROSTER)} clients, {len(entries)} entries", "#honors",
              message)
    ]  # fmt: skip


def _days(end: dt.date, count: int) -> list[dt.date]:
    return [end - dt.timedelta(days=count - 1 - n) for n in range(count)]


def _lifts(end: dt.date, weeks: int, rng: random.Random) -> list[lift_charts.LiftPoint]:
    """Three sessions a week, slowly heavier, with a bad day now and then; PRs as the bot marks them."""
    points, best = [], Best()
    for n, day in enumerate(d for d in _days(end, weeks * 7) if d.isoweekday() in (1, 3, 5)):
        reps = rng.choice((5, 5, 5, 6, 4))
        weight = round((100 + 0.6 * n + rng.uniform(-4, 2)) * 2) / 2
        points.append(lift_charts.LiftPoint(day, weight, reps, is_pr(weight, reps, best)))
        estimate = epley(weight, reps)
        best = Best(
            max(best.heaviest_kg or 0.0, weight),
            max(best.best_e1rm_kg or 0.0, estimate) if estimate is not None else best.best_e1rm_kg,
        )
    return points


def _outcomes(engines: list[str], last: dt.date, days: int, rng: random.Random) -> list[DayOutcome]:
    """A long-standing client: every engine due each day up to `last`, mostly done; a pause."""
    outcomes = []
    for n, day in enumerate(_days(last, days)):
        paused = days // 2 <= n < days // 2 + 3
        for row, engine in enumerate(engines):
            due = 1 + row % 3
            done = 0 if paused else min(due, max(0, round(rng.gauss(due * (0.95 - 0.1 * row), 0.8))))
            outcomes.append(DayOutcome(day, engine, due, done, paused=paused))
    return outcomes


def charts(clients: list[ClientProfile], labels: dict[str, str], end: dt.date) -> list[Entry]:
    """Twelve weeks of a client's history up to `end`, and the edge of a single point."""
    rng = random.Random(7)
    name = clients[0].display_name
    days = _days(end, 84)
    weigh_ins = [  # most mornings: one day a week without a weigh-in
        (d, round(84 - 0.05 * n + rng.uniform(-0.6, 0.6), 1)) for n, d in enumerate(days) if n % 7 != 3
    ]
    readiness = [(d, min(5.0, max(1.0, round(3.6 + rng.gauss(0, 0.5), 2)))) for d in days]
    lifts = _lifts(end, 12, rng)
    heat_days = 28  # as /client show draws it (cogs/coach.py)
    outcomes = _outcomes(list(labels), end - dt.timedelta(days=1), heat_days, rng)
    progress, show = "attached to the reply to /progress", "attached to the reply to /client show"
    drawn = [
        ("chart-lift-12-weeks", "/progress of an exercise: twelve weeks of top sets, e1RM and PRs", progress,
         lift_charts.lift_chart(f"Back Squat — {name}", lifts, Unit.kg)),
        ("chart-lift-one-session", "/progress of an exercise logged once", progress,
         lift_charts.lift_chart(f"Back Squat — {name}", lifts[-1:], Unit.kg)),
        ("chart-bodyweight-12-weeks", "/progress bodyweight: twelve weeks of weigh-ins, in lb", progress,
         client_charts.bodyweight_chart(f"Bodyweight — {name}", weigh_ins, "lb")),
        ("chart-bodyweight-one-weigh-in", "/progress bodyweight after the first weigh-in", progress,
         client_charts.bodyweight_chart(f"Bodyweight — {name}", weigh_ins[-1:], "kg")),
        ("chart-readiness-12-weeks", "/progress readiness: twelve weeks of check-ins", progress,
         client_charts.readiness_chart(f"Readiness — {name}", readiness)),
        ("chart-adherence-long-standing", "The heatmap of /client show for a client of months, with a pause",
         show, client_charts.adherence_heatmap(
             f"Adherence — {name}", outcomes, end - dt.timedelta(days=heat_days), end, labels)),
    ]  # fmt: skip
    return [Entry(file, CHARTS, title, where, png=png) for file, title, where, png in drawn]
