"""Trial runs of drafts in the workbench's sandbox, one per draft and person.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from models.base import UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sandbox_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("draft_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("files_hash", sa.String(64), nullable=False),
        sa.Column("started_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("clock_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("log", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["draft_id"], ["process_draft.id"], name="fk_sandbox_run_draft_id",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name="fk_sandbox_run_user_id"),
        sa.PrimaryKeyConstraint("id", name="pk_sandbox_run"),
        sa.UniqueConstraint("draft_id", "user_id", name="uq_sandbox_run_draft_id"),
    )


def downgrade() -> None:
    op.drop_table("sandbox_run")
