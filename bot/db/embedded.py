"""Embedded PostgreSQL (pgserver) for development, the simulator and tests.

pgserver ships the server binaries in its wheel, starts in about a second and works as root,
so `python -m bot simulate` and the tests need nothing installed but Python.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from loguru import logger

# platformdirs (used by pgserver) warns when XDG_RUNTIME_DIR is unset, as in containers and CI;
# pgserver then keeps its lock files under /tmp, which is fine.
warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")


class EmbeddedPostgres:
    """A PostgreSQL server whose data lives in `data_dir`; stopped by `stop()`."""

    def __init__(self, data_dir: Path, *, delete_on_stop: bool = False) -> None:
        self.data_dir = Path(data_dir)
        self._delete_on_stop = delete_on_stop
        self._server: Any = None

    def start(self) -> str:
        import pgserver  # imported lazily: production with DATABASE_URL never needs it

        self.data_dir.mkdir(parents=True, exist_ok=True)
        mode = "delete" if self._delete_on_stop else "stop"
        self._server = pgserver.get_server(str(self.data_dir.resolve()), cleanup_mode=mode)
        logger.info("embedded PostgreSQL running, data in {}", self.data_dir)
        return self.dsn()

    def dsn(self, database: str = "postgres") -> str:
        if self._server is None:
            raise RuntimeError("embedded PostgreSQL is not running")
        socket_dir = self._server.get_uri().split("host=", 1)[1]
        return f"postgresql://postgres@/{database}?host={socket_dir}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()
            self._server = None


async def without_durability(conn: object) -> None:
    """For a throw-away database (the simulator's, deleted at stop): commits do not wait for the
    disk. A crash would lose the data, which is deleted anyway; what the bot does is unchanged."""
    for statement in (
        "ALTER SYSTEM SET fsync = off",
        "ALTER SYSTEM SET synchronous_commit = off",
        "ALTER SYSTEM SET full_page_writes = off",
        "SELECT pg_reload_conf()",
    ):
        await conn.execute(statement)  # type: ignore[attr-defined]
