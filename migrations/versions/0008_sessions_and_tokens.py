"""Login sessions that logging out ends, API tokens that expire, and counters of failed logins for throttling.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

from models.base import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name="fk_login_session_user_id"),
        sa.PrimaryKeyConstraint("id", name="pk_login_session"),
        sa.UniqueConstraint("key_hash", name="uq_login_session_key_hash"),
    )
    op.create_index("ix_login_session_user_id", "login_session", ["user_id"])
    op.create_table(
        "login_failure",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_login_failure"),
    )
    with op.batch_alter_table("api_token") as batch:
        batch.add_column(sa.Column("name", sa.String(length=100), nullable=False, server_default=""))
        batch.add_column(sa.Column("expires_at", UTCDateTime(timezone=True), nullable=True))
    # Tokens issued before lifetimes existed get the default lifetime from now on.
    token = sa.table("api_token", sa.column("expires_at", UTCDateTime(timezone=True)))
    op.execute(token.update().values(expires_at=datetime.now(UTC) + timedelta(days=30)))
    with op.batch_alter_table("api_token") as batch:
        batch.alter_column("expires_at", existing_type=UTCDateTime(timezone=True), nullable=False)
    with op.batch_alter_table("user_account") as batch:  # the login_session table replaces it
        batch.drop_column("session_version")


def downgrade() -> None:
    with op.batch_alter_table("user_account") as batch:
        batch.add_column(sa.Column("session_version", sa.Integer(), nullable=False, server_default="1"))
    with op.batch_alter_table("api_token") as batch:
        batch.drop_column("expires_at")
        batch.drop_column("name")
    op.drop_table("login_failure")
    op.drop_index("ix_login_session_user_id", table_name="login_session")
    op.drop_table("login_session")
