"""Process-local caches of reference data that many pages read and an operator rarely edits.

Province rules, a provider's own material list and the like are read on most order pages,
several times per request, and change a few times a year. Each such read cost a query and
the Python work of building the answer (the load benchmark, issue 17 item 8: about a tenth
of the portal's CPU). A :class:`ReferenceCache` keeps the built answers in the web process.

Freshness, across processes: every lookup first reads one generation counter from the shared
cache (Redis in production: one GET, no query); an edit bumps it when its transaction commits,
so every worker drops its copies before it serves the next page. A bump made before the commit
would let another worker cache the old rows under the new generation. Within the editing
process the local copies are dropped at once, so the request that edits sees its own edit.
Where the shared cache is not shared (the embedded run's Celery worker has its own local
memory), entries also expire after ``max_age`` seconds.

Writes that bypass model signals (``QuerySet.update``, bulk writes) must call
:meth:`ReferenceCache.invalidate` themselves.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

from django.core.cache import caches
from django.db import transaction

_ALL: list[ReferenceCache] = []


class ReferenceCache:
    """``get(key, build)``: the value built for ``key``, rebuilt after an edit anywhere."""

    def __init__(self, name: str, *, max_entries: int = 512, max_age: float = 300.0) -> None:
        self.name = name
        self.max_entries = max_entries
        self.max_age = max_age
        self._generation_key = f"{name}:generation"
        self._entries: dict[Hashable, tuple[Any, Any, float]] = {}
        self._lock = threading.Lock()  # the embedded run serves requests from threads
        _ALL.append(self)

    def _shared_generation(self) -> Any:
        # The "reference" alias has no tenant in its keys: one counter whoever reads it.
        return caches["reference"].get(self._generation_key, 0)

    def get(self, key: Hashable, build: Callable[[], Any]) -> Any:
        generation = self._shared_generation()
        now = time.monotonic()
        entry = self._entries.get(key)
        if entry is not None and entry[0] == generation and now - entry[2] < self.max_age:
            return entry[1]
        value = build()
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries.clear()  # keys are few (provinces × scopes × days); never reached in use
            self._entries[key] = (generation, value, now)
        return value

    def clear_local(self) -> None:
        with self._lock:
            self._entries.clear()

    def invalidate(self) -> None:
        """Forget this process's copies now and every process's once the transaction commits."""
        self.clear_local()
        transaction.on_commit(self._bump)

    def _bump(self) -> None:
        self.clear_local()
        cache = caches["reference"]
        try:
            cache.incr(self._generation_key)
        except ValueError:  # no counter yet (a flushed or new cache)
            cache.set(self._generation_key, 1, None)

    def receiver(self, sender: Any, **kwargs: Any) -> None:
        """A ``post_save``/``post_delete`` receiver for the models the cached values come from."""
        self.invalidate()

    def follow(self, model: type) -> None:
        """Invalidate on every save or delete of ``model`` (call from ``AppConfig.ready``)."""
        from django.db.models.signals import post_delete, post_save

        label = model._meta.label_lower
        post_save.connect(self.receiver, sender=model, dispatch_uid=f"refcache:{self.name}:{label}:save")
        post_delete.connect(self.receiver, sender=model, dispatch_uid=f"refcache:{self.name}:{label}:delete")


def clear_all_local() -> None:
    """Forget every cache's copies in this process (tests roll the database back under them)."""
    for cache in _ALL:
        cache.clear_local()


def forget_everywhere() -> list[str]:
    """Bump every cache's shared generation now (``manage.py reference_cache_forget``)."""
    for cache in _ALL:
        cache._bump()
    return sorted(cache.name for cache in _ALL)
