"""A surge notification names the alert it announces.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notification") as batch:
        batch.add_column(sa.Column("surge_alert_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_notification_surge_alert_id", "surge_alert", ["surge_alert_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("notification") as batch:
        batch.drop_constraint("fk_notification_surge_alert_id", type_="foreignkey")
        batch.drop_column("surge_alert_id")
