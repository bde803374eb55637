"""a step links to the Slack message it was made from ("Add as a step")

Numbered 0004 (the number this change was given), it follows 0005, which already revises 0003:
one line of migrations, one head.

Revision ID: 0004
Revises: 0005
Create Date: 2026-11-28 10:30:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0004"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("step", schema=None) as batch_op:
        batch_op.add_column(sa.Column("link", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("step", schema=None) as batch_op:
        batch_op.drop_column("link")
