"""Database access: the pool, the embedded server for development and tests, migrations."""


class DatabaseUnreachable(Exception):
    """The database could not be reached at start-up; the message names it (without secrets)."""
