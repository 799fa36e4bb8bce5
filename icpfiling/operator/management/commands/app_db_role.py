"""R-X4: the PostgreSQL role the application connects as, separate from the tables' owner.

Grants on audit tables only bind a role that does not own them, so production runs migrations
as the owner and serves as this role. Run by the owner after every ``migrate`` (docker-compose's
``migrate`` service does); it is idempotent and picks up tables added by new migrations:

    APP_DB_PASSWORD=… manage.py app_db_role --role icpfiling_app --password-env APP_DB_PASSWORD

The role gets ordinary read/write rights on every table and sequence of the schema, then
``audit_append_only`` takes UPDATE, DELETE and TRUNCATE on the audit tables away again.
"""

from __future__ import annotations

import os

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction


class Command(BaseCommand):
    help = "Create or update the application's PostgreSQL role: DML on every table, audit tables append-only."

    def add_arguments(self, parser):
        parser.add_argument("--role", required=True, help="the role the application connects as")
        parser.add_argument(
            "--password-env",
            default="",
            help="name of the environment variable holding the role's password (it logs in with it)",
        )

    def handle(self, *args, role: str, password_env: str, **options):
        if connection.vendor != "postgresql":
            raise CommandError("app_db_role needs PostgreSQL (the embedded SQLite run has no roles)")
        owner = connection.get_connection_params().get("user") or connection.settings_dict.get("USER")
        if role == owner:
            # The owner bypasses every grant: serving as it would make R-X4 a no-op.
            raise CommandError(f"the application role must not be the tables' owner ({owner!r})")
        password = ""
        if password_env:
            password = os.environ.get(password_env, "")
            if len(password) < 12:
                raise CommandError(f"{password_env} must hold the role's password (12+ characters)")
        qn = connection.ops.quote_name
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
            exists = cursor.fetchone() is not None
            login = "LOGIN PASSWORD %s" if password else "NOLOGIN"
            verb = "ALTER" if exists else "CREATE"
            cursor.execute(
                f"{verb} ROLE {qn(role)} {login} NOSUPERUSER NOCREATEDB NOCREATEROLE",
                [password] if password else [],
            )
            database = qn(connection.settings_dict["NAME"])
            cursor.execute(f"GRANT CONNECT ON DATABASE {database} TO {qn(role)}")
            cursor.execute(f"GRANT USAGE ON SCHEMA public TO {qn(role)}")
            cursor.execute(
                f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {qn(role)}"
            )
            cursor.execute(f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {qn(role)}")
            call_command("audit_append_only", role=role, stdout=self.stdout)
        self.stdout.write(f"role {role}: {'updated' if exists else 'created'}")
