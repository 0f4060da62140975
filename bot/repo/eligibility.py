"""An engine's eligibility rule (bot.domain.eligibility) as SQL for the planner: a condition over
`c` (client_profiles) and `z.local_date`. Field names are checked against the profile model when
the rule is built, so only known column names reach the statement."""

from __future__ import annotations

from bot.domain.eligibility import AllOf, Everyone, HasValue, IsLocalDate, IsTrue, IsWeekday, Rule, WeekdayIn


def to_sql(rule: Rule) -> str:
    match rule:
        case Everyone():
            return "true"
        case HasValue(field):
            return f"c.{field} IS NOT NULL"
        case IsTrue(field):
            return f"c.{field}"
        case WeekdayIn(field):
            return f"EXTRACT(ISODOW FROM z.local_date)::smallint = ANY(c.{field})"
        case IsWeekday(field, default):
            return f"EXTRACT(ISODOW FROM z.local_date)::smallint = COALESCE(c.{field}, {int(default)})"
        case IsLocalDate(field):
            return f"c.{field} = z.local_date"
        case AllOf(rules):
            return " AND ".join(f"({to_sql(r)})" for r in rules)
    raise TypeError(f"no SQL for {rule!r}")
