"""What pytest collects from the repository root: the tests, and the `>>>` examples in the source
packages' docstrings (`--doctest-modules`), except Alembic's scripts, which only run inside Alembic
(`storage/migrations/env.py` reads Alembic's context at import)."""

collect_ignore = ["storage/migrations"]
