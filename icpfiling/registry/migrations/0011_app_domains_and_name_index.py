"""Apps in the public query (R-Q1, R-AP4): the domains an app uses, and its name in a bigram index.

The GIN expression index over ``icp_bigrams(name)`` (the function of ``0004``) lets an app's name
piece be collected like a website's instead of scanning every app. PostgreSQL only; SQLite
(the embedded run) scans.
"""

import django.db.models.deletion
from django.db import migrations, models


FORWARD = "CREATE INDEX IF NOT EXISTS filed_app_name_bigrams ON registry_filedapp USING gin (icp_bigrams(name))"
BACKWARD = "DROP INDEX IF EXISTS filed_app_name_bigrams"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):

    dependencies = [
        ('registry', '0010_r_x1_blind_index_constraints'),
    ]

    operations = [
        migrations.CreateModel(
            name='FiledAppDomain',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('domain', models.CharField(max_length=253)),
                ('app', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='filed_domains', to='registry.filedapp')),
            ],
            options={
                'verbose_name': '备案App域名',
                'verbose_name_plural': '备案App域名',
                'indexes': [models.Index(fields=['domain'], name='filed_app_domain_idx')],
                'constraints': [models.UniqueConstraint(models.F('app'), models.F('domain'), name='filed_app_domain_unique')],
            },
        ),
        migrations.RunPython(forward, backward),
    ]
