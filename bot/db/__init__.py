"""Database access: the pool, the embedded server for development and tests, migrations."""
