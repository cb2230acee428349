"""The clause-12 breach register (explanation, verdict, measures, history, the supervising deputy), the clause-14
events put before the leadership until acknowledged, and an index for this month's answers.

Revision ID: 0016_breach_register
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from models.base import UTCDateTime

revision = "0016_breach_register"
down_revision = "0015_report_facts"
branch_labels = None
depends_on = None

PEOPLE = ("explained_by_id", "verdict_by_id", "measures_by_id")


def upgrade() -> None:
    with op.batch_alter_table("body") as batch:
        batch.add_column(sa.Column("deputy", sa.String(200), nullable=True))
    with op.batch_alter_table("breach") as batch:
        batch.add_column(sa.Column("reason", sa.String(30), nullable=True))
        batch.add_column(sa.Column("explanation", sa.Text(), nullable=True))
        batch.add_column(sa.Column("explained_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("explained_at", UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("verdict", sa.String(20), nullable=True))
        batch.add_column(sa.Column("verdict_comment", sa.Text(), nullable=True))
        batch.add_column(sa.Column("verdict_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("verdict_at", UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("measures", sa.Text(), nullable=True))
        batch.add_column(sa.Column("measures_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("measures_at", UTCDateTime(timezone=True), nullable=True))
        for column in PEOPLE:
            batch.create_foreign_key(f"fk_breach_{column}", "user_account", [column], ["id"])
        batch.create_index("ix_breach_due_at", ["due_at"])
    op.create_table(
        "breach_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("breach_id", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["breach_id"], ["breach.id"], name="fk_breach_event_breach_id"),
        sa.ForeignKeyConstraint(["actor_id"], ["user_account.id"], name="fk_breach_event_actor_id"),
        sa.PrimaryKeyConstraint("id", name="pk_breach_event"),
    )
    op.create_index("ix_breach_event_breach_id", "breach_event", ["breach_id"])
    op.create_table(
        "leadership_alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("surge_alert_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.String(1000), nullable=False),
        sa.Column("raised_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_by_id", sa.Integer(), nullable=True),
        sa.Column("acknowledged_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], name="fk_leadership_alert_tenant_id"),
        sa.ForeignKeyConstraint(["case_id"], ["case_file.id"], name="fk_leadership_alert_case_id"),
        sa.ForeignKeyConstraint(["surge_alert_id"], ["surge_alert.id"], name="fk_leadership_alert_surge_alert_id"),
        sa.ForeignKeyConstraint(["acknowledged_by_id"], ["user_account.id"],
                                name="fk_leadership_alert_acknowledged_by_id"),
        sa.PrimaryKeyConstraint("id", name="pk_leadership_alert"),
    )
    op.create_index("ix_leadership_alert_open", "leadership_alert", ["tenant_id", "acknowledged_at", "raised_at"])
    with op.batch_alter_table("case_file") as batch:
        batch.create_index("ix_case_file_closed_at", ["closed_at"])


def downgrade() -> None:
    with op.batch_alter_table("case_file") as batch:
        batch.drop_index("ix_case_file_closed_at")
    op.drop_table("leadership_alert")
    op.drop_table("breach_event")
    with op.batch_alter_table("breach") as batch:
        batch.drop_index("ix_breach_due_at")
        for column in PEOPLE:
            batch.drop_constraint(f"fk_breach_{column}", type_="foreignkey")
        for column in ("reason", "explanation", "explained_by_id", "explained_at", "verdict", "verdict_comment",
                       "verdict_by_id", "verdict_at", "measures", "measures_by_id", "measures_at"):
            batch.drop_column(column)
    with op.batch_alter_table("body") as batch:
        batch.drop_column("deputy")
