"""The house rules, measured from the code as it stands (README, "Architecture"):

- every engine in the registry declares everything the rest of the system asks of it;
- no module outside an engine's own modules names it (engine names come from the registry);
- no SQL text outside the data layer (bot/repo, bot/db), no database connection in a cog;
- pure rules (bot/domain) import neither discord nor asyncpg, nothing in bot/ imports a cog, and
  the scheduling core (bot/core) imports no engine;
- one module holds every persistent custom_id, and each belongs to exactly one engine;
- an engine's eligibility rule means the same in SQL (the planner) as in Python (the preview).
"""

from __future__ import annotations

import ast
import asyncio
import datetime as dt
import re
from pathlib import Path

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.config import Settings
from bot.core.engine import ActionKind, EngineRegistry
from bot.domain.eligibility import EVERYONE, AllOf, HasValue, IsLocalDate, IsTrue, IsWeekday, WeekdayIn
from bot.domain.models import ClientProfile
from bot.engines import build_registry
from bot.repo.eligibility import to_sql
from bot.views import custom_ids

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted([*(ROOT / "bot").rglob("*.py"), *(ROOT / "cogs").rglob("*.py")])


def registry() -> EngineRegistry:
    return build_registry(Settings(_env_file=None))  # type: ignore[call-arg]


def relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def test_every_engine_declares_everything_the_system_asks_of_it() -> None:
    engines = list(registry())
    assert engines, "the registry is empty"
    for engine in engines:
        assert engine.name and engine.label, engine
        assert engine.actions, f"{engine.name} has no actions"
        for spec in engine.actions:
            assert spec.action in engine.handlers, f"{spec.name} has no handler"
        assert engine.renderers, f"{engine.name} declares none of the messages it sends"
        assert set(engine.triggerable) <= {s.action for s in engine.actions if s.kind == ActionKind.drop}
        drops = [s for s in engine.actions if s.kind == ActionKind.drop]
        if drops:  # it sends clients something to log against: it counts, has a cog and its ids
            assert engine.compliance is not None, f"{engine.name} sends drops but does not count"
            assert engine.cog is not None and (ROOT / f"{engine.cog.replace('.', '/')}.py").exists()
            assert engine.custom_ids, f"{engine.name} sends drops with no persistent ids"
            assert engine.triggerable, f"{engine.name}'s drops cannot be sent by /trigger"
            assert {"close"} <= {s.action for s in engine.actions if s.kind == ActionKind.mark}


def _own_modules(name: str) -> set[str]:
    """An engine's own modules: bot/engines/<name>*.py, bot/repo/<name>*.py, cogs/<name>*.py."""
    own = set()
    for folder in ("bot/engines", "bot/repo", "cogs"):
        own |= {relative(p) for p in (ROOT / folder).glob(f"{name}*.py")}
    return own


# Modules that may name engines, and why. Anything else that does fails the test below.
NAMES_ENGINES_BY_DESIGN = {
    "bot/engines/__init__.py": "the registry: the one list of engines",
    "bot/simulator/clients.py": "the simulator plays the clients of particular engines",
    "bot/simulator/simulate.py": "the simulator's printout of what its clients logged",
    "bot/repo/simulation.py": "the simulator's report of the logs written",
    "bot/engines/weekly.py": "a coach's answer to a weekly check-in goes on the private line (notes)",
}
# The plan library (meal plans and cardio plans) is a capability of its own whose two kinds share
# their names with the engines that send them: `kind: meals` is the plan file format.
PLAN_KIND_MODULES = {
    "bot/domain/plans.py",
    "bot/repo/plans.py",
    "bot/usecases/plans.py",
    "bot/usecases/coaching.py",
    "cogs/plans.py",
}


def _names_in(path: Path, names: set[str]) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in names:
            found.add(node.value)
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                for module in (node.module, f"{node.module}.{alias.name}"):
                    parts = module.split(".")
                    if parts[:2] in (["bot", "engines"], ["bot", "repo"]) and len(parts) == 3:
                        found |= {n for n in names if parts[2] == n or parts[2].startswith(f"{n}_")}
                    if parts[0] == "cogs" and len(parts) == 2:
                        found |= {n for n in names if parts[1] == n}
    return found


def test_no_module_outside_an_engines_own_modules_names_it() -> None:
    names = {e.name for e in registry()}
    offenders = []
    for path in SOURCES:
        where = relative(path)
        if where in NAMES_ENGINES_BY_DESIGN:
            continue
        for name in _names_in(path, names):
            if where in _own_modules(name):
                continue
            if where in PLAN_KIND_MODULES and name in {"meals", "cardio"}:
                continue
            offenders.append(f"{where} names {name!r}")
    assert offenders == []


# The same patterns the before-stop check uses: SQL statements in string literals.
SQL = re.compile(
    r'"""\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b'
    r'|"(SELECT|INSERT INTO|UPDATE [a-z_]+ SET|DELETE FROM|WITH [a-z_]+ AS) '
)


