import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "icpfiling.settings")
application = get_wsgi_application()


def _warm_up() -> None:
    """Build each web process's lazy tables before it takes a request, not during one.

    The stored-text catalogue index (about 0.7 s), the province seed file (about 0.1 s) and
    the URL maps are built once per process on first use; done here, a new or restarted worker
    does not make its first users wait for them.
    """
    from django.urls import get_resolver

    from icpfiling.core.stored_text import catalogue_index_build
    from icpfiling.registry.seed_files import province_rules_data

    province_rules_data()
    catalogue_index_build()
    # Both URL maps, and with them every view module (about 1.5 s per process otherwise, paid
    # by whoever sends a worker its first request).
    for urlconf in ("icpfiling.urls.tenant", "icpfiling.urls.platform"):
        get_resolver(urlconf).url_patterns  # noqa: B018 (the property imports them)


_warm_up()
# What is loaded by now (Django, the apps, the URL map, the tables above) lives as long as the
# process: keep it out of the collector's full passes, which otherwise walk all of it again and
# again (about 7 % of a worker's time in the load test, issue 17 item 8).
gc.freeze()
