"""What the weekly check-in's "week in numbers" reads (bot.domain.week_numbers): two round trips.

Compliance is bot.repo.compliance.outcomes over the week, with the engines' own statements and
the paused days, as /stats and /client show read it. Everything else is one statement:
- the weigh-ins of the week and of the week before, as the bodyweight card and the charts read
  them (compliance.SERIES);
- the week's workouts: delivered (as training counts them), with how many sets were logged;
- the week's PRs, as the honors board reads them (compliance.PRS).
"""

from __future__ import annotations

import datetime as dt

import asyncpg

from bot.domain.models import ClientProfile
from bot.domain.week_numbers import WEEK, Lift, WeekNumbers, tally
from bot.repo import compliance

# $1 the first day of the week before, $2 the check-in day (the end, excluded), $3 the client as a
# one-element array (SERIES and PRS take a list of clients), $4 the first day of the week.
FIGURES = f"""
SELECT w.week_kg, w.weigh_ins, w.before_kg, s.sessions, p.prs
  FROM (SELECT avg(bodyweight) FILTER (WHERE date >= $4) AS week_kg,
               count(bodyweight) FILTER (WHERE date >= $4) AS weigh_ins,
               avg(bodyweight) FILTER (WHERE date < $4) AS before_kg
          FROM ({compliance.SERIES}) series) w,
       (SELECT coalesce(jsonb_agg(jsonb_build_array(t.local_date, t.logged) ORDER BY t.local_date), '[]')
               AS sessions
          FROM (SELECT d.local_date,
                       (SELECT count(*) FROM training_logs l
                         WHERE l.session_id = d.id AND l.status = 'logged') AS logged
                  FROM training_sessions d
                 WHERE d.user_id = ANY($3) AND d.delivered_at IS NOT NULL
                   AND d.local_date >= $4 AND d.local_date < $2) t) s,
       (SELECT coalesce(jsonb_agg(to_jsonb(r) ORDER BY r.date, r.exercise_name), '[]') AS prs
          FROM ({compliance.PRS}) r
         WHERE r.user_id = ANY($3) AND r.date >= $4) p
"""


async def read(
    conn: asyncpg.Connection, outcome_sources: list[str], profile: ClientProfile, day: dt.date
) -> WeekNumbers:
    """The week in numbers of the 7 local days before `day` (the check-in day, not part of it).
    `outcome_sources`: EngineRegistry.outcome_sources()."""
    start = day - WEEK
    user = profile.user_id
    found = await compliance.outcomes(conn, outcome_sources, start, day, [user])
    row = await conn.fetchrow(FIGURES, start - WEEK, day, [user], start)
    return tally(
        day,
        found.get(user, []),
        bodyweight_kg=row["week_kg"],
        weigh_ins=row["weigh_ins"],
        previous_kg=row["before_kg"],
        sessions=[(dt.date.fromisoformat(when), int(logged)) for when, logged in row["sessions"]],
        prs=[Lift.of(r) for r in row["prs"]],
    )
