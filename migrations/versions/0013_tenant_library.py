"""Process libraries per tenant: a municipal variant's versions and drafts carry the municipality and the regional
version they were forked from; numbers, current versions and drafts are per library; each municipality's adopted
version of a process.

Revision ID: 0013_tenant_library
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from models.base import UTCDateTime

revision = "0013_tenant_library"
down_revision = "0012_municipalities"
branch_labels = None
depends_on = None

LIBRARY = sa.text("coalesce(tenant_id, 0)")


def upgrade() -> None:
    with op.batch_alter_table("process_version") as batch:
        batch.drop_index("uq_process_version_current")
        batch.drop_constraint("uq_process_version_number", type_="unique")
        batch.add_column(sa.Column("tenant_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("forked_from_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_process_version_tenant_id", "tenant", ["tenant_id"], ["id"])
        batch.create_foreign_key("fk_process_version_forked_from_id", "process_version", ["forked_from_id"], ["id"])
        batch.create_index("ix_process_version_tenant_id", ["tenant_id"])
    with op.batch_alter_table("process_draft") as batch:
        batch.drop_constraint("uq_process_draft_process_id", type_="unique")
        batch.add_column(sa.Column("tenant_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("forked_from_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_process_draft_tenant_id", "tenant", ["tenant_id"], ["id"])
        batch.create_foreign_key("fk_process_draft_forked_from_id", "process_version", ["forked_from_id"], ["id"])
        batch.create_index("ix_process_draft_tenant_id", ["tenant_id"])
    # Expression indexes last: SQLite's batch mode cannot reflect them when it copies a table.
    op.create_index("uq_process_draft_process_id", "process_draft", ["process_id", LIBRARY], unique=True)
    op.create_index("uq_process_version_number", "process_version", ["process_id", LIBRARY, "number"], unique=True)
    op.create_index("uq_process_version_current", "process_version", ["process_id", LIBRARY], unique=True,
                    sqlite_where=sa.text("is_current"), postgresql_where=sa.text("is_current"))
    op.create_table(
        "process_adoption",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("process_id", sa.String(100), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("auto_adopt", sa.Boolean(), nullable=False),
        sa.Column("adopted_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("adopted_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], name="fk_process_adoption_tenant_id"),
        sa.ForeignKeyConstraint(["version_id"], ["process_version.id"], name="fk_process_adoption_version_id"),
        sa.ForeignKeyConstraint(["adopted_by_id"], ["user_account.id"], name="fk_process_adoption_adopted_by_id"),
        sa.PrimaryKeyConstraint("id", name="pk_process_adoption"),
        sa.UniqueConstraint("tenant_id", "process_id", name="uq_process_adoption_tenant_id"),
    )


def downgrade() -> None:
    op.drop_table("process_adoption")
    op.execute("DELETE FROM process_draft WHERE tenant_id IS NOT NULL")
    op.drop_index("uq_process_draft_process_id", "process_draft")
    op.drop_index("uq_process_version_current", "process_version")
    op.drop_index("uq_process_version_number", "process_version")
    with op.batch_alter_table("process_draft") as batch:
        batch.drop_index("ix_process_draft_tenant_id")
        batch.drop_constraint("fk_process_draft_forked_from_id", type_="foreignkey")
        batch.drop_constraint("fk_process_draft_tenant_id", type_="foreignkey")
        batch.drop_column("forked_from_id")
        batch.drop_column("tenant_id")
        batch.create_unique_constraint("uq_process_draft_process_id", ["process_id"])
    with op.batch_alter_table("process_version") as batch:
        batch.drop_index("ix_process_version_tenant_id")
        batch.drop_constraint("fk_process_version_forked_from_id", type_="foreignkey")
        batch.drop_constraint("fk_process_version_tenant_id", type_="foreignkey")
        batch.drop_column("forked_from_id")
        batch.drop_column("tenant_id")
        batch.create_unique_constraint("uq_process_version_number", ["process_id", "number"])
        batch.create_index("uq_process_version_current", ["process_id"], unique=True,
                           sqlite_where=sa.text("is_current"), postgresql_where=sa.text("is_current"))
