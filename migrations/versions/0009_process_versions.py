"""Process versions get a number per process (v1, v2, ...), an author (none: the command line) and a comment;
one current version per process.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

SHIPPED = "Библиотека процессов из поставки (bpmn/, forms/)"  # every version so far was loaded by init-db


def upgrade() -> None:
    with op.batch_alter_table("process_version") as batch:
        batch.add_column(sa.Column("number", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("author_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("comment", sa.Text(), nullable=False, server_default=""))
    versions = sa.table("process_version", sa.column("id", sa.Integer()), sa.column("process_id", sa.String()),
                        sa.column("created_at", sa.DateTime()), sa.column("number", sa.Integer()),
                        sa.column("comment", sa.Text()))
    numbered = sa.select(versions.c.id, sa.func.row_number().over(
        partition_by=versions.c.process_id, order_by=(versions.c.created_at, versions.c.id)).label("number")).subquery()
    op.execute(versions.update().values(
        number=sa.select(numbered.c.number).where(numbered.c.id == versions.c.id).scalar_subquery(), comment=SHIPPED))
    with op.batch_alter_table("process_version") as batch:
        batch.alter_column("number", existing_type=sa.Integer(), nullable=False)
        batch.create_foreign_key("fk_process_version_author_id", "user_account", ["author_id"], ["id"])
        batch.create_unique_constraint("uq_process_version_number", ["process_id", "number"])
        batch.create_index("uq_process_version_current", ["process_id"], unique=True,
                           sqlite_where=sa.text("is_current"), postgresql_where=sa.text("is_current"))


def downgrade() -> None:
    with op.batch_alter_table("process_version") as batch:
        batch.drop_index("uq_process_version_current")
        batch.drop_constraint("uq_process_version_number", type_="unique")
        batch.drop_constraint("fk_process_version_author_id", type_="foreignkey")
        batch.drop_column("comment")
        batch.drop_column("author_id")
        batch.drop_column("number")
