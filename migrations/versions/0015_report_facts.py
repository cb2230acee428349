"""Report facts at event time (case_fact, step_fact) and published report editions.

Revision ID: 0015_report_facts
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from models.base import UTCDateTime

revision = "0015_report_facts"
down_revision = "0014_body_accounts"
branch_labels = None
depends_on = None


def _moment(name: str, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, UTCDateTime(timezone=True), nullable=nullable)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=f"fk_{table}_{column}")


def upgrade() -> None:
    op.create_table(
        "case_fact",
        sa.Column("case_id", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=True),
        sa.Column("theme_id", sa.Integer(), nullable=True),
        sa.Column("location_id", sa.Integer(), nullable=True),
        sa.Column("body_id", sa.Integer(), nullable=True),
        sa.Column("importance", sa.String(10), nullable=True),
        _moment("registered_at", False),
        sa.Column("local_day", sa.Integer(), nullable=False),
        sa.Column("local_month", sa.Integer(), nullable=False),
        _moment("sent_at"), _moment("due_at"), _moment("first_reply_at"),
        sa.Column("reply_wh_min", sa.Integer(), nullable=True),
        _moment("final_reply_at"),
        sa.Column("interim", sa.Boolean(), nullable=False),
        sa.Column("overdue", sa.Boolean(), nullable=False),
        sa.Column("breaches", sa.Integer(), nullable=False),
        sa.Column("approved", sa.Integer(), nullable=False),
        sa.Column("returned", sa.Integer(), nullable=False),
        sa.Column("reassigned", sa.Integer(), nullable=False),
        sa.Column("defects", sa.Boolean(), nullable=True),
        sa.Column("repeat", sa.Boolean(), nullable=False),
        sa.Column("socially_significant", sa.Boolean(), nullable=False),
        sa.Column("not_subject", sa.Boolean(), nullable=False),
        sa.Column("outcome", sa.String(60), nullable=True),
        _moment("closed_at"),
        _fk("case_fact", "case_id", "case_file"), _fk("case_fact", "tenant_id", "tenant"),
        _fk("case_fact", "channel_id", "channel"), _fk("case_fact", "theme_id", "theme"),
        _fk("case_fact", "location_id", "location"), _fk("case_fact", "body_id", "body"),
        sa.PrimaryKeyConstraint("case_id", name="pk_case_fact"),
    )
    op.create_index("ix_case_fact_month_body", "case_fact", ["local_month", "body_id"])
    op.create_index("ix_case_fact_tenant_month", "case_fact", ["tenant_id", "local_month"])
    op.create_table(
        "step_fact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("task_guid", sa.String(36), nullable=False),
        sa.Column("step", sa.String(100), nullable=False),
        sa.Column("clause", sa.String(20), nullable=False),
        sa.Column("body_id", sa.Integer(), nullable=True),
        _moment("started_at", False), _moment("due_at", False), _moment("done_at"),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("wh_used_min", sa.Integer(), nullable=True),
        sa.Column("breached", sa.Boolean(), nullable=False),
        sa.Column("local_day", sa.Integer(), nullable=False),
        sa.Column("local_month", sa.Integer(), nullable=False),
        _fk("step_fact", "tenant_id", "tenant"), _fk("step_fact", "case_id", "case_file"),
        _fk("step_fact", "body_id", "body"),
        sa.PrimaryKeyConstraint("id", name="pk_step_fact"),
        sa.UniqueConstraint("task_guid", name="uq_step_fact_task_guid"),
    )
    op.create_index("ix_step_fact_case_id", "step_fact", ["case_id"])
    op.create_index("ix_step_fact_month_body", "step_fact", ["local_month", "body_id"])
    op.create_index("ix_step_fact_tenant_month", "step_fact", ["tenant_id", "local_month"])
    op.create_table(
        "report_edition",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("period", sa.String(10), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("formula_version", sa.String(20), nullable=False),
        sa.Column("calendar_revision", sa.Integer(), nullable=False),
        _moment("cut_off", False),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=False),
        _fk("report_edition", "tenant_id", "tenant"), _fk("report_edition", "published_by_id", "user_account"),
        sa.PrimaryKeyConstraint("id", name="pk_report_edition"),
    )
    op.create_index("ix_report_edition_tenant_id", "report_edition", ["tenant_id"])


def downgrade() -> None:
    op.drop_table("report_edition")
    op.drop_table("step_fact")
    op.drop_table("case_fact")
