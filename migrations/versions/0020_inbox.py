"""The inbox: the case's classification on its tasks, saved views, the indexes of the inbox, its search and the
clause-14 surge check.

Revision ID: 0020_inbox
Revises: 0017_working_day
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from models.base import UTCDateTime

revision = "0020_inbox"
down_revision = "0018_case_transfer"
branch_labels = None
depends_on = None

COPIED = ("channel_id", "theme_id", "location_id", "importance")


def upgrade() -> None:
    with op.batch_alter_table("human_task") as batch:
        for column in ("channel_id", "theme_id", "location_id"):
            batch.add_column(sa.Column(column, sa.Integer(), nullable=True))
            batch.create_foreign_key(f"fk_human_task_{column}", column.removesuffix("_id"), [column], ["id"])
        batch.add_column(sa.Column("importance", sa.String(10), nullable=True))
        batch.add_column(sa.Column("significant", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("posted_at", UTCDateTime(timezone=True), nullable=True))
    copied = ", ".join(f"{name} = (SELECT c.{name} FROM case_file c WHERE c.id = human_task.case_id)"
                       for name in COPIED)
    op.execute(f"UPDATE human_task SET {copied}, "
               "significant = (SELECT c.socially_significant FROM case_file c WHERE c.id = human_task.case_id), "
               "posted_at = (SELECT c.published_at FROM case_file c WHERE c.id = human_task.case_id) "
               "WHERE state = 'open'")
    op.create_index("ix_human_task_due", "human_task", ["tenant_id", "state", "role", "due_at"])
    op.create_index("ix_case_file_theme_sent", "case_file", ["tenant_id", "theme_id", "sent_at"])
    op.create_index("ix_case_file_location_sent", "case_file", ["tenant_id", "location_id", "sent_at"])
    op.create_table(
        "inbox_view",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("user_account.id"), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("user_id", "name"),
    )
    if op.get_bind().dialect.name == "postgresql":  # the inbox's search: substrings of the message and its author
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE INDEX ix_case_file_text_trgm ON case_file USING gin (lower(text) gin_trgm_ops)")
        op.execute("CREATE INDEX ix_case_file_author_trgm ON case_file USING gin (lower(author) gin_trgm_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_case_file_author_trgm")
        op.execute("DROP INDEX ix_case_file_text_trgm")
    op.drop_table("inbox_view")
    op.drop_index("ix_case_file_location_sent", "case_file")
    op.drop_index("ix_case_file_theme_sent", "case_file")
    op.drop_index("ix_human_task_due", "human_task")
    with op.batch_alter_table("human_task") as batch:
        for name in ("posted_at", "significant", "importance", "location_id", "theme_id", "channel_id"):
            batch.drop_column(name)
