"""Working together (order 4.3): cases the Directorate transfers to municipalities; indexes for its overview.

Revision ID: 0018_case_transfer
Revises: 0012_municipalities
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from models.base import UTCDateTime

revision = "0018_case_transfer"
down_revision = "0017_working_day"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_transfer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.Column("municipal_case_id", sa.Integer(), nullable=False),
        sa.Column("sent_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_by_id", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("returned_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("return_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["case_file.id"], name="fk_case_transfer_case_id"),
        sa.ForeignKeyConstraint(["municipality_id"], ["tenant.id"], name="fk_case_transfer_municipality_id"),
        sa.ForeignKeyConstraint(["municipal_case_id"], ["case_file.id"],
                                name="fk_case_transfer_municipal_case_id"),
        sa.ForeignKeyConstraint(["sent_by_id"], ["user_account.id"], name="fk_case_transfer_sent_by_id"),
        sa.PrimaryKeyConstraint("id", name="pk_case_transfer"),
        sa.UniqueConstraint("municipal_case_id", name="uq_case_transfer_municipal_case_id"),
    )
    op.create_index("ix_case_transfer_case_id", "case_transfer", ["case_id"])
    op.create_index("ix_case_transfer_municipality_id", "case_transfer", ["municipality_id"])
    op.create_index("ix_case_file_tenant_status_due", "case_file", ["tenant_id", "status", "due_at"])
    op.create_index("ix_case_transfer_sent_at", "case_transfer", ["sent_at"])
    op.create_index("ix_case_file_tenant_closed", "case_file", ["tenant_id", "closed_at"])
    op.create_index("ix_breach_recorded_at", "breach", ["recorded_at"])


def downgrade() -> None:
    op.drop_index("ix_breach_recorded_at", table_name="breach")
    op.drop_index("ix_case_file_tenant_closed", table_name="case_file")
    op.drop_index("ix_case_file_tenant_status_due", table_name="case_file")
    op.drop_table("case_transfer")
