"""R-X1: encrypts the identity data already stored (batched by primary key; idempotent)."""

from django.db import migrations

from icpfiling.privacy.rows import reencrypt_app


def encrypt_rows(apps, schema_editor):
    reencrypt_app(apps, "verification_points")


class Migration(migrations.Migration):

    dependencies = [
        ("verification_points", "0003_r_x1_encrypt_identity"),
    ]

    operations = [
        migrations.RunPython(encrypt_rows, migrations.RunPython.noop, elidable=False),
    ]
