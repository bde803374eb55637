"""plan changes: removed steps, client holds, baselines and date proposals, skipped stages,
budget alerts, deliverables that complete a step

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-28 09:20:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("step", schema=None) as batch_op:
        batch_op.add_column(sa.Column("removed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("removed_by", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
    with op.batch_alter_table("project", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("skipped_stages", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("budget_alerted", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("slip_alerted", sa.Integer(), nullable=True))
    with op.batch_alter_table("deliverable", schema=None) as batch_op:
        batch_op.add_column(sa.Column("step_number", sa.Integer(), nullable=True))
    op.create_table(
        "hold",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("step_id", sa.Integer(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("started_by", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("started_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("ended_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["step_id"], ["step.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("hold", schema=None) as batch_op:
        batch_op.create_index("ix_hold_project", ["project_id", "started_at"], unique=False)
    op.create_table(
        "proposal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("old_target", sa.Date(), nullable=True),
        sa.Column("new_target", sa.Date(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("slip_days", sa.Integer(), nullable=True),
        sa.Column("held_days", sa.Integer(), nullable=False),
        sa.Column("proposed_by", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("proposed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("decided_by", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("decided_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("channel_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("message_ts", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("refresh_due_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("proposal", schema=None) as batch_op:
        batch_op.create_index("ix_proposal_project_state", ["project_id", "state"], unique=False)
        batch_op.create_index(
            "uq_proposal_project_pending",
            ["project_id"],
            unique=True,
            sqlite_where=sa.text("state = 'pending'"),
            postgresql_where=sa.text("state = 'pending'"),
        )
    op.create_table(
        "baseline",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("target_date", sa.Date(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("agreed_by", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("agreed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["proposal_id"], ["proposal.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("baseline", schema=None) as batch_op:
        batch_op.create_index("ix_baseline_project", ["project_id", "agreed_at"], unique=False)
    # Every project with a target has been promised it: that is its first baseline.
    op.execute(
        "INSERT INTO baseline (team_id, project_id, target_date, reason, agreed_by, agreed_at)"
        " SELECT team_id, id, target_date, 'at kick-off', owner_id, created_at FROM project WHERE target_date IS NOT NULL"
    )


def downgrade() -> None:
    op.drop_table("baseline")
    op.drop_table("proposal")
    op.drop_table("hold")
    with op.batch_alter_table("deliverable", schema=None) as batch_op:
        batch_op.drop_column("step_number")
    with op.batch_alter_table("project", schema=None) as batch_op:
        batch_op.drop_column("slip_alerted")
        batch_op.drop_column("budget_alerted")
        batch_op.drop_column("skipped_stages")
    with op.batch_alter_table("step", schema=None) as batch_op:
        batch_op.drop_column("removed_by")
        batch_op.drop_column("removed_at")
