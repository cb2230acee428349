"""Drafts of process libraries that methodologists edit in the browser, one per process.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from models.base import UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "process_draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("process_id", sa.String(100), nullable=False),
        sa.Column("base_version_id", sa.Integer(), nullable=False),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("saved_by_id", sa.Integer(), nullable=False),
        sa.Column("saved_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("comment", sa.String(500), nullable=False),
        sa.ForeignKeyConstraint(["base_version_id"], ["process_version.id"], name="fk_process_draft_base_version_id"),
        sa.ForeignKeyConstraint(["created_by_id"], ["user_account.id"], name="fk_process_draft_created_by_id"),
        sa.ForeignKeyConstraint(["saved_by_id"], ["user_account.id"], name="fk_process_draft_saved_by_id"),
        sa.PrimaryKeyConstraint("id", name="pk_process_draft"),
        sa.UniqueConstraint("process_id", name="uq_process_draft_process_id"),
    )


def downgrade() -> None:
    op.drop_table("process_draft")
