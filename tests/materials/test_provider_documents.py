"""Seed 001 lists a 信息安全协议 (two copies) among one provider's materials: provider-specific
documents are a provider setting (name, description, copies, template), kept by the provider
admin on a page of its own, and asked of every matching order with the template to download."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from filings.materials.requirements import requirements_for
from filings.models import FilingOrder, ProviderDocument
from icpfiling.tenancy.context import tenant_scope
from tests.factories import complete_order, upload_required_materials

pytestmark = pytest.mark.django_db

PDF = "%PDF-1.4\n% 信息安全协议模板\n".encode()


def add(tenant, **extra):
    data = {
        "name": "信息安全协议",
        "description": "下载模板，打印两份，加盖公章后扫描上传。",
        "copies": "2",
        "applies_to": "all",
        "template": SimpleUploadedFile("信息安全协议.pdf", PDF, "application/pdf"),
        **extra,
    }
    return tenant.client("provider_admin").post("/provider/documents/", data)


def test_seed001_provider_admin_adds_an_information_security_agreement(alpha, beta):
    # when alpha's admin adds the agreement with its template
    r = add(alpha)
    assert r.status_code == 302
    with tenant_scope(alpha.provider):
        doc = ProviderDocument.objects.get()
    assert (doc.name, doc.copies, doc.applies_to, doc.active) == ("信息安全协议", 2, "all", True)
    # then alpha's orders ask for it, with the description, the copies and the template link
    order = complete_order(alpha, materials=False)
    with tenant_scope(alpha.provider):
        [req] = [
            r
            for r in requirements_for(FilingOrder.objects.get(pk=order.pk))
            if r.slot == f"provider_doc:{doc.pk}"
        ]
    assert (req.title, req.required, req.template_url) == (
        "信息安全协议",
        True,
        f"/provider/documents/{doc.pk}/template/",
    )
    assert str(req.reason) == "下载模板，打印两份，加盖公章后扫描上传。（2 份，接入商要求的材料）"
    page = alpha.client("applicant").get(f"/orders/{order.pk}/materials/").content.decode()
    assert f'href="/provider/documents/{doc.pk}/template/"' in page
    # the applicant downloads the template as it was uploaded
    r = alpha.client("applicant").get(f"/provider/documents/{doc.pk}/template/")
    assert (r.status_code, b"".join(r.streaming_content)) == (200, PDF)
    assert r["Content-Type"] == "application/pdf"
    # beta's orders are not asked for alpha's document, and beta cannot download it
    other = complete_order(beta, materials=False)
    with tenant_scope(beta.provider):
        assert not [
            r
            for r in requirements_for(FilingOrder.objects.get(pk=other.pk))
            if r.slot.startswith("provider_doc:")
        ]
    assert beta.client("applicant").get(f"/provider/documents/{doc.pk}/template/").status_code == 404


def test_seed001_submission_waits_for_the_providers_document(alpha):
    # given an order complete by the rules, created before the provider added its agreement
    order = complete_order(alpha)
    add(alpha)
    with tenant_scope(alpha.provider):
        doc = ProviderDocument.objects.get()
    # then submission is refused until the agreement is uploaded
    r = alpha.client("applicant").post(f"/orders/{order.pk}/preview/")
    assert r.status_code == 200
    assert any("信息安全协议" in m for m in r.context["errors"]["materials"])
    assert upload_required_materials(alpha, order) == 1
    assert alpha.client("applicant").post(f"/orders/{order.pk}/preview/").status_code == 302
    # a stopped document is no longer asked of new orders
    alpha.client("provider_admin").post(f"/provider/documents/{doc.pk}/toggle/")
    fresh = complete_order(alpha, materials=False)
    with tenant_scope(alpha.provider):
        slots = [r.slot for r in requirements_for(FilingOrder.objects.get(pk=fresh.pk))]
    assert f"provider_doc:{doc.pk}" not in slots
    assert upload_required_materials(alpha, fresh) == 5  # the rules' five, not the agreement


def test_seed001_only_the_provider_admin_keeps_the_list_and_bad_templates_are_refused(alpha, beta):
    # other roles cannot open or post the page
    for role in ("applicant", "reviewer", "point_staff"):
        assert alpha.client(role).get("/provider/documents/").status_code == 403
    # a template that is not a PDF is refused with a clear message, nothing stored
    r = add(alpha, template=SimpleUploadedFile("agreement.pdf", b"MZ\x90\x00 not a pdf", "application/pdf"))
    assert r.status_code == 400
    assert "模板文件须为 PDF 格式，请另存为 PDF 后上传。" in r.content.decode()
    # a duplicate name is refused on its field
    assert add(alpha).status_code == 302
    r = add(alpha)
    assert r.status_code == 400
    assert "已有同名材料，请换一个名称。" in r.content.decode()
    # copies are bounded
    r = add(alpha, name="另一份", copies="11")
    assert r.status_code == 400
    with tenant_scope(alpha.provider):
        assert ProviderDocument.objects.count() == 1
    with tenant_scope(beta.provider):
        assert ProviderDocument.objects.count() == 0
