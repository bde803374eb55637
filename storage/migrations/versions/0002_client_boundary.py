"""the client boundary: client contacts, the internal channel, what Slack says about people and channels

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 08:20:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "clientcontact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("added_by", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("added_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("project_id", "user_id", name="uq_clientcontact_project_user"),
    )
    with op.batch_alter_table("project", schema=None) as batch_op:
        batch_op.add_column(sa.Column("internal_channel_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
        batch_op.add_column(sa.Column("channel_shared", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("channel_checked_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    with op.batch_alter_table("userprofile", schema=None) as batch_op:
        batch_op.add_column(sa.Column("slack_team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
        batch_op.add_column(sa.Column("guest", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("bot", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("userprofile", schema=None) as batch_op:
        batch_op.drop_column("bot")
        batch_op.drop_column("guest")
        batch_op.drop_column("slack_team_id")
    with op.batch_alter_table("project", schema=None) as batch_op:
        batch_op.drop_column("channel_checked_at")
        batch_op.drop_column("channel_shared")
        batch_op.drop_column("internal_channel_id")
    op.drop_table("clientcontact")
