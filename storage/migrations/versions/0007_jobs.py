"""acknowledged work kept until it is done (job), and the processes doing it (worker)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 14:40:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("notes", sa.Text(), server_default="{}", nullable=False),
        sa.Column("received_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("claimed_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_job_team_claim", "job", ["team_id", "claimed_by", "id"], unique=False)
    op.create_table(
        "worker",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("beat_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_worker_beat_at"), "worker", ["beat_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_worker_beat_at"), table_name="worker")
    op.drop_table("worker")
    op.drop_index("ix_job_team_claim", table_name="job")
    op.drop_table("job")
