"""The public query's search text (R-Q1): one column per filed website and app, one bigram index each.

A name piece used to be looked up in two bigram GIN indexes (the service's name, the entity's
name) and each candidate's entity checked for its status, which at 4,000,000 websites made the
pieces between 0.2 % and 1 % of names cost hundreds of milliseconds. ``search_text`` (see
``icpfiling/registry/search_text.py``) holds both names of an active service, ``""`` otherwise;
a GIN index over its bigrams (websites: ``icp_search_keys``, each bigram also with its id's
bucket; apps: ``icp_bigrams`` of ``0004``) replaces the three name indexes.
PostgreSQL only for the indexes; SQLite (the embedded run) scans the one column.
"""

from django.db import migrations, models

SEPARATOR = "\x1f"  # as icpfiling.registry.search_text.SEPARATOR (a migration keeps its own copy)
# The same bigrams as 0004's function (a GIN index and ``@>`` ignore order and repeats), in a
# loop four times faster than its set-returning query (index build and any per-row use), and
# priced as the costly call it is, so the planner reads the index rather than calling it per row.
# PARALLEL RESTRICTED keeps a page's one statement in one process: starting parallel workers
# costs more than the few thousand rows a search reads.
BIGRAMS_FUNCTION = """
CREATE OR REPLACE FUNCTION icp_bigrams(t text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE PARALLEL RESTRICTED STRICT COST 1000 AS $$
DECLARE
    folded text := lower(t);
    pairs text[] := '{}';
BEGIN
    FOR i IN 1 .. char_length(folded) - 1 LOOP
        pairs := pairs || substr(folded, i, 2);
    END LOOP;
    RETURN pairs;
END
$$;
"""
# A website's index keys: each bigram of its search text, and each again with the bucket of its
# id (``杭州#244``: ids 244 × 16,384 to 245 × 16,384 - 1). A piece found in a few names in a
# thousand is then read newest first, bucket by bucket, without fetching every older match.
SEARCH_KEYS_FUNCTION = """
CREATE OR REPLACE FUNCTION icp_search_keys(t text, id bigint) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE PARALLEL RESTRICTED STRICT COST 1000 AS $$
DECLARE
    folded text := lower(t);
    bucket text := '#' || (id >> 14)::text;
    pair text;
    keys text[] := '{}';
BEGIN
    FOR i IN 1 .. char_length(folded) - 1 LOOP
        pair := substr(folded, i, 2);
        keys := keys || pair || (pair || bucket);
    END LOOP;
    RETURN keys;
END
$$;
"""
BIGRAMS_FUNCTION_0004 = """
CREATE OR REPLACE FUNCTION icp_bigrams(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
    SELECT coalesce(array_agg(DISTINCT substr(lower(t), i, 2)), '{}')
    FROM generate_series(1, char_length(t) - 1) AS i
$$;
"""
FORWARD = [
    "DROP INDEX IF EXISTS filed_entity_name_bigrams",
    "DROP INDEX IF EXISTS filed_website_name_bigrams",
    "DROP INDEX IF EXISTS filed_app_name_bigrams",
    BIGRAMS_FUNCTION,
    SEARCH_KEYS_FUNCTION,
    "CREATE INDEX IF NOT EXISTS filed_website_search_keys ON registry_filedwebsite"
    " USING gin (icp_search_keys(search_text, id))",
    "CREATE INDEX IF NOT EXISTS filed_app_search_bigrams ON registry_filedapp USING gin (icp_bigrams(search_text))",
    # ANALYZE keeps up to ten times this many most common keys per index (PostgreSQL's default
    # of 100 kept too few to know the share of a bigram in one name in 500 once the bucketed keys
    # were counted too); the public query chooses its plan on these shares.
    "ALTER INDEX filed_website_search_keys ALTER COLUMN 1 SET STATISTICS 1000",
    "ALTER INDEX filed_app_search_bigrams ALTER COLUMN 1 SET STATISTICS 1000",
]
BACKWARD = [
    "DROP INDEX IF EXISTS filed_app_search_bigrams",
    "DROP INDEX IF EXISTS filed_website_search_keys",
    "DROP FUNCTION IF EXISTS icp_search_keys(text, bigint)",
    BIGRAMS_FUNCTION_0004,
    "CREATE INDEX IF NOT EXISTS filed_entity_name_bigrams ON registry_filedentity USING gin (icp_bigrams(name))",
    "CREATE INDEX IF NOT EXISTS filed_website_name_bigrams ON registry_filedwebsite USING gin (icp_bigrams(name))",
    "CREATE INDEX IF NOT EXISTS filed_app_name_bigrams ON registry_filedapp USING gin (icp_bigrams(name))",
]
BATCH = 2000


def fill(apps, schema_editor):
    import unicodedata

    for name in ("FiledWebsite", "FiledApp"):
        model = apps.get_model("registry", name)
        active = model.objects.filter(status="active", entity__status="active")
        rows = active.values_list("pk", "name", "entity__name").order_by("pk").iterator(chunk_size=BATCH)
        batch = []
        for pk, own, entity_name in rows:
            text = unicodedata.normalize("NFKC", f"{own}{SEPARATOR}{entity_name}").lower()
            batch.append(model(pk=pk, search_text=text))
            if len(batch) == BATCH:
                model.objects.bulk_update(batch, ["search_text"])
                batch = []
        model.objects.bulk_update(batch, ["search_text"])


def indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in FORWARD:
            schema_editor.execute(statement)


def indexes_back(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("registry", "0012_website_domains")]

    operations = [
        migrations.AddField(
            model_name="filedwebsite",
            name="search_text",
            field=models.TextField(default="", editable=False),
        ),
        migrations.AddField(
            model_name="filedapp",
            name="search_text",
            field=models.TextField(default="", editable=False),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.RunPython(indexes, indexes_back),
    ]
