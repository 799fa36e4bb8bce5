"""R-X1: encrypts the identity data already stored and fills the blind indexes.

Batched by primary key, on SQLite and PostgreSQL alike (``icpfiling.privacy.rows``); running it
again rewrites nothing. The constraints on the blind indexes come in the next migration, once
every row has its index.
"""

from django.db import migrations

from icpfiling.privacy.rows import reencrypt_app


def encrypt_rows(apps, schema_editor):
    reencrypt_app(apps, "registry")


class Migration(migrations.Migration):

    dependencies = [
        ("registry", "0008_r_x1_encrypt_identity"),
    ]

    operations = [
        migrations.RunPython(encrypt_rows, migrations.RunPython.noop, elidable=False),
    ]
