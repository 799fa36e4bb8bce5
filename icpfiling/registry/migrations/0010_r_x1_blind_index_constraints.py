# R-X1: uniqueness and look-ups move to the blind indexes filled by 0009_r_x1_encrypt_rows.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("registry", "0009_r_x1_encrypt_rows"),
    ]

    operations = [
        migrations.AddIndex(
            model_name='filedentity',
            index=models.Index(fields=['certificate_number_bidx'], name='filed_entity_cert_idx'),
        ),
        migrations.AddConstraint(
            model_name='filedentity',
            constraint=models.UniqueConstraint(models.F('certificate_type'), models.F('certificate_number_bidx'), condition=models.Q(('status', 'active')), name='filed_entity_certificate_unique'),
        ),
    ]
