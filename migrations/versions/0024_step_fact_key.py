"""Step facts keyed by their case and task, one index where there were two: the case's, and a unique one on the
task's GUID alone, whose random keys made every step write a random page of it (and of its own growing index at a
million cases). A step closes its fact by case and task.

Revision ID: 0024_step_fact_key
Revises: 0022_notice_params
"""

from __future__ import annotations

from alembic import op

revision = "0024_step_fact_key"
down_revision = "0022_notice_params"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("step_fact") as batch:
        batch.drop_constraint("uq_step_fact_task_guid", type_="unique")
        batch.drop_index("ix_step_fact_case_id")
        batch.create_unique_constraint("uq_step_fact_case_id", ["case_id", "task_guid"])


def downgrade() -> None:
    with op.batch_alter_table("step_fact") as batch:
        batch.drop_constraint("uq_step_fact_case_id", type_="unique")
        batch.create_index("ix_step_fact_case_id", ["case_id"])
        batch.create_unique_constraint("uq_step_fact_task_guid", ["task_guid"])
