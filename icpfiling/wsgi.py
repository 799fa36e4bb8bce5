import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "icpfiling.settings")
application = get_wsgi_application()


def _warm_up() -> None:
    """Build each web process's lazy tables before it takes a request, not during one.

    The stored-text catalogue index (about 0.7 s) and the province seed file (about 0.1 s)
    are built once per process on first use; done here, a new or restarted worker does not
    make its first users wait for them.
    """
    from icpfiling.core.stored_text import catalogue_index_build
    from icpfiling.registry.seed_files import province_rules_data

    province_rules_data()
    catalogue_index_build()


_warm_up()
