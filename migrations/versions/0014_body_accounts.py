"""The registry of the bodies' accounts in the networks (clause 5) and the history of a tenant's deadline values.

Revision ID: 0014_body_accounts
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from models.base import UTCDateTime

revision = "0014_body_accounts"
down_revision = "0013_tenant_library"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "body_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("body_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("url", sa.String(500), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], name="fk_body_account_tenant_id"),
        sa.ForeignKeyConstraint(["body_id"], ["body.id"], name="fk_body_account_body_id"),
        sa.ForeignKeyConstraint(["channel_id"], ["channel.id"], name="fk_body_account_channel_id"),
        sa.PrimaryKeyConstraint("id", name="pk_body_account"),
        sa.UniqueConstraint("tenant_id", "url", name="uq_body_account_tenant_id"),
    )
    for column in ("tenant_id", "body_id", "channel_id"):
        op.create_index(f"ix_body_account_{column}", "body_account", [column])
    op.create_table(
        "deadline_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(60), nullable=False),
        sa.Column("old", sa.JSON(), nullable=True),
        sa.Column("new", sa.JSON(), nullable=True),
        sa.Column("changed_by_id", sa.Integer(), nullable=True),
        sa.Column("changed_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], name="fk_deadline_change_tenant_id"),
        sa.ForeignKeyConstraint(["changed_by_id"], ["user_account.id"], name="fk_deadline_change_changed_by_id"),
        sa.PrimaryKeyConstraint("id", name="pk_deadline_change"),
    )
    op.create_index("ix_deadline_change_tenant_id", "deadline_change", ["tenant_id"])


def downgrade() -> None:
    op.drop_table("deadline_change")
    op.drop_table("body_account")
