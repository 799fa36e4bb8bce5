"""The public query's name search on SQLite (the embedded run, R-Q1): an FTS5 trigram index.

PostgreSQL searches ``search_text`` through the bigram GIN indexes of ``0013``. SQLite has no
such index; here each table gets an FTS5 table with the trigram tokenizer over the same column
(external content: the FTS table stores only its index, the text stays in the row), kept in step
by triggers, so a piece of three or more characters is one index lookup (``MATCH`` of a quoted
phrase, which also takes ``%`` and ``_`` literally). Trigrams cannot serve two characters: those
pieces scan ``search_text`` with LIKE, which at the embedded run's size takes milliseconds.

FTS5 (with its trigram tokenizer, SQLite 3.34+) is part of every current SQLite build that
Python uses; without it this migration stops with a message saying so.
"""

# The statements are built from this module's constant table names only.
# ruff: noqa: S608

from django.db import migrations

TABLES = {
    "registry_filedwebsite": "registry_filedwebsite_search",
    "registry_filedapp": "registry_filedapp_search",
}


def _statements(table: str, fts: str) -> list[str]:
    return [
        f"CREATE VIRTUAL TABLE {fts} USING fts5(search_text, content='{table}', content_rowid='id',"
        " tokenize='trigram')",
        f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN"
        f" INSERT INTO {fts}(rowid, search_text) VALUES (new.id, new.search_text); END",
        f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN"
        f" INSERT INTO {fts}({fts}, rowid, search_text) VALUES ('delete', old.id, old.search_text); END",
        f"CREATE TRIGGER {fts}_update AFTER UPDATE OF search_text ON {table} BEGIN"
        f" INSERT INTO {fts}({fts}, rowid, search_text) VALUES ('delete', old.id, old.search_text);"
        f" INSERT INTO {fts}(rowid, search_text) VALUES (new.id, new.search_text); END",
        f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",  # the rows filed before this migration
    ]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    from django.db import OperationalError

    for table, fts in TABLES.items():
        for statement in _statements(table, fts):
            try:
                schema_editor.execute(statement)
            except OperationalError as exc:
                raise RuntimeError(
                    f"This SQLite cannot build the public query's index ({exc}): it needs FTS5 with the"
                    " trigram tokenizer (SQLite 3.34 or later, built with FTS5)."
                ) from exc


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for fts in TABLES.values():
        for trigger in ("insert", "delete", "update"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {fts}_{trigger}")
        schema_editor.execute(f"DROP TABLE IF EXISTS {fts}")


class Migration(migrations.Migration):
    dependencies = [("registry", "0013_search_text")]

    operations = [migrations.RunPython(forward, backward)]
