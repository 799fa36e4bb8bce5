"""Indexes for the public query (R-Q1) on PostgreSQL.

Names are searched by any piece of 2+ characters. Trigrams cannot serve the
2-character pieces most Chinese trade names are made of, so each name is
indexed by the set of its 2-character chunks (``icp_bigrams``) in a GIN index:
a term's bigrams are looked up with ``@>`` and the candidates rechecked with
LIKE. SQLite (the embedded run) has no such index; the query there scans.
"""

from django.db import migrations

BIGRAMS_FUNCTION = """
CREATE OR REPLACE FUNCTION icp_bigrams(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
    SELECT coalesce(array_agg(DISTINCT substr(lower(t), i, 2)), '{}')
    FROM generate_series(1, char_length(t) - 1) AS i
$$;
"""
FORWARD = [
    BIGRAMS_FUNCTION,
    "CREATE INDEX IF NOT EXISTS filed_entity_name_bigrams ON registry_filedentity USING gin (icp_bigrams(name))",
    "CREATE INDEX IF NOT EXISTS filed_website_name_bigrams ON registry_filedwebsite USING gin (icp_bigrams(name))",
]
BACKWARD = [
    "DROP INDEX IF EXISTS filed_website_name_bigrams",
    "DROP INDEX IF EXISTS filed_entity_name_bigrams",
    "DROP FUNCTION IF EXISTS icp_bigrams(text)",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("registry", "0003_entity_principal_mobile")]

    operations = [migrations.RunPython(forward, backward)]
