"""Plan and block imports as use cases (bot.usecases.plans, bot.usecases.blocks), shared by
/plans import, /training import and `python -m bot plans|blocks import`: a bad file or an
unknown assignee writes nothing; a good one is the next version, assigned in the same go."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers import add_clients, profile
from pydantic import SecretStr

from bot.app import import_block_file, import_plan_file
from bot.domain.errors import InputError
from bot.repo import clients
from bot.usecases import blocks as blocks_uc
from bot.usecases import plans as plans_uc
from bot.usecases.files import MAX_FILE, InvalidFile

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
MEALS = (EXAMPLES / "meals_cut_2200.yaml").read_bytes()
CARDIO = (EXAMPLES / "cardio_zone2.yaml").read_bytes()
BLOCK = (EXAMPLES / "upper_lower_4day.json").read_bytes()
LEE = 7201


@dataclass
class Attachment:
    """Just what the use cases need of a discord.Attachment."""

    filename: str
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)

    async def read(self) -> bytes:
        return self.data


async def test_an_unknown_assignee_or_a_bad_file_imports_nothing(pool, clock, replan, snapshot) -> None:
    await add_clients(pool, [profile(LEE, "UTC", dt.date(2026, 5, 1))], clock.now())
    before = await snapshot()
    with pytest.raises(InputError, match="'7202' is not a client: nothing was imported"):
        await plans_uc.import_plan(
            pool, clock, Attachment("m.yaml", MEALS), assign_to=[LEE, LEE + 1], replan=replan
        )
    bad_files = [
        (Attachment("big.yaml", b"#" * (MAX_FILE + 1)), "too large for a plan file"),
        (Attachment("bin.yaml", b"\xff\xfe kind: meals"), "not a text file"),
        (Attachment("what.yaml", b"kind: snacks"), "kind: required"),
    ]
    for file, problem in bad_files:
        with pytest.raises(InvalidFile, match=problem):
            await plans_uc.import_plan(pool, clock, file, assign_to=[LEE], replan=replan)
    with pytest.raises(InvalidFile, match="too large for a block file"):
        await blocks_uc.import_block(pool, clock, Attachment("big.json", b" " * (MAX_FILE + 1)))
    broken = json.loads(BLOCK)
    broken["days"][0]["exercises"][0]["sets"] = 0
    with pytest.raises(InvalidFile) as caught:
        await blocks_uc.import_block(pool, clock, Attachment("b.json", json.dumps(broken).encode()))
    assert any("sets" in p for p in caught.value.problems), caught.value.problems
    assert await snapshot() == before
    assert replan.user_ids == []


async def test_import_assigns_versions_and_replans(pool, clock, replan) -> None:
    await add_clients(pool, [profile(LEE, "UTC", dt.date(2026, 5, 1), display_name="Lee")], clock.now())
    first = await plans_uc.import_plan(
        pool, clock, Attachment("m.yaml", MEALS), assign_to=[LEE], imported_by=1, replan=replan
    )
    again = await plans_uc.import_plan(pool, clock, Attachment("m.yaml", MEALS))
    cardio = await plans_uc.import_plan(
        pool, clock, Attachment("c.yaml", CARDIO), assign_to=[LEE, LEE], replan=replan
    )
    assert (first.plan.kind, first.version, again.version, again.assigned) == ("meals", 1, 2, [])
    assert [p.meal_plan_id for p in first.assigned] == [first.plan.id]
    assert [p.cardio_plan_id for p in cardio.assigned] == [cardio.plan.id]  # once, however often named
    assert replan.user_ids == [LEE, LEE]
    async with pool.acquire() as conn:
        stored = await clients.get(conn, LEE)
    assert stored is not None and (stored.meal_plan_id, stored.cardio_plan_id) == (
        first.plan.id,
        cardio.plan.id,
    )
    listed = await plans_uc.list_plans(pool)
    assert [(p.kind, p.plan_id, p.version) for p in listed] == [
        ("meals", first.plan.id, 2),
        ("cardio", cardio.plan.id, 1),
    ]

    block = await blocks_uc.import_block(pool, clock, Attachment("b.json", BLOCK), imported_by=1)
    assert (block.block.id, block.version, len(block.block.days)) == ("upper_lower_4", 1, 4)
    assert [(b.block_id, b.version) for b in await blocks_uc.list_blocks(pool)] == [("upper_lower_4", 1)]
    assert "upper_lower_4" in await blocks_uc.search_blocks(pool, "upper")


async def test_the_command_line_checks_the_file_before_opening_a_database(settings, tmp_path, capsys) -> None:
    offline = settings.model_copy(update={"database_url": None, "embedded_db_dir": tmp_path / "pg"})
    bad = tmp_path / "plan.yaml"
    bad.write_text("kind: snacks\n", encoding="utf-8")
    assert await asyncio.to_thread(import_plan_file, offline, bad, []) == 2
    assert await asyncio.to_thread(import_block_file, offline, tmp_path / "missing.json") == 2
    err = capsys.readouterr().err
    assert "1 problem(s), nothing imported" in err and "kind: required" in err
    assert "missing.json: cannot read it" in err
    assert not (tmp_path / "pg").exists()  # no database was started for a bad file


async def test_the_command_line_imports_all_or_nothing(
    pool, settings, database_dsn, clock, tmp_path, capsys, snapshot
) -> None:
    await add_clients(pool, [profile(LEE, "UTC", dt.date(2026, 5, 1))], clock.now())
    online = settings.model_copy(update={"database_url": SecretStr(database_dsn)})
    path = tmp_path / "meals.yaml"
    path.write_bytes(MEALS)
    before = await snapshot()
    assert await asyncio.to_thread(import_plan_file, online, path, [LEE, 9]) == 2
    assert "'9' is not a client: nothing was imported" in capsys.readouterr().err
    after = await snapshot()
    for taken in (before, after):  # the command line migrates first, as every process does
        taken.pop("schema_migrations")
    assert after == before
    assert await asyncio.to_thread(import_plan_file, online, path, [LEE]) == 0
    assert "imported meals plan cut_2200" in capsys.readouterr().out
    async with pool.acquire() as conn:
        stored = await clients.get(conn, LEE)
    assert stored is not None and stored.meal_plan_id == "cut_2200"
