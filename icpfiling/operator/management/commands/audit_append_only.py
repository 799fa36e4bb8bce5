"""R-X4: make the audit tables append-only for the application's PostgreSQL role.

Run at deploy time by the database owner (the role that ran ``migrate``):

    manage.py audit_append_only --role icpfiling_app

The application role keeps SELECT and INSERT on each audit table and loses UPDATE, DELETE and
TRUNCATE. The one column a foreign key's ``SET NULL`` writes (a purged material or scan) stays
updatable, column by column, so the retention purge (R-X2) still works. Grants only bind a role
that does not own the tables: the application must connect as a role other than the owner.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, models, transaction

from filings.models import FileAccessLog, OrderEvent
from verification_points.models.applications import ApplicationEvent, ApplicationFileAccess

# Each audit model, with the columns Django's on_delete=SET_NULL may write.
AUDIT_MODELS: tuple[type[models.Model], ...] = (
    OrderEvent,
    FileAccessLog,
    ApplicationEvent,
    ApplicationFileAccess,
)


def set_null_columns(model: type[models.Model]) -> list[str]:
    return [
        f.column
        for f in model._meta.concrete_fields
        if isinstance(f, models.ForeignKey) and f.remote_field.on_delete is models.SET_NULL
    ]


class Command(BaseCommand):
    help = "Revoke UPDATE/DELETE/TRUNCATE on the audit tables from the application's role (PostgreSQL)."

    def add_arguments(self, parser):
        parser.add_argument("--role", required=True, help="the PostgreSQL role the application connects as")

    def handle(self, *args, role: str, **options):
        if connection.vendor != "postgresql":
            raise CommandError("audit_append_only needs PostgreSQL (the embedded SQLite run has no roles)")
        qn = connection.ops.quote_name
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
            if cursor.fetchone() is None:
                raise CommandError(f"no PostgreSQL role named {role!r}")
            for model in AUDIT_MODELS:
                table = qn(model._meta.db_table)
                cursor.execute(f"REVOKE ALL ON {table} FROM {qn(role)}")
                cursor.execute(f"GRANT SELECT, INSERT ON {table} TO {qn(role)}")
                columns = set_null_columns(model)
                if columns:
                    cursor.execute(
                        f"GRANT UPDATE ({', '.join(qn(c) for c in columns)}) ON {table} TO {qn(role)}"
                    )
                self.stdout.write(
                    f"{model._meta.db_table}: SELECT, INSERT"
                    + (f", UPDATE ({', '.join(columns)}) only" if columns else "")
                )
