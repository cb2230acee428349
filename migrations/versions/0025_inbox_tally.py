"""The inbox's counts kept by the database, and its full-text search over open messages.

`inbox_tally` receives, from triggers on `human_task`, one row per filter value (+1 or -1) whenever an open task
appears, changes what it is counted under, or leaves the inbox; the inbox sums them, the scheduler merges them
(services.inbox.tally). Rows are only ever inserted by steps, so concurrent steps never wait on each other here.
The inbox's two indexes on human_task grow the columns it filters and counts by. The search finds words beginning
with the typed ones: on PostgreSQL every open task carries its message's words (`human_task.words`, kept by a
trigger, indexed), on SQLite an FTS5 table holds the open messages (`case_search`, kept by triggers on `case_file`).
The trigram indexes, which every registered message had to update, go.

Revision ID: 0025_inbox_tally
Revises: 0024_step_fact_key
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025_inbox_tally"
down_revision = "0024_step_fact_key"
branch_labels = None
depends_on = None

KEY = ("tenant_id", "role", "body_id", "assignee_id", "step")
# The inbox's indexes also hold what it filters and counts by, so a filtered inbox is counted from them alone.
SHOWN = ("assignee_id", "step", "name", "theme_id", "location_id", "channel_id", "importance")
INDEXES = {"ix_human_task_due": ("tenant_id", "state", "role", "due_at"),
           "ix_human_task_inbox": ("tenant_id", "state", "role", "body_id", "due_at")}
COUNTED = (*KEY, "state", "name", "theme_id", "location_id", "channel_id", "importance")
INSERT = f"INSERT INTO inbox_tally ({', '.join(KEY)}, dimension, value, label, n)"


def _values(row: str) -> list[tuple[str, str, str]]:
    """Each filter value of a task `row` (NEW, OLD or the table) as (dimension, value, label) expressions."""
    return [("step", f"{row}.step", f"{row}.name"), ("body", f"CAST({row}.body_id AS TEXT)", "NULL"),
            ("theme", f"CAST({row}.theme_id AS TEXT)", "NULL"),
            ("location", f"CAST({row}.location_id AS TEXT)", "NULL"),
            ("channel", f"CAST({row}.channel_id AS TEXT)", "NULL"), ("importance", f"{row}.importance", "NULL")]


def _tally(row: str, n: int) -> str:
    """The statement that counts the task `row` (NEW or OLD) under each of its values, `n` times."""
    values = " UNION ALL ".join(f"SELECT {dimension!r} AS dimension, {value} AS value, {label} AS label"
                                for dimension, value, label in _values(row))
    return (f"{INSERT} SELECT {', '.join(f'{row}.{column}' for column in KEY)}, v.dimension, v.value, v.label, "
            f"{n} FROM ({values}) AS v")


def _unchanged(dialect: str) -> str:
    same = "IS NOT DISTINCT FROM" if dialect == "postgresql" else "IS"
    return " AND ".join(f"OLD.{column} {same} NEW.{column}" for column in COUNTED)


def upgrade() -> None:
    op.create_table(
        "inbox_tally",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("body_id", sa.Integer(), nullable=True),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("step", sa.String(100), nullable=False),
        sa.Column("dimension", sa.String(20), nullable=False),
        sa.Column("value", sa.String(100), nullable=True),
        sa.Column("label", sa.String(300), nullable=True),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_inbox_tally"),
    )
    op.create_index("ix_inbox_tally_scope", "inbox_tally", ["tenant_id", "role", "body_id", "step"])
    for name, columns in INDEXES.items():
        op.drop_index(name, "human_task")
        op.create_index(name, "human_task", [*columns, *(c for c in ("body_id", *SHOWN) if c not in columns)])
    bind = op.get_bind()
    counted = ", ".join(COUNTED)
    if bind.dialect.name == "postgresql":
        op.execute("DROP INDEX ix_case_file_author_trgm")
        op.execute("DROP INDEX ix_case_file_text_trgm")
        # An open task carries its message's words (a trigger copies them, and drops them when the task closes),
        # so a search is narrowed to the person's tasks by one index on one table.
        op.execute("ALTER TABLE human_task ADD COLUMN words tsvector")
        words = ("SELECT to_tsvector('simple'::regconfig, coalesce(c.author, '') || ' ' || coalesce(c.text, '')) "
                 "FROM case_file c WHERE c.id = {0}.case_id")
        op.execute(f"UPDATE human_task SET words = ({words.format('human_task')}) WHERE state = 'open'")
        # Whose tasks, beside the words, in one index (the tenant is left out: its list of tasks is too long to
        # intersect quickly, 128 ms against 3 ms for 100,000 tasks).
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
        op.execute("CREATE INDEX ix_human_task_words ON human_task USING gin (role, body_id, words) "
                   "WHERE state = 'open'")
        op.execute(f"""
