"""Materials through the real views (R-D1…R-D6): required set, hostile uploads, phone hand-off."""

from __future__ import annotations

import io
import json
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from filings.materials.requirements import requirements_for
from filings.models import FileAccessLog, FilingOrder, MaterialFile, OrderWebsite, PhoneUploadLink
from icpfiling.core.sample_images import sample_image
from icpfiling.tenancy.context import tenant_scope
from tests.factories import complete_order
from tests.materials.upload_corpus import good_files, hostile_files
from tests.services import requires_postgres

pytestmark = pytest.mark.django_db


def _stored_files(tmp_root) -> list:
    return [p for p in tmp_root.rglob("*") if p.is_file()]


@pytest.fixture
def private_root(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path), "base_url": None},
        },
    }
    return tmp_path


def _slots(tenant, order) -> list[str]:
    with tenant_scope(tenant.provider):
        return [r.slot for r in requirements_for(FilingOrder.objects.get(pk=order.pk))]


def test_r_d1_unit_in_zhejiang_needs_licence_ids_and_sheet(alpha):
    order = complete_order(alpha, materials=False)
    assert _slots(alpha, order) == [
        "licence",
        "principal_id_front",
        "principal_id_back",
        "extra:0",
        "verification_sheet",
        "curtain_photo",
    ]


def test_r_d1_other_website_principal_and_news_content_add_materials(alpha):
    order = complete_order(alpha, materials=False)
    with tenant_scope(alpha.provider):
        site = order.websites.get()
        OrderWebsite.objects.filter(pk=site.pk).update(
            principal_same_as_entity=False, principal_name="李四", service_content=["news"]
        )
    slots = _slots(alpha, order)
    assert f"website_principal_id:{site.pk}" in slots
    assert f"pre_approval:{site.pk}:news" in slots


def test_r_d1_province_rules_add_the_tianjin_domain_certificate(alpha):
    order = complete_order(alpha, materials=False)
    with tenant_scope(alpha.provider):
        FilingOrder.objects.filter(pk=order.pk).update(province_id="TJ")
        site = order.websites.get()
    assert f"domain_certificate:{site.pk}" in _slots(alpha, order)


def test_r_d1_xinjiang_needs_the_party_building_letter(alpha):
    order = complete_order(alpha, materials=False)
    with tenant_scope(alpha.provider):
        FilingOrder.objects.filter(pk=order.pk).update(province_id="XJ")
        names = [str(r.title) for r in requirements_for(FilingOrder.objects.get(pk=order.pk))]
    assert any("党建确认函" in n for n in names)


def test_submit_is_refused_while_required_materials_are_missing(alpha):
    order = complete_order(alpha, materials=False)
    r = alpha.client("applicant").post(f"/orders/{order.pk}/preview/")
    assert r.status_code == 200
    assert len(r.context["errors"]["materials"]) == 5
    with tenant_scope(alpha.provider):
        assert FilingOrder.objects.get(pk=order.pk).status == "draft"


