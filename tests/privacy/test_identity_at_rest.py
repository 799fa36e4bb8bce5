"""R-X1: resident ID numbers and mobiles are encrypted at rest; look-ups use blind indexes."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import FieldError
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from filings.models import FilingOrder
from filings.orders.validation import entity_errors
from icpfiling.demo.seed import demo_seed
from icpfiling.notifications.models import OutboxMessage
from icpfiling.notifications.services import outbox_enqueue
from icpfiling.privacy import keys
from icpfiling.privacy.rows import reencrypt_model
from icpfiling.privacy.scan import ScanResult, cleartext_hits, scan_database
from icpfiling.registry.changes import Who, registry_entity_change
from icpfiling.registry.models import FiledEntity, RegistryChange
from icpfiling.registry.reference import reference_data_load
from icpfiling.registry.selectors import filed_entity_find
from icpfiling.tenancy.context import tenant_scope, tenant_scopes_disabled
from tests.factories import complete_order, filed_entity, make_ric
from tests.platform.test_deployment_files import ROOT, production_env
from tests.services import requires_postgres

MOBILE = "13905710001"


def raw_row(table: str, columns: list[str], pk: int) -> dict[str, str]:
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {quoted} FROM {connection.ops.quote_name(table)} WHERE id = %s", [pk])  # noqa: S608
        return dict(zip(columns, cursor.fetchone(), strict=True))


@pytest.mark.django_db
def test_r_x1_order_identity_round_trips_and_the_column_holds_ciphertext(alpha, beta):
    # given an order of alpha with a principal's resident ID and mobile
    order = complete_order(alpha, materials=False)
    id_number = make_ric("11010119800307123")
    with tenant_scope(alpha.provider):
        FilingOrder.objects.filter(pk=order.pk).update(principal_mobile=MOBILE)
        order.principal_id_number = id_number
        order.save(update_fields=["principal_id_number"])
        # when it is read back / then Python sees the plain values
        again = FilingOrder.objects.get(pk=order.pk)
    assert (again.principal_id_number, again.principal_mobile) == (id_number, MOBILE)
    # and the columns hold Fernet tokens, never the value
    raw = raw_row(
        "filings_filingorder",
        ["principal_id_number", "principal_mobile", "certificate_number", "entity_key"],
        order.pk,
    )
    for column in ("principal_id_number", "principal_mobile", "certificate_number"):
        assert raw[column].startswith(keys.TOKEN_PREFIX), column
    assert id_number not in raw["principal_id_number"]
    assert MOBILE not in raw["principal_mobile"]
    assert order.certificate_number not in raw["certificate_number"]
    # the entity key is a keyed hash, and the blind indexes follow a save(update_fields=...)
    assert keys.is_digest(raw["entity_key"])
    assert again.principal_id_number_bidx == keys.blind_index(id_number, keys.ID)
    # and beta cannot see alpha's order
    with tenant_scope(beta.provider):
        assert not FilingOrder.objects.filter(pk=order.pk).exists()


def test_r_x1_blind_index_normalises_before_hashing():
    # given the same number typed several ways / then one digest each, and kinds never collide
    assert keys.blind_index("11010119800307123x", keys.ID) == keys.blind_index(" 11010119800307123X", keys.ID)
    assert keys.blind_index("+86 139-0571-0001", keys.MOBILE) == keys.blind_index(MOBILE, keys.MOBILE)
    assert keys.blind_index(MOBILE, keys.MOBILE) != keys.blind_index(MOBILE, keys.ID)
    assert keys.blind_index("", keys.MOBILE) == ""
    # and the digest depends on the key
    before = keys.blind_index(MOBILE, keys.MOBILE)
    with override_settings(ICPFILING_BLIND_INDEX_KEY="another-secret-of-at-least-32-chars!"):
        assert keys.blind_index(MOBILE, keys.MOBILE) != before


@pytest.mark.django_db
def test_r_x1_equality_lookup_on_an_encrypted_column_is_refused():
    # when code compares an encrypted column in SQL / then it is told to use the blind index
    with pytest.raises(FieldError, match="blind index"):
        FiledEntity.objects.filter(principal_mobile=MOBILE).exists()
    # and the blind index answers instead (an empty value still compares as "")
    assert FiledEntity.objects.filter(principal_mobile_bidx=MOBILE).count() == 0
    assert FiledEntity.objects.filter(principal_mobile="").count() == FiledEntity.objects.count()


@pytest.mark.django_db
def test_r_x1_detection_finds_the_entity_by_its_encrypted_certificate_number():
    # given an individual filed with a resident ID as certificate
    id_number = make_ric("33010619900101123")
    entity = filed_entity(cert=id_number, nature=5, cert_type="resident_id")
    raw = raw_row("registry_filedentity", ["certificate_number"], entity.pk)
    assert raw["certificate_number"].startswith(keys.TOKEN_PREFIX)
    # when detection looks the number up, typed with a lower-case x and spaces
    typed = f" {id_number[:-1]}{id_number[-1].lower()} "
    # then it finds the entity through the blind index; another number finds nothing
    assert filed_entity_find(certificate_number=typed) == entity
    assert filed_entity_find(certificate_number=make_ric("33010619900101124")) is None


@pytest.mark.django_db
def test_r_x1_r_v3_a_mobile_of_another_entity_is_refused_through_the_blind_index(alpha, beta):
    # given an entity filed (through beta) whose principal's mobile is MOBILE
    other = filed_entity()
    other.principal_mobile = MOBILE
    other.save(update_fields=["principal_mobile"])
    assert FiledEntity.objects.get(pk=other.pk).principal_mobile_bidx == keys.blind_index(MOBILE, keys.MOBILE)
    # when alpha's order gives the same mobile (typed with +86) for a new entity
    order = complete_order(alpha, materials=False)
    with tenant_scope(alpha.provider):
        order.principal_mobile = "+86 139 0571 0001"
        order.save(update_fields=["principal_mobile"])
        errors = entity_errors(FilingOrder.objects.get(pk=order.pk), today=timezone.localdate())
        # then R-V3 refuses it on the mobile field
        assert "entity.principal_mobile" in errors
        # and a mobile nobody holds passes that rule
        order.principal_mobile = "13905710002"
        order.save(update_fields=["principal_mobile"])
        errors = entity_errors(FilingOrder.objects.get(pk=order.pk), today=timezone.localdate())
    assert "entity.principal_mobile" not in errors


@pytest.mark.django_db
def test_r_x1_migration_helper_encrypts_plain_rows_and_fills_blind_indexes():
    # given rows written before encryption: plain text in the columns, no blind index
    entity = filed_entity(cert=make_ric("33010619900101123"), nature=5, cert_type="resident_id")
    plain_cert = entity.certificate_number
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE registry_filedentity SET certificate_number = %s, principal_mobile = %s, "
            "certificate_number_bidx = '', principal_mobile_bidx = '' WHERE id = %s",
            [plain_cert, MOBILE, entity.pk],
        )
    # when the data migration's function runs, twice
    first = reencrypt_model(FiledEntity, batch_size=2)
    second = reencrypt_model(FiledEntity, batch_size=2)
    # then the row is encrypted and indexed, reads back the same, and the second run is a no-op
    raw = raw_row("registry_filedentity", ["certificate_number", "principal_mobile"], entity.pk)
    assert all(v.startswith(keys.TOKEN_PREFIX) for v in raw.values())
    again = FiledEntity.objects.get(pk=entity.pk)
    assert (again.certificate_number, again.principal_mobile) == (plain_cert, MOBILE)
    assert filed_entity_find(certificate_number=plain_cert) == again
    assert (first.values, first.indexes, first.rewritten) == (2, 2, 1)
    assert (second.values, second.indexes, second.rewritten) == (0, 0, 0)


@pytest.mark.django_db
def test_r_x1_rotation_re_encrypts_under_the_new_key_and_the_old_one_can_go(alpha, beta):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    # given rows of both tenants written under the old key
    with override_settings(ICPFILING_FIELD_KEYS=[old]):
        orders = [complete_order(alpha, materials=False), complete_order(beta, materials=False)]
        entity = filed_entity(cert=make_ric("33010619900101123"), nature=5, cert_type="resident_id")
        # (an outbox email stays readable, an SMS recipient is encrypted)
        outbox_enqueue(channel="email", recipient="a@example.com", subject="s", body="b")
        sms = outbox_enqueue(channel="sms", recipient=MOBILE, body="b")
    with override_settings(ICPFILING_FIELD_KEYS=[new, old]):
        # when the new key is put first / then old values still read
        assert FiledEntity.objects.get(pk=entity.pk).certificate_number == entity.certificate_number
        # when rotate_field_keys runs
        out = io.StringIO()
        call_command("rotate_field_keys", "--batch-size", "1", stdout=out)
        first_total = out.getvalue().strip().splitlines()[-1]
        out = io.StringIO()
        call_command("rotate_field_keys", stdout=out)
        second_total = out.getvalue().strip().splitlines()[-1]
    # then it rewrote rows once, and the second run found nothing left to do
    assert not first_total.startswith("total: 0 rows")
    assert ", 0 rewritten" not in first_total
    assert ", 0 rewritten (0 values re-encrypted, 0 blind indexes refreshed)" in second_total
    # and the new key alone opens everything
    with override_settings(ICPFILING_FIELD_KEYS=[new]), tenant_scopes_disabled():
        assert FiledEntity.objects.get(pk=entity.pk).certificate_number == entity.certificate_number
        assert OutboxMessage.objects.get(pk=sms.pk).recipient == MOBILE
        for order in orders:
            again = FilingOrder.objects.get(pk=order.pk)
            assert again.principal_id_number == order.principal_id_number
            assert again.snapshots.count() == order.snapshots.count()
    # while the old key alone opens nothing any more
    with override_settings(ICPFILING_FIELD_KEYS=[old]), pytest.raises(Exception, match="cannot be opened"):
        FiledEntity.objects.get(pk=entity.pk)


def _production_check(tmp_path, **overrides):
    env = {**production_env(tmp_path), **overrides}
    for name, value in overrides.items():
        if value is None:
            del env[name]
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"ICPFILING_FIELD_KEYS": None}, "ICPFILING_FIELD_KEYS"),
        ({"ICPFILING_BLIND_INDEX_KEY": None}, "ICPFILING_BLIND_INDEX_KEY"),
        ({"ICPFILING_FIELD_KEYS": "not-a-fernet-key"}, "Fernet key"),
        ({"ICPFILING_FIELD_KEYS": "__DEV__"}, "development key"),
        ({"ICPFILING_BLIND_INDEX_KEY": "short"}, "ICPFILING_BLIND_INDEX_KEY"),
    ],
)
def test_r_x1_production_refuses_to_start_without_real_keys(tmp_path, overrides, named):
    from django.conf import settings

    overrides = {k: (settings.ICPFILING_FIELD_KEYS[0] if v == "__DEV__" else v) for k, v in overrides.items()}
    # when production starts with a missing, malformed or public key / then it stops, naming it
    result = _production_check(tmp_path, **overrides)
    assert result.returncode != 0
    assert named in result.stderr


def test_r_x1_production_starts_with_real_keys(tmp_path):
    result = _production_check(tmp_path)
    assert result.returncode == 0, result.stderr


def test_r_x1_scan_finds_ids_and_mobiles_but_not_digests_or_tokens():
    # given text with a valid ID, a mobile, an ID with a wrong check digit, a longer digit run
    # and a hex digest / then only the first two are hits
    valid = make_ric("11010119800307123")
    wrong = valid[:-1] + ("0" if valid[-1] != "0" else "1")
    digest = "a1" * 32
    text = f'{{"a": "{valid}", "b": "手机{MOBILE}", "c": "{wrong}", "d": "8613905710001", "e": "{digest}"}}'
    assert sorted(cleartext_hits(text)) == sorted([valid, MOBILE])
    assert cleartext_hits(keys.encrypt(valid) + " " + keys.blind_index(MOBILE, keys.MOBILE)) == []


@pytest.mark.django_db
def test_r_x1_demo_database_holds_no_id_number_or_mobile_in_clear():
    # given the demo seeded in the embedded run's database (SQLite here, PostgreSQL in CI)
    demo_seed()
    # when every text of every column of every table is scanned
    result = scan_database(connection)
    # then there is data to scan, and no resident ID or mobile in clear
    assert result.bytes_scanned > 100_000
    assert result.by_place() == {}


def _dump(settings_dict) -> bytes:
    """pg_dump of the test database, or COPY ... TO STDOUT of every table when pg_dump cannot run."""
    env = {**os.environ, "PGPASSWORD": settings_dict.get("PASSWORD") or ""}
    args = [
        "pg_dump",
        "--data-only",
        "--no-owner",
        "-h",
        settings_dict.get("HOST") or "127.0.0.1",
        "-p",
        str(settings_dict.get("PORT") or 5432),
        "-U",
        settings_dict.get("USER") or "postgres",
        settings_dict["NAME"],
    ]
    if shutil.which("pg_dump"):
        done = subprocess.run(args, env=env, capture_output=True, timeout=300, check=False)
        if done.returncode == 0:
            return done.stdout
    buffer = io.StringIO()
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.cursor.copy_expert(f"COPY {connection.ops.quote_name(table)} TO STDOUT", buffer)
    return buffer.getvalue().encode()


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_r_x1_postgres_dump_of_the_demo_holds_no_id_number_or_mobile_in_clear():
    # given the demo seeded and committed in PostgreSQL
    reference_data_load()  # transactional tests start from an empty database
    demo_seed()
    # when the database is dumped
    dump = _dump(connection.settings_dict)
    # then the dump has the demo's rows, and no resident ID or mobile in clear
    result = ScanResult()
    result.add("pg_dump", dump.decode(errors="replace"))
    print(f"R-X1 dump check: {result.bytes_scanned} bytes scanned, {len(result.hits)} hits")
    assert result.bytes_scanned > 100_000
    assert "registry_filedentity" in dump.decode(errors="replace")
    assert result.hits == []


@pytest.mark.django_db
def test_r_x1_outbox_encrypts_sms_recipients_and_keeps_emails_and_user_ids_comparable(alpha):
    # given an SMS, an email and an inbox message in the outbox
    sms = outbox_enqueue(channel="sms", recipient=MOBILE, body="b")
    email = outbox_enqueue(channel="email", recipient="a@example.com", subject="s", body="b")
    inbox = outbox_enqueue(channel="inbox", recipient=str(alpha.users["applicant"].pk), subject="s", body="b")
    # then only the mobile is ciphertext in the column, and each reads back as written
    assert raw_row("notifications_outboxmessage", ["recipient"], sms.pk)["recipient"].startswith(
        keys.TOKEN_PREFIX
    )
    assert raw_row("notifications_outboxmessage", ["recipient"], email.pk) == {"recipient": "a@example.com"}
    assert OutboxMessage.objects.get(pk=sms.pk).recipient == MOBILE
    # and the inbox still finds its rows by user id, while a mobile cannot be compared in SQL
    assert list(OutboxMessage.objects.filter(recipient=inbox.recipient)) == [inbox]
    with pytest.raises(FieldError):
        OutboxMessage.objects.filter(recipient=MOBILE).exists()


@pytest.mark.django_db
def test_r_x1_r_c1_an_approved_mobile_change_moves_the_blind_index_and_the_history_is_encrypted():
    # given a filed entity whose principal's mobile is MOBILE
    entity = filed_entity()
    entity.principal_mobile = MOBILE
    entity.save(update_fields=["principal_mobile"])
    # when an approved change gives the principal a new mobile
    new_mobile = "13905710002"
    registry_entity_change(
        entity=entity,
        before={"principal_mobile": MOBILE},
        after={"principal_mobile": new_mobile},
        who=Who(reason="变更负责人手机"),
    )
    # then the registry finds the entity by the new mobile only
    assert list(FiledEntity.objects.filter(principal_mobile_bidx=new_mobile)) == [entity]
    assert not FiledEntity.objects.filter(principal_mobile_bidx=MOBILE).exists()
    # and the history keeps before and after encrypted, shown in clear in Python
    change = RegistryChange.objects.get(entity=entity)
    assert (change.before, change.after) == ({"principal_mobile": MOBILE}, {"principal_mobile": new_mobile})
    raw = raw_row("registry_registrychange", ["before", "after"], change.pk)
    assert cleartext_hits(f"{raw['before']} {raw['after']}") == []
    assert keys.TOKEN_PREFIX in raw["before"]
