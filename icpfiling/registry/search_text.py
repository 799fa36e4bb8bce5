"""The text the public query matches a name piece against (R-Q1), one column per filed service.

``FiledWebsite.search_text`` and ``FiledApp.search_text`` hold the service's own name and its
entity's name in one string, NFKC-normalised and lower-cased as the search box normalises what
is typed (so a name filed with full-width letters is found by half-width ones), or ``""`` while
the service or its entity is not active. One column per service, rather than the two names in
two tables, makes a name search one index probe (PostgreSQL: the bigram GIN index of migration
``registry.0013``) or one walk down the primary key, with no join and no status check per row:
at 4,000,000 websites the join and the per-row entity lookup were most of a search's time.

Every registry write that changes a name or a status calls ``search_text_refresh`` in its own
transaction, so a search sees an approval, a change or a cancellation as soon as it commits.
"""

from __future__ import annotations

import unicodedata

from icpfiling.registry.models import FiledApp, FiledEntity, FiledWebsite, RegistryStatus

# Between the service's name and the entity's: a name piece never holds a control character, so
# no match (and no bigram of the index) can span the two names.
SEPARATOR = "\x1f"


def search_text_of(service_name: str, entity_name: str) -> str:
    return unicodedata.normalize("NFKC", f"{service_name}{SEPARATOR}{entity_name}").lower()


def search_text_refresh(*, entity_id: int) -> None:
    """Recompute the search text of every website and app of the entity from the current rows.

    Reads the entity and its services afresh (the caller may hold stale instances) and writes
    only rows whose text changes; an entity has a handful of services, so this is a few rows.
    """
    entity = FiledEntity.objects.filter(pk=entity_id).values("name", "status").first()
    if entity is None:
        return
    entity_active = entity["status"] == RegistryStatus.ACTIVE
    for model in (FiledWebsite, FiledApp):
        stale = []
        for row in model.objects.filter(entity_id=entity_id).only("pk", "name", "status", "search_text"):
            active = entity_active and row.status == RegistryStatus.ACTIVE
            text = search_text_of(row.name, entity["name"]) if active else ""
            if row.search_text != text:
                row.search_text = text
                stale.append(row)
        model.objects.bulk_update(stale, ["search_text"])