@pytest.mark.parametrize(
    ("name", "data", "code"), hostile_files(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_r_d2_hostile_upload_is_refused_by_the_real_view(alpha, private_root, name, data, code):
    order = complete_order(alpha, materials=False)
    client = alpha.client("applicant")
    slot = "curtain_photo" if code == "too_small" else "licence"
    if code == "too_many_files":
        for i in range(3):
            client.post(
                f"/orders/{order.pk}/materials/upload/",
                {
                    "slot": slot,
                    "file": SimpleUploadedFile(f"ok{i}.jpg", sample_image(f"ok{i}"), "image/jpeg"),
                },
            )
    with tenant_scope(alpha.provider):
        rows_before = MaterialFile.objects.count()
    files_before = len(_stored_files(private_root))
    r = client.post(
        f"/orders/{order.pk}/materials/upload/",
        {"slot": slot, "file": SimpleUploadedFile(name, data, "image/jpeg")},
        HTTP_ACCEPT="application/json",
    )
    if code.startswith("accepted"):
        assert r.status_code == 200, r.content
        return
    assert r.status_code == 400, (code, r.content)
    body = json.loads(r.content)
    assert body["ok"] is False
    assert body["message"]
    with tenant_scope(alpha.provider):
        assert MaterialFile.objects.count() == rows_before
    assert len(_stored_files(private_root)) == files_before


@pytest.mark.parametrize(
    ("name", "data", "expect"), good_files(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_r_d3_good_files_are_stored_upright_single_frame_without_exif(
    alpha, private_root, name, data, expect
):
    order = complete_order(alpha, materials=False)
    r = alpha.client("applicant").post(
        f"/orders/{order.pk}/materials/upload/",
        {"slot": "licence", "file": SimpleUploadedFile(name, data, "image/jpeg")},
        HTTP_ACCEPT="application/json",
    )
    assert r.status_code == 200, r.content
    with tenant_scope(alpha.provider):
        material = MaterialFile.objects.get(order=order)
    stored = (private_root / material.storage_name).read_bytes()
    im = Image.open(io.BytesIO(stored))
    assert getattr(im, "n_frames", 1) == 1
    assert len(im.getexif()) == 0
    assert (im.width, im.height) == (material.width, material.height)


def test_r_d6_phone_link_uploads_to_one_order_and_expires(alpha, private_root):
    order = complete_order(alpha, materials=False)
    desktop = alpha.client("applicant")
    desktop.post(f"/orders/{order.pk}/phone-link/")
    page = desktop.get(f"/orders/{order.pk}/materials/").content.decode()
    assert "data:image/svg+xml" in page  # the QR code
    url = page.split('class="help"><a href="', 1)[1].split('"', 1)[0]
    path = url.split(alpha.host, 1)[1]
    phone = alpha.client()  # not logged in
    assert "手机上传材料" in phone.get(path).content.decode()
    r = phone.post(
        path, {"slot": "licence", "file": SimpleUploadedFile("IMG_0001.jpg", sample_image("x"), "image/jpeg")}
    )
    assert r.status_code == 302
    with tenant_scope(alpha.provider):
        material = MaterialFile.objects.get(order=order)
        assert material.via_phone is True
        assert FileAccessLog.objects.filter(material=material, action="upload", via_phone=True).count() == 1
    # the desktop's status poll sees it
    assert json.loads(desktop.get(f"/orders/{order.pk}/materials/status/").content)["files"] == {"licence": 1}
    # after revocation the link is dead
    desktop.post(f"/orders/{order.pk}/phone-link/revoke/")
    assert phone.get(path).status_code == 404
    # and an expired link too
    with tenant_scope(alpha.provider):
        PhoneUploadLink.objects.update(revoked_at=None, expires_at=timezone.now())
    assert phone.get(path).status_code == 404


def test_r_d6_short_code_typed_on_the_desktop_binds_the_phone(alpha, beta):
    order = complete_order(alpha, materials=False)
    phone = alpha.client()
    r = phone.post("/m/")
    path = r["Location"]
    with tenant_scope(alpha.provider):
        code = PhoneUploadLink.objects.get().short_code
    assert code[:4] in phone.get(path).content.decode()
    # a code typed at another provider binds nothing
    beta_order = complete_order(beta, materials=False)
    beta.client("applicant").post(f"/orders/{beta_order.pk}/phone-link/claim/", {"code": code})
    with tenant_scope(alpha.provider):
        assert PhoneUploadLink.objects.get().order_id is None
    alpha.client("applicant").post(
        f"/orders/{order.pk}/phone-link/claim/", {"code": f"{code[:4]} {code[4:]}"}
    )
    with tenant_scope(alpha.provider):
        assert PhoneUploadLink.objects.get().order_id == order.pk
    assert "主体负责人证件" in phone.get(path).content.decode()


def test_r_d5_verification_sheet_downloads_as_pdf(alpha):
    order = complete_order(alpha, materials=False)
    r = alpha.client("applicant").get(f"/orders/{order.pk}/sheet.pdf")
    assert r.status_code == 200
    assert r["Content-Type"] == "application/pdf"
    assert r.content.startswith(b"%PDF")


def test_r_d2_same_file_twice_to_one_item_is_refused_once_stored(alpha, beta, private_root):
    # Given a licence uploaded once at alpha
    order = complete_order(alpha, materials=False)
    client = alpha.client("applicant")
    photo = sample_image("licence-twice")
    first = client.post(
        f"/orders/{order.pk}/materials/upload/",
        {"slot": "licence", "file": SimpleUploadedFile("licence.jpg", photo, "image/jpeg")},
        HTTP_ACCEPT="application/json",
    )
    assert first.status_code == 200
    files_before = len(_stored_files(private_root))
    # When the very same picture is sent again to the same item
    again = client.post(
        f"/orders/{order.pk}/materials/upload/",
        {"slot": "licence", "file": SimpleUploadedFile("licence-copy.jpg", photo, "image/jpeg")},
        HTTP_ACCEPT="application/json",
    )
    # Then it is refused with a reason, and nothing more is stored
    assert again.status_code == 400
    assert (
        json.loads(again.content)["message"]
        == "这个文件已经上传到本项材料，无需重复上传。如需更换，请先删除原文件。"
    )
    with tenant_scope(alpha.provider):
        assert MaterialFile.objects.filter(order=order, slot="licence").count() == 1
    assert len(_stored_files(private_root)) == files_before
    # and the same picture for another item of the order is still accepted
    other_slot = next(s for s in _slots(alpha, order) if s not in ("licence", "curtain_photo"))
    other = client.post(
        f"/orders/{order.pk}/materials/upload/",
        {"slot": other_slot, "file": SimpleUploadedFile("x.jpg", photo, "image/jpeg")},
        HTTP_ACCEPT="application/json",
    )
    assert other.status_code == 200, other.content


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_r_d2_upload_locks_only_its_order_not_the_provider_or_the_province(private_root):
    # Given an order at alpha (beta exists too) and another transaction updating alpha's provider row
    # and the order's province row (FOR NO KEY UPDATE, the lock of a plain UPDATE of those rows)
    from django.db import connection, transaction

    from filings.materials.services import material_upload
    from icpfiling.registry.models import Province
    from icpfiling.registry.reference import reference_data_load
    from icpfiling.tenancy.models import Provider
    from tests.conftest import make_tenant

    reference_data_load()
    alpha, _beta = make_tenant("alpha"), make_tenant("beta")
    order = complete_order(alpha, materials=False)
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                Provider.objects.select_for_update(no_key=True).get(pk=alpha.provider.pk)
                Province.objects.select_for_update(no_key=True).get(pk=order.province_id)
                held.set()
                release.wait(timeout=20)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(timeout=10)
        # When the applicant uploads a licence meanwhile (waiting at most 3 s for any lock)
        with connection.cursor() as cur:
            cur.execute("SET lock_timeout = '3s'")
        with tenant_scope(alpha.provider):
            stored = material_upload(
                order=order,
                slot="licence",
                uploaded=SimpleUploadedFile("licence.jpg", sample_image("lock-scope"), "image/jpeg"),
                actor=alpha.users["applicant"],
            )
        # Then the upload went through: it locked its order row only (issue 17's load test met a
        # deadlock when it also locked the joined provider and province rows)
        with tenant_scope(alpha.provider):
            assert list(MaterialFile.objects.filter(order=order).values_list("pk", "slot")) == [
                (stored.pk, "licence")
            ]
    finally:
        release.set()
        holder.join(timeout=20)
        with connection.cursor() as cur:
            cur.execute("RESET lock_timeout")


def test_r_d2_a_huge_body_to_any_form_writes_no_more_than_the_cap_and_is_refused(
    alpha, beta, private_root, settings, tmp_path, monkeypatch
):
    import os

    from filings.models import MaterialFile as Stored
    from icpfiling.tenancy.models import Provider
    from icpfiling.uploads.handlers import SiteCappedUploadHandler
    from verification_points.applications.scans import MAX_SCAN_BYTES

    # Given the site's upload cap, which is at least every limit a page applies
    cap = settings.ICPFILING_UPLOAD_FILE_CAP
    provider_max = max(
        v.limit_value
        for v in Provider._meta.get_field("upload_max_bytes").validators
        if hasattr(v, "limit_value")
    )
    assert cap >= provider_max
    assert cap >= MAX_SCAN_BYTES
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    written = []
    complete = SiteCappedUploadHandler.file_complete

    def spy(self, file_size):
        self.file.flush()
        written.append((os.path.getsize(self.file.temporary_file_path()), file_size))
        return complete(self, file_size)

    monkeypatch.setattr(SiteCappedUploadHandler, "file_complete", spy)
    order = complete_order(alpha, materials=False)
    # When an applicant's client sends a 21 MB "photo" (over every limit) to the upload form
    huge = sample_image("huge") + b"\0" * (cap + 1024 * 1024)
    r = alpha.client("applicant").post(
        f"/orders/{order.pk}/materials/upload/",
        {"slot": "licence", "file": SimpleUploadedFile("huge.jpg", huge, "image/jpeg")},
        HTTP_ACCEPT="application/json",
    )
    # Then the disk held at most cap + 1 bytes of it, the form refused it by its size, and nothing
    # was stored; the temporary file is gone with the request
    assert written == [(cap + 1, len(huge))]
    assert r.status_code == 400
    assert "上限" in json.loads(r.content)["message"]
    with tenant_scope(alpha.provider):
        assert Stored.objects.filter(order=order).count() == 0
    assert _stored_files(private_root) == []
    assert list(tmp_path.iterdir()) == []
