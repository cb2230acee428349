"""The bodies' reply templates by theme, which executors start a draft from.

Revision ID: 0021_reply_templates
Revises: 0017_working_day
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from models.base import UTCDateTime

revision = "0021_reply_templates"
down_revision = "0020_inbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reply_template",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("body_id", sa.Integer(), nullable=False),
        sa.Column("theme_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], name="fk_reply_template_tenant_id"),
        sa.ForeignKeyConstraint(["body_id"], ["body.id"], name="fk_reply_template_body_id"),
        sa.ForeignKeyConstraint(["theme_id"], ["theme.id"], name="fk_reply_template_theme_id"),
        sa.ForeignKeyConstraint(["updated_by_id"], ["user_account.id"], name="fk_reply_template_updated_by_id"),
        sa.PrimaryKeyConstraint("id", name="pk_reply_template"),
    )
    for column in ("tenant_id", "body_id"):
        op.create_index(f"ix_reply_template_{column}", "reply_template", [column])


def downgrade() -> None:
    op.drop_table("reply_template")
