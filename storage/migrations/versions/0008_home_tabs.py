"""whose Home tab was opened, and whether its last publish failed (home_tab)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 21:55:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "home_tab",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("opened_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("failed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "user_id", name="uq_home_tab_team_user"),
    )
    op.create_index("ix_home_tab_failed", "home_tab", ["team_id", "failed_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_home_tab_failed", table_name="home_tab")
    op.drop_table("home_tab")
