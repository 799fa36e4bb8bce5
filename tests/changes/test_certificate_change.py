"""R-C1: a 变更主体 may change the certificate number only at 三证合一, never with the name (R-O6).

An old 15-digit registration number or 9-character organisation code becomes the 统一社会信用代码;
on approval the old number is kept as a former certificate so detection still finds the entity.
Anything else — a credit code replaced by another, name and number at once, a number filed by
someone else — is refused with a reason, and nothing in the registry moves.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from stdnum.cn import uscc

from filings.authority.services import authority_approve
from filings.models import FilingOrder
from filings.orders.detection import order_detect
from filings.orders.services import order_entity_save, order_submit
from filings.workflow import order_transition
from icpfiling.registry.models import CertificateType, FiledEntity, FormerCertificate, RegistryChange
from icpfiling.tenancy.context import tenant_scope
from tests.changes.test_changes import approved_entity, registry_state, start, through_authority
from tests.factories import detection_input, filed_entity, make_uscc, upload_required_materials

OLD_REGISTRATION = "330106000054321"  # 15-digit 工商注册号 before 三证合一


def _org_code(body8: str) -> str:
    """A GB 11714 organisation code (weights 3,7,9,10,5,8,4,2 mod 11) with its check character."""
    total = sum(int(c) * w for c, w in zip(body8, (3, 7, 9, 10, 5, 8, 4, 2), strict=True))
    check = (11 - total % 11) % 11
    return body8 + ("X" if check == 10 else str(check))


def _credit_code(org9: str, area: str = "330106") -> str:
    body = f"91{area}{org9}"
    return body + uscc.calc_check_digit(body)


def _renumbered(tenant, authority, *, number: str = OLD_REGISTRATION, cert_type: str = "business_licence"):
    """An entity filed through ``tenant`` whose registry record still carries a pre-三证合一 number."""
    entity = approved_entity(tenant, authority)
    FiledEntity.objects.filter(pk=entity.pk).update(certificate_number=number, certificate_type_id=cert_type)
    entity.refresh_from_db()
    return entity


def _propose(tenant, order, **values) -> dict:
    """Save the entity step with ``values`` and submit; the submission errors ({} when submitted)."""
    upload_required_materials(tenant, order)
    with tenant_scope(tenant.provider):
        order = FilingOrder.objects.get(pk=order.pk)
        order_entity_save(order=order, actor=tenant.users["applicant"], values=values)
    upload_required_materials(tenant, order)  # what the change now asks for (proof, licence)
    with tenant_scope(tenant.provider):
        return order_submit(order=FilingOrder.objects.get(pk=order.pk), actor=tenant.users["applicant"])


@pytest.mark.parametrize("which", ["alpha", "beta"])
def test_r_c1_registration_number_becomes_the_credit_code_and_the_old_number_still_finds_it(
    alpha, beta, platform_users, which
):
    # given an entity filed with its old registration number, connected at one tenant
    tenant, other = (alpha, beta) if which == "alpha" else (beta, alpha)
    authority = platform_users["authority"]
    entity = _renumbered(tenant, authority)
    number = entity.entity_number
    new = make_uscc()
    # when 变更主体 replaces the number by the credit code, and it goes through approval
    order = start(tenant, "change_entity", entity)
    assert _propose(tenant, order, certificate_number=f" {new.lower()} ") == {}
    review = tenant.client("reviewer").get(reverse("review:order", kwargs={"order_id": order.pk}))
    order = through_authority(tenant, order, authority)
    # then the registry carries the credit code under the same entity number
    entity.refresh_from_db()
    assert order.status == "approved"
    assert (entity.certificate_number, entity.certificate_type_id, entity.entity_number) == (
        new,
        "business_licence",
        number,
    )
    # and the old number is kept as a former certificate, with the change in the history
    assert list(
        FormerCertificate.objects.filter(entity=entity).values_list("number", "certificate_type_id")
    ) == [(OLD_REGISTRATION, "business_licence")]
    change = RegistryChange.objects.get(entity=entity, kind="change_entity")
    assert (change.before, change.after) == (
        {"certificate_number": OLD_REGISTRATION},
        {"certificate_number": new},
    )
    # and the reviewer saw the number's before → after
    assert (
        f'<td class="before">{OLD_REGISTRATION}</td><td class="after">{new}</td>' in review.content.decode()
    )
    # and detection finds the entity by the old number and by the new one, at either tenant (R-O6)
    for t in (tenant, other):
        with tenant_scope(t.provider):
            for cert in (OLD_REGISTRATION, new):
                d = order_detect(
                    tenant_id=t.provider.pk, data=detection_input(cert=cert, domain="renamed-x.cn")
                )
                assert d.entity == entity, cert


def test_r_c1_organisation_code_becomes_the_credit_code_that_embeds_it(alpha, beta, platform_users):
    # given an entity filed under its organisation code
    authority = platform_users["authority"]
    code = _org_code("12345678")
    entity = _renumbered(alpha, authority, number=f"{code[:8]}-{code[8]}", cert_type="organisation_code")
    order = start(alpha, "change_entity", entity)
    licence = CertificateType.objects.get(code="business_licence")
    # when the applicant proposes a credit code that does not embed it
    wrong = _propose(
        alpha, order, certificate_type=licence, certificate_number=_credit_code(_org_code("87654321"))
    )
    # then it is refused, naming the organisation code
    assert wrong["entity.certificate_number"] == [
        f"统一社会信用代码第9至17位应为原组织机构代码{code[:8]}-{code[8]}，请核对是否为同一单位的新证件。"
    ]
    # and the one that embeds it goes through, the type becoming 营业执照
    assert _propose(alpha, order, certificate_number=_credit_code(code)) == {}
    through_authority(alpha, order, authority)
    entity.refresh_from_db()
    assert (entity.certificate_type_id, entity.certificate_number) == ("business_licence", _credit_code(code))
    assert FormerCertificate.objects.get(entity=entity).certificate_type_id == "organisation_code"


def test_r_c1_a_credit_code_cannot_be_replaced_and_nothing_moves(alpha, beta, platform_users):
    # given an entity already filed with its credit code
    authority = platform_users["authority"]
    entity = approved_entity(alpha, authority)
    before = registry_state(entity)
    order = start(alpha, "change_entity", entity)
    # when the applicant proposes another credit code
    errors = _propose(alpha, order, certificate_number=make_uscc())
    # then it is refused with the rule, the order stays a draft and the registry is untouched
    assert errors["entity.certificate_number"] == [
        "证件号码只能在三证合一时变更（原注册号或组织机构代码换为统一社会信用代码）；"
        f"本主体备案的证件号码{entity.certificate_number}已是统一社会信用代码或不属于三证合一前的证件，不能变更。"
    ]
    with tenant_scope(alpha.provider):
        assert FilingOrder.objects.get(pk=order.pk).status == "draft"
    assert registry_state(entity) == before
    assert not FormerCertificate.objects.filter(entity=entity).exists()


def test_r_c1_name_and_number_cannot_change_together(alpha, beta, platform_users):
    # given an entity with its old registration number
    entity = _renumbered(alpha, platform_users["authority"])
    before = registry_state(entity)
    order = start(alpha, "change_entity", entity)
    # when the applicant renames it and changes the number in one order
    errors = _propose(alpha, order, entity_name="杭州新名科技有限公司", certificate_number=make_uscc())
    # then it is refused, saying to do one after the other, and nothing moved
    assert errors["entity.certificate_number"] == [
        "主办单位名称和证件号码不能同时变更：请先办理其中一项，通过后再办理另一项。"
    ]
    assert registry_state(entity) == before


def test_r_c1_the_new_type_must_carry_the_credit_code_and_the_number_be_valid(alpha, beta, platform_users):
    # given an entity with its old registration number and a 变更主体 draft
    entity = _renumbered(alpha, platform_users["authority"])
    order = start(alpha, "change_entity", entity)
    office = CertificateType.objects.get(code="foreign_enterprise_office")
    bad = make_uscc()[:-1] + ("0" if make_uscc()[-1] != "0" else "1")
    # when the applicant picks a type without a credit code, and a code with a wrong check character
    wrong_type = _propose(alpha, order, certificate_type=office, certificate_number=make_uscc())
    wrong_number = _propose(
        alpha,
        order,
        certificate_type=CertificateType.objects.get(code="business_licence"),
        certificate_number=bad,
    )
    # then each is refused by name
    assert wrong_type["entity.certificate_type"] == ["三证合一后的证件类型请选择：营业执照（个人或企业）。"]
    assert wrong_number["entity.certificate_number"] == [
        "统一社会信用代码校验位不正确，请对照营业执照逐位核对。"
    ]


def test_r_c1_number_taken_before_approval_is_refused_by_the_authority_and_nothing_is_written(
    alpha, beta, platform_users
):
    # given a 三证合一 change with the authority
    authority = platform_users["authority"]
    entity = _renumbered(alpha, authority)
    new = make_uscc()
    order = start(alpha, "change_entity", entity)
    assert _propose(alpha, order, certificate_number=new) == {}
    with tenant_scope(alpha.provider):
        order = FilingOrder.objects.get(pk=order.pk)
        for action in ("provider_pass", "verified", "submit_to_authority", "sms_passed"):
            kind = "system" if action == "sms_passed" else "reviewer"
            order = order_transition(
                order=order,
                action=action,
                actor=None if kind == "system" else alpha.users["reviewer"],
                actor_kind=kind,
            )
    # and meanwhile another entity got filed with that credit code (at beta)
    filed_entity(cert=new, sites=[("taken-first.cn", beta.provider)])
    before = registry_state(entity)
    # when the authority approves
    with pytest.raises(ValidationError) as exc:
        authority_approve(order=order, reviewer=authority)
    # then the approval is refused with the reason and nothing was written
    assert exc.value.messages == ["新的统一社会信用代码已由另一个主体备案（或是其原证件号码），不能通过。"]
    with tenant_scope(alpha.provider):
        assert FilingOrder.objects.get(pk=order.pk).status == "authority_review"
    assert registry_state(entity) == before
    assert not FormerCertificate.objects.filter(entity=entity).exists()


def test_r_o6_r_c1_only_change_entity_offers_and_stores_the_certificate(alpha, beta, platform_users):
    # given a new-entity draft and a 变更主体 draft at alpha
    from tests.factories import complete_order

    entity = _renumbered(alpha, platform_users["authority"])
    change = start(alpha, "change_entity", entity)
    first = complete_order(alpha)
    locked = (first.certificate_type_id, first.certificate_number)
    # when the applicant opens both entity steps, and forces a certificate into the first filing
    client = alpha.client("applicant")
    change_page = client.get(reverse("filings:order_entity", kwargs={"order_id": change.pk})).content.decode()
    first_page = client.get(reverse("filings:order_entity", kwargs={"order_id": first.pk})).content.decode()
    with tenant_scope(alpha.provider):
        order_entity_save(
            order=first, actor=alpha.users["applicant"], values={"certificate_number": make_uscc()}
        )
        first.refresh_from_db()
    # then only 变更主体 offers the certificate, prefilled, and the first filing keeps its locked one
    assert f'name="certificate_number" value="{OLD_REGISTRATION}"' in change_page
    assert 'name="certificate_number"' not in first_page
    assert (first.certificate_type_id, first.certificate_number) == locked
    # and beta's applicant cannot open the change
    assert (
        beta.client("applicant")
        .get(reverse("filings:order_entity", kwargs={"order_id": change.pk}))
        .status_code
        == 404
    )
