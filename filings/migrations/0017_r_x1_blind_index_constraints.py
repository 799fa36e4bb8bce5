# R-X1: uniqueness and look-ups move to the blind indexes filled by 0016_r_x1_encrypt_rows.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("filings", "0016_r_x1_encrypt_rows"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name='smschallenge',
            constraint=models.UniqueConstraint(models.F('order'), models.F('round'), models.F('mobile_bidx'), condition=models.Q(('void_at__isnull', True)), name='sms_one_live_code_per_mobile_round'),
        ),
    ]
