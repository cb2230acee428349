"""The bodies the curator sent a case to, in their order (clause 8.9), kept on the case for its summary.

Revision ID: 0017_working_day
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_working_day"
down_revision = "0016_breach_register"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("case_file") as batch:
        batch.add_column(sa.Column("bodies", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("case_file") as batch:
        batch.drop_column("bodies")
