"""Seed 001: the verification sheet "不得分页" — every sheet fits one A4 page, for the
largest order the portal accepts (the websites-per-order limit, every field long); and
seed 004: Guangdong individuals copy the form's own commitment, word for word."""

from __future__ import annotations

import pytest

from filings.materials.sheet import (
    COMMITMENT_SOURCE,
    GUANGDONG_PERSONAL_COMMITMENT,
    render_sheet,
    sheet_variant,
    verification_sheet_pdf,
)
from filings.models import FilingOrder
from icpfiling.registry.province_rules import province_rules_load
from icpfiling.tenancy.context import tenant_scope
from tests.factories import complete_order
from tests.materials.test_sheet import NATIONAL_RULE, SEED_RULES, TODAY, page_count, pdf_text, stand_in_order

# Seed 004, verbatim: the text a Guangdong individual must copy by hand.
SEED_004_COMMITMENT = (
    "本人已履行网站备案信息当面核验手续,承认网站备案信息和核验记录真实有效,承诺本网站是个人网站,"
    "未含企业、单位等非个人网站的信息,承诺网站备案信息一旦发生变更,将及时进行更新,填报虚假备案信息、"
    "未履行备案变更手续、超出备案项目提供服务的,愿承担关闭网站并注销备案(列黑名单)等相应处理。"
)


def worst_order(code: str, *, individual: bool, websites: int):
    """Every field at a long value the validators accept, every website with its own principal."""
    order = stand_in_order(
        code,
        individual=individual,
        websites=websites,
        entity_name="王小明" if individual else "某" * 100,
        registered_address="地址" * 150,
        communication_address="通讯" * 150,
    )
    for i, site in enumerate(order.websites):
        site.name = "网站名称很长" * 5
        site.domain = site.domain_display = "a" * 50 + f"-{i}.com.cn"
        site.homepage_url = "https://www." + "b" * 100 + f"{i}.cn/index.html"
        site.principal_same_as_entity = individual
        site.principal_name = "欧阳某某某"
        site.principal_mobile = "13905710002"
        site.service_content_labels = ["单位门户", "博客", "网络游戏", "其他"]
    return order


def render(order) -> bytes:
    code = order.province.code
    variant = sheet_variant(
        province_code=code,
        province_name=order.province.name,
        individual=order.nature.is_individual,
        rule=SEED_RULES.get(code, NATIONAL_RULE),
        domain_count=len(order.websites),
    )
    return render_sheet(order=order, variant=variant, today=TODAY, id_type_names={})


@pytest.mark.parametrize(
    ("code", "individual", "websites"),
    [
        ("HN", False, 10),  # national unit sheet, the default unit limit (10 websites)
        ("BJ", False, 10),  # Beijing: a registrar line after every domain
        ("GD", True, 1),  # Guangdong individual: the hand-copied commitment
        ("JX", True, 1),  # Jiangxi individual: the fingerprint box
    ],
)
def test_seed001_worst_case_sheet_fits_one_a4_page(code, individual, websites):
    pdf = render(worst_order(code, individual=individual, websites=websites))
    assert page_count(pdf) == 1
    text = pdf_text(pdf)
    assert f"a{'a' * 49}-{websites - 1}.com.cn" in text  # the last website is on it


def test_seed001_zhejiang_one_sheet_per_website_each_on_one_page():
    pdf = render(worst_order("ZJ", individual=False, websites=10))
    assert page_count(pdf) == 10


def test_seed001_ten_website_order_from_the_portal_is_one_page(alpha, beta):
    # given a real unit order at the default limit, in a province with the national sheet
    province_rules_load()
    order = complete_order(alpha, websites=10, materials=False)
    with tenant_scope(alpha.provider):
        FilingOrder.objects.filter(pk=order.pk).update(province_id="HN")
        pdf = verification_sheet_pdf(order=FilingOrder.objects.get(pk=order.pk), today=TODAY)
    # then its sheet is one page listing every website
    assert page_count(pdf) == 1
    assert all(f"-{i}.cn" in pdf_text(pdf) for i in range(10))
    assert beta.provider.websites_per_order_unit == 10


def test_seed004_guangdong_individual_commitment_is_the_forms_own_wording():
    assert GUANGDONG_PERSONAL_COMMITMENT == SEED_004_COMMITMENT
    assert "seed 004" in COMMITMENT_SOURCE
    text = pdf_text(render(stand_in_order("GD", individual=True)))
    assert SEED_004_COMMITMENT in text