CREATE FUNCTION human_task_words() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.state <> 'open' THEN
        NEW.words := NULL;
    ELSIF NEW.words IS NULL THEN
        NEW.words := ({words.format('NEW')});
    END IF;
    RETURN NEW;
END $$""")
        op.execute("CREATE TRIGGER human_task_words BEFORE INSERT OR UPDATE OF state ON human_task "
                   "FOR EACH ROW EXECUTE FUNCTION human_task_words()")
        op.execute(f"""
CREATE FUNCTION inbox_tally() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND {_unchanged('postgresql')} THEN
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' AND OLD.state = 'open' THEN
        {_tally('OLD', -1)};
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.state = 'open' THEN
        {_tally('NEW', 1)};
    END IF;
    RETURN NULL;
END $$""")
        op.execute(f"CREATE TRIGGER inbox_tally AFTER INSERT OR DELETE OR UPDATE OF {counted} ON human_task "
                   "FOR EACH ROW EXECUTE FUNCTION inbox_tally()")
    else:
        op.execute(f"CREATE TRIGGER inbox_tally_insert AFTER INSERT ON human_task WHEN NEW.state = 'open' "
                   f"BEGIN {_tally('NEW', 1)}; END")
        op.execute(f"CREATE TRIGGER inbox_tally_update AFTER UPDATE OF {counted} ON human_task "
                   f"WHEN NOT ({_unchanged('sqlite')}) "
                   f"BEGIN {_tally('OLD', -1)} WHERE OLD.state = 'open'; {_tally('NEW', 1)} WHERE NEW.state = 'open'; "
                   "END")
        op.execute(f"CREATE TRIGGER inbox_tally_delete AFTER DELETE ON human_task WHEN OLD.state = 'open' "
                   f"BEGIN {_tally('OLD', -1)}; END")
        op.execute("CREATE VIRTUAL TABLE case_search USING fts5(words)")
        words = "coalesce({0}.author, '') || ' ' || coalesce({0}.text, '')"
        op.execute(f"INSERT INTO case_search (rowid, words) SELECT id, {words.format('case_file')} FROM case_file "
                   "WHERE status = 'open'")
        op.execute(f"CREATE TRIGGER case_search_insert AFTER INSERT ON case_file WHEN NEW.status = 'open' "
                   f"BEGIN INSERT INTO case_search (rowid, words) VALUES (NEW.id, {words.format('NEW')}); END")
        op.execute("CREATE TRIGGER case_search_update AFTER UPDATE OF status, author, text ON case_file "
                   "BEGIN DELETE FROM case_search WHERE rowid = OLD.id; "
                   f"INSERT INTO case_search (rowid, words) SELECT NEW.id, {words.format('NEW')} "
                   "WHERE NEW.status = 'open'; END")
        op.execute("CREATE TRIGGER case_search_delete AFTER DELETE ON case_file "
                   "BEGIN DELETE FROM case_search WHERE rowid = OLD.id; END")
    key = ", ".join(KEY)
    for dimension, value, label in _values("human_task"):  # the tasks open now
        op.execute(f"{INSERT} SELECT {key}, {dimension!r}, {value}, {label}, count(*) FROM human_task "
                   f"WHERE state = 'open' GROUP BY {key}, {value}{'' if label == 'NULL' else ', ' + label}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER inbox_tally ON human_task")
        op.execute("DROP FUNCTION inbox_tally()")
        op.execute("DROP TRIGGER human_task_words ON human_task")
        op.execute("DROP FUNCTION human_task_words()")
        op.execute("DROP INDEX ix_human_task_words")
        op.execute("ALTER TABLE human_task DROP COLUMN words")
        op.execute("CREATE INDEX ix_case_file_text_trgm ON case_file USING gin (lower(text) gin_trgm_ops)")
        op.execute("CREATE INDEX ix_case_file_author_trgm ON case_file USING gin (lower(author) gin_trgm_ops)")
    else:
        for trigger in ("inbox_tally_insert", "inbox_tally_update", "inbox_tally_delete", "case_search_insert",
                        "case_search_update", "case_search_delete"):
            op.execute(f"DROP TRIGGER {trigger}")
        op.execute("DROP TABLE case_search")
    for name, columns in INDEXES.items():
        op.drop_index(name, "human_task")
        op.create_index(name, "human_task", list(columns))
    op.drop_index("ix_inbox_tally_scope", "inbox_tally")
    op.drop_table("inbox_tally")
