"""Notifications and leadership alerts keep their message's parameters, so each reader sees them in their language:
`text` of a new row is the Russian msgid, `params` its values; rows stored before keep their plain text (params NULL).

Revision ID: 0022_notice_params
Revises: 0021_reply_templates
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022_notice_params"
down_revision = "0021_reply_templates"
branch_labels = None
depends_on = None

TABLES = ("notification", "leadership_alert")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("params", sa.JSON(), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("params")
