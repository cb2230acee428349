"""When an open case was found stalled (nothing can move it on), so it is reported and listed until repaired.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from models.base import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("case_file") as batch:
        batch.add_column(sa.Column("stalled_at", UTCDateTime(timezone=True), nullable=True))
        batch.create_index("ix_case_file_stalled_at", ["stalled_at"])


def downgrade() -> None:
    with op.batch_alter_table("case_file") as batch:
        batch.drop_index("ix_case_file_stalled_at")
        batch.drop_column("stalled_at")
