"""Command line: `python -m bot [run [--dispatch-only] | simulate | preview [--out DIR] | migrate |
sync | blocks import FILE | plans import FILE]`."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
from pathlib import Path

from loguru import logger

from bot.config import ConfigError, load_settings
from bot.db import DatabaseUnreachable
from bot.logs import redact, register_secret, setup_logging


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="The Regiment coaching bot")
    sub = parser.add_subparsers(dest="command")

    run = sub.add_parser("run", help="run the bot (the default)")
    run.add_argument(
        "--dispatch-only", action="store_true", help="REST-only worker: dispatch jobs, no gateway"
    )

    sim = sub.add_parser("simulate", help="run the scheduler on a virtual clock over a demo roster")
    sim.add_argument("--days", type=int, default=7)
    sim.add_argument("--clients", type=int, default=24)
    sim.add_argument("--seed", type=int, default=7)
    sim.add_argument("--start", type=dt.date.fromisoformat, default=dt.date(2026, 3, 26), help="YYYY-MM-DD")
    sim.add_argument("--roster", type=Path, help="YAML or JSON list of client profiles")
    sim.add_argument(
        "--down", action="append", default=[], metavar="FROM/TO", help="UTC interval with no process"
    )
    sim.add_argument("--events", type=Path, help="write one JSON line per job outcome")
    sim.add_argument("--quiet", action="store_true", help="print only the summary")

    gallery = sub.add_parser(
        "preview", help="write every message and chart the bot sends, for a demo week, to a folder"
    )
    gallery.add_argument("--out", type=Path, default=Path("preview"), help="the folder (default: preview/)")

    sub.add_parser("migrate", help="apply database migrations and exit")
    sub.add_parser("sync", help="sync application commands with Discord and exit")
    blocks = sub.add_parser("blocks", help="training blocks")
    blocks_sub = blocks.add_subparsers(dest="blocks_command", required=True)
    imp = blocks_sub.add_parser("import", help="validate a block file and import it as a new version")
    imp.add_argument("file", type=Path)
    plans = sub.add_parser("plans", help="meal plans and cardio prescriptions")
    plans_sub = plans.add_subparsers(dest="plans_command", required=True)
    plan_import = plans_sub.add_parser("import", help="validate a plan file and import it as a new version")
    plan_import.add_argument("file", type=Path)
    plan_import.add_argument("--assign", type=int, action="append", default=[], metavar="USER_ID")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    command = args.command or "run"
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    if settings.discord_token is not None:
        register_secret(settings.discord_token.get_secret_value())
    quiet = command in ("simulate", "preview")  # they print what they do; the bot's log would drown it
    setup_logging("WARNING" if quiet else settings.log_level, settings.log_format)

    try:
        if command == "simulate":
            from bot.simulator.simulate import SimulationOptions, parse_down, simulate

            options = SimulationOptions(
                days=args.days,
                clients=args.clients,
                seed=args.seed,
                start=args.start,
                roster=args.roster,
                downs=[parse_down(d) for d in args.down],
                events=args.events,
                verbose=not args.quiet,
            )
            asyncio.run(simulate(options))
            return 0
        if command == "preview":
            from bot.preview import preview

            entries = asyncio.run(preview(settings, args.out))
            charts = sum(1 for e in entries if e.png is not None)
            print(
                f"Wrote {len(entries) - charts} messages (JSON) and {charts} charts (PNG) to {args.out}/: "
                f"open {args.out / 'index.md'}"
            )
            return 0
        if command == "migrate":
            from bot.app import migrate_only

            asyncio.run(migrate_only(settings))
            return 0
        if command == "run":
            from bot.app import run_bot

            asyncio.run(run_bot(settings, dispatch_only=getattr(args, "dispatch_only", False)))
            return 0
        if command == "blocks":
            from bot.app import import_block_file

            return import_block_file(settings, args.file)
        if command == "plans":
            from bot.app import import_plan_file

            return import_plan_file(settings, args.file, args.assign)
        if command == "sync":
            from bot.app import sync_commands

            asyncio.run(sync_commands(settings))
            return 0
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    except DatabaseUnreachable as exc:
        print(redact(str(exc)), file=sys.stderr)
        return 3
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        if type(exc).__name__ == "LoginFailure":  # discord.LoginFailure, without importing discord here
            print(
                "error: Discord refused DISCORD_TOKEN (401): reset it in the Developer Portal",
                file=sys.stderr,
            )
            return 2
        logger.exception("fatal error")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
