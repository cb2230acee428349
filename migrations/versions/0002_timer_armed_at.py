"""Timer arming moment, so deadlines can be recalculated after a calendar change.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.base

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("timer") as batch:
        batch.add_column(sa.Column("armed_at", models.base.UTCDateTime(timezone=True), nullable=True))
    op.execute("UPDATE timer SET armed_at = due_at")
    with op.batch_alter_table("timer") as batch:
        batch.alter_column("armed_at", nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("timer") as batch:
        batch.drop_column("armed_at")
