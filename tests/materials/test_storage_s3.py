"""Private storage on a real S3 API (moto's server on loopback), through the real views (R-D4)."""

from __future__ import annotations

import hashlib
import socket
import urllib.error
import urllib.request

import boto3
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from moto.server import ThreadedMotoServer

from filings.models import FileAccessLog, MaterialFile
from icpfiling.core.sample_images import sample_image
from icpfiling.tenancy.context import tenant_scope
from tests.factories import complete_order

pytestmark = pytest.mark.django_db
BUCKET = "icp-private-test"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _client(endpoint: str):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name="cn-north-1",
    )


@pytest.fixture(scope="module")
def s3_endpoint():
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    _client(endpoint).create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "cn-north-1"}
    )
    yield endpoint
    server.stop()


@pytest.fixture
def s3_storage(settings, s3_endpoint):
    # The same options production uses (icpfiling/settings.py), pointed at the loopback server.
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": s3_endpoint,
                "access_key": "test",
                "secret_key": "test",
                "region_name": "cn-north-1",
                "addressing_style": "path",
                "signature_version": "s3v4",
                "default_acl": None,
                "querystring_auth": True,
                "querystring_expire": 300,
                "file_overwrite": True,  # names are random UUIDs (tenant_file_name)
            },
        },
    }
    return s3_endpoint


def test_r_d4_upload_is_stored_privately_in_s3_under_the_tenant_prefix(alpha, beta, s3_storage):
    # given an order and a phone photo of the licence
    order = complete_order(alpha, materials=False)
    client = alpha.client("applicant")
    photo = sample_image("licence")
    # when it goes through the real upload view
    r = client.post(
        f"/orders/{order.pk}/materials/upload/",
        {"slot": "licence", "file": SimpleUploadedFile("营业执照.jpg", photo, "image/jpeg")},
    )
    assert r.status_code == 302
    with tenant_scope(alpha.provider):
        material = MaterialFile.objects.get(order=order, slot="licence")
    # then the object is in the bucket under a generated, tenant-prefixed key
    assert material.storage_name.startswith(f"t{alpha.provider.pk}/licence/")
    assert "营业执照" not in material.storage_name
    s3 = _client(s3_storage)
    stored = s3.get_object(Bucket=BUCKET, Key=material.storage_name)["Body"].read()
    assert hashlib.sha256(stored).hexdigest() == material.sha256
    # and an anonymous request for the object is refused
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(f"{s3_storage}/{BUCKET}/{material.storage_name}", timeout=5)  # noqa: S310
    assert err.value.code == 403
    # and the applicant reads it back only through the permission-checked view
    r = client.get(f"/orders/{order.pk}/materials/{material.pk}/")
    assert b"".join(r.streaming_content) == stored
    assert r["X-Content-Type-Options"] == "nosniff"
    assert r["Cache-Control"] == "no-store, private"
    assert r["Content-Disposition"].startswith("inline")
    with tenant_scope(alpha.provider):
        assert list(FileAccessLog.objects.filter(order=order).values_list("action", "kind")) == [
            ("view", "licence"),
            ("upload", "licence"),
        ]
    # and beta's applicant gets the same 404 as for a missing file
    assert beta.client("applicant").get(f"/orders/{order.pk}/materials/{material.pk}/").status_code == 404


def test_r_d4_deleting_a_material_removes_the_object_after_commit(alpha, s3_storage):
    order = complete_order(alpha, materials=False)
    client = alpha.client("applicant")
    client.post(
        f"/orders/{order.pk}/materials/upload/",
        {"slot": "licence", "file": SimpleUploadedFile("a.jpg", sample_image("licence"), "image/jpeg")},
    )
    with tenant_scope(alpha.provider):
        material = MaterialFile.objects.get(order=order)
    client.post(f"/orders/{order.pk}/materials/{material.pk}/delete/")
    s3 = _client(s3_storage)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    assert material.storage_name not in keys
    with tenant_scope(alpha.provider):
        assert not MaterialFile.objects.filter(pk=material.pk).exists()
