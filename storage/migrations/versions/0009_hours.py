"""hours: a time entry per `log`, and every budget change with its reason

Existing projects keep their figures: the hours logged before become one entry each, and a
budget already set becomes the project's original budget.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 21:50:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "timeentry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("person", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("hours", sa.Float(), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("timeentry", schema=None) as batch_op:
        batch_op.create_index("ix_timeentry_project_day", ["project_id", "day"], unique=False)
    op.create_table(
        "budgetchange",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("hours", sa.Float(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("changed_by", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("changed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("budgetchange", schema=None) as batch_op:
        batch_op.create_index("ix_budgetchange_project", ["project_id", "changed_at"], unique=False)
    # What was there before: the hours as one entry by the owner, the budget as the original.
    op.execute(
        "INSERT INTO timeentry (team_id, project_id, person, day, hours, note, created_at) "
        "SELECT team_id, id, owner_id, start_date, hours_used, 'logged before time entries were kept', updated_at "
        "FROM project WHERE hours_used > 0"
    )
    op.execute(
        "INSERT INTO budgetchange (team_id, project_id, hours, reason, changed_by, changed_at) "
        "SELECT team_id, id, budget_hours, NULL, owner_id, created_at FROM project WHERE budget_hours IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("budgetchange", schema=None) as batch_op:
        batch_op.drop_index("ix_budgetchange_project")
    op.drop_table("budgetchange")
    with op.batch_alter_table("timeentry", schema=None) as batch_op:
        batch_op.drop_index("ix_timeentry_project_day")
    op.drop_table("timeentry")