def test_sql_lives_in_the_data_layer_only() -> None:
    outside = [
        relative(p)
        for p in SOURCES
        if not relative(p).startswith(("bot/repo/", "bot/db/")) and SQL.search(p.read_text())
    ]
    assert outside == []


def test_cogs_take_no_database_connections() -> None:
    taken = [
        f"{relative(p)}:{number}"
        for p in (ROOT / "cogs").glob("*.py")
        for number, line in enumerate(p.read_text().splitlines(), start=1)
        if re.search(r"pool\.acquire|\.acquire\(\)|\.transaction\(\)|import asyncpg|from bot\.repo", line)
    ]
    assert taken == []


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}
    return found


@pytest.mark.parametrize(
    ("folder", "forbidden"),
    [
        ("bot/domain", ("discord", "asyncpg", "bot.core", "bot.engines", "bot.repo", "bot.usecases")),
        ("bot/core", ("bot.engines", "cogs", "discord")),
        ("bot", ("cogs",)),
        ("bot/views", ("discord", "asyncpg", "bot.repo", "bot.engines")),
    ],
)
def test_import_rules(folder: str, forbidden: tuple[str, ...]) -> None:
    broken = [
        f"{relative(p)} imports {module}"
        for p in (ROOT / folder).rglob("*.py")
        for module in _imports(p)
        if any(module == f or module.startswith(f"{f}.") for f in forbidden)
    ]
    assert broken == []


def test_every_custom_id_belongs_to_exactly_one_engine() -> None:
    declared = [cid for engine in registry() for cid in engine.custom_ids]
    assert sorted(c.prefix for c in declared) == sorted(c.prefix for c in custom_ids.ALL)
    assert len({c.prefix for c in declared}) == len(declared)
    for layout in custom_ids.ALL:
        text = layout.format(user_id=18_446_744_073_709_551_615, day=dt.date(2026, 12, 31), index=24)
        assert len(text) <= 100 and layout.match(text) is not None
        # With the longest reference a sent message's first button carries (bot.views.markers).
        referenced = f"{text}~rg{2**63 - 1}.99"[: len(text) + 26]
        assert len(referenced) <= 100 and layout.match(referenced) is not None
    spelled = [
        relative(p)
        for p in SOURCES
        if relative(p) != "bot/views/custom_ids.py" and re.search(r"rg:[a-z]{2}:", p.read_text())
    ]
    assert spelled == [], "custom_id layouts are written once, in bot/views/custom_ids.py"


# --- eligibility: one rule, the same answer in SQL and in Python ------------------------------------

profiles = st.builds(
    ClientProfile,
    user_id=st.integers(1, 10**12),
    timezone=st.just("UTC"),
    start_date=st.just(dt.date(2026, 1, 1)),
    paused=st.booleans(),
    paused_until=st.none() | st.dates(dt.date(2026, 5, 1), dt.date(2026, 5, 14)),
    schedule_days=st.lists(st.integers(1, 7), unique=True, max_size=7),
    meal_plan_id=st.none() | st.just("cut_2200"),
    cardio_plan_id=st.none() | st.just("zone2_base"),
    review_weekday=st.none() | st.integers(1, 7),
)
RULES = [
    EVERYONE,
    HasValue("meal_plan_id"),
    WeekdayIn("schedule_days"),
    IsWeekday("review_weekday", 1),
    IsWeekday("review_weekday", 7),
    AllOf((IsTrue("paused"), IsLocalDate("paused_until"))),
    *(e.applies for e in registry()),
]


def test_a_rule_naming_an_unknown_field_fails_at_once() -> None:
    with pytest.raises(ValueError, match="not a field"):
        HasValue("meal_plan")


def test_eligibility_rules_mean_the_same_in_sql_and_in_python(database_dsn: str) -> None:
    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(client=profiles, day=st.dates(dt.date(2026, 5, 1), dt.date(2026, 5, 14)))
    def same_answer(client: ClientProfile, day: dt.date) -> None:
        asyncio.run(_compare(database_dsn, client, day))

    same_answer()


async def _compare(dsn: str, client: ClientProfile, day: dt.date) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        for rule in RULES:
            in_sql = await conn.fetchval(
                f"SELECT {to_sql(rule)} FROM (SELECT $1::date AS local_date) z, "
                "(SELECT $2::bool AS paused, $3::date AS paused_until, $4::smallint[] AS schedule_days, "
                "$5::text AS meal_plan_id, $6::text AS cardio_plan_id, $7::smallint AS review_weekday) c",
                day, client.paused, client.paused_until, client.schedule_days,
                client.meal_plan_id, client.cardio_plan_id, client.review_weekday,
            )  # fmt: skip
            assert bool(in_sql) == rule.holds(client, day), (rule, client, day)
    finally:
        await conn.close()
