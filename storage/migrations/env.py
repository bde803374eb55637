"""Alembic environment: runs migrations on the connection `Database.migrate()` hands over."""

from alembic import context
from sqlalchemy import create_engine
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers the tables on SQLModel.metadata)
import storage.notices  # noqa: F401

config = context.config
target_metadata = SQLModel.metadata


def run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run(connection)
else:  # `alembic` on the command line: -x url=sqlite:///shepherd.db
    url = context.get_x_argument(as_dictionary=True).get("url", "sqlite:///shepherd.db")
    with create_engine(url).connect() as conn:
        run(conn)
        conn.commit()
