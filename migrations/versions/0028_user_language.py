"""A person's language: the one they last chose in the header (ru | en), kept across logins and browsers and used for
their e-mails; NULL until they choose (Russian).

Revision ID: 0028_user_language
Revises: 0025_inbox_tally
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0028_user_language"
down_revision = "0025_inbox_tally"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("user_account") as batch:
        batch.add_column(sa.Column("language", sa.String(2), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("user_account") as batch:
        batch.drop_column("language")
