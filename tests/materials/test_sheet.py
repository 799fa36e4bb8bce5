"""R-D5: the verification sheet (真实性核验单) PDF, per province variant.

Most tests build the order from plain stand-in objects (no database): the
renderer only reads attributes. The ``db`` tests run the real entry point,
with the province rules loaded from the seed, on a stand-in order in another
province and on a complete order built by the factories.
"""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path
from types import SimpleNamespace as NS

import pytest
from pypdf import PdfReader

from filings.materials.sheet import (
    COMMITMENT_FIRST_SENTENCE,
    FINGERPRINT_LABEL,
    render_sheet,
    sheet_variant,
    verification_sheet_pdf,
)
from filings.models import FilingOrder
from icpfiling.core.pdf_fonts import FONT_CANDIDATES, sheet_font
from icpfiling.registry.models import EntityNature, Province
from icpfiling.tenancy.context import tenant_scope
from tests.factories import complete_order

TODAY = date(2026, 11, 2)
COPIES = "一式两份"
PROVINCES = {
    "ZJ": ("浙江", "浙江省"),
    "GD": ("广东", "广东省"),
    "JX": ("江西", "江西省"),
    "XJ": ("新疆", "新疆维吾尔自治区"),
    "BJ": ("北京", "北京市"),
    "HN": ("湖南", "湖南省"),
}
# The seed's verification_sheet rules as province_rules_for(...).raw returns them.
NATIONAL_RULE = {
    "value": {"variant": "national", "fingerprint_for_individuals": False, "fingerprint_exceptions": ["江西"]}
}
SEED_RULES = {
    "GD": {"value": {"variant": "guangdong", "handwritten_commitment_for_individuals": True}},
    "JX": {"value": {"variant": "national", "fingerprint_for_individuals": True}},
    "XJ": {"value": {"variant": "national", "fingerprint_for_individuals": False}},
    "BJ": {
        "value": {"variant": "beijing_multi_domain", "applies_when": "website has >= 2 domains"},
        "registrar_after_each_domain": True,
    },
    "ZJ": {"value": {"variant": "national", "multi_domain_handling": "one_sheet_per_domain"}},
}


class _Sites(list):
    def all(self):
        return self


def stand_in_order(code="ZJ", *, individual=False, websites=1, **overrides):
    """An object with every attribute the sheet reads, like a FilingOrder."""
    name, full_name = PROVINCES[code]
    sites = _Sites(
        NS(
            position=i + 1,
            name=f"示例科技官网第{i}站" if i else "示例科技官网",
            domain=f"sheet-example-{i}.cn",
            domain_display=f"sheet-example-{i}.cn",
            homepage_url=f"https://www.sheet-example-{i}.cn/",
            principal_same_as_entity=True,
            principal_name="",
            principal_mobile="",
            service_content_labels=["其他" if individual else "单位门户"],
        )
        for i in range(websites)
    )
    values = {
        "pk": 7,
        "province": NS(code=code, name=name, full_name=full_name),
        "nature": NS(name="个人" if individual else "企业", is_individual=individual),
        "certificate_type": NS(name="居民身份证" if individual else "营业执照（个人或企业）"),
        "certificate_number": "330106199001011235" if individual else "91330106MA2SHEET7X",
        "entity_name": "王小明" if individual else "杭州核验单示例科技有限公司",
        "registered_address": "示例市示例区示例路 1 号",
        "communication_address": "示例市示例区示例路 1 号 8 楼",
        "principal_name": "王小明" if individual else "张三",
        "principal_id_type": "resident_id",
        "principal_id_number": "330106199001011235",
        "principal_mobile": "13905710001",
        "principal_email": "owner@example.com",
        "tenant": NS(name="Alpha Cloud"),
        "websites": sites,
        "get_order_type_display": lambda: "首次备案",
    }
    values.update(overrides)
    return NS(**values)


def render(order, *, rule=None, domain_count=None) -> bytes:
    variant = sheet_variant(
        province_code=order.province.code,
        province_name=order.province.name,
        individual=order.nature.is_individual,
        rule=rule if rule is not None else SEED_RULES.get(order.province.code, NATIONAL_RULE),
        domain_count=len(order.websites) if domain_count is None else domain_count,
    )
    return render_sheet(
        order=order, variant=variant, today=TODAY, id_type_names={"resident_id": "居民身份证"}
    )


def pdf_text(pdf: bytes) -> str:
    """The PDF's text with all whitespace removed (wrapping must not break a match)."""
    reader = PdfReader(io.BytesIO(pdf))
    return "".join("".join(page.extract_text() for page in reader.pages).split())


def page_count(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


# --------------------------------------------------------------------------- variant decision


def test_r_d5_variant_follows_province_rule_data():
    gd = sheet_variant(
        province_code="GD", province_name="广东", individual=True, rule=SEED_RULES["GD"], domain_count=1
    )
    assert (gd.code, gd.individual_commitment, gd.fingerprint_box) == ("guangdong_personal", True, False)
    gd_unit = sheet_variant(
        province_code="GD", province_name="广东", individual=False, rule=SEED_RULES["GD"], domain_count=1
    )
    assert (gd_unit.code, gd_unit.individual_commitment) == ("guangdong_unit", False)
    jx = sheet_variant(
        province_code="JX", province_name="江西", individual=True, rule=SEED_RULES["JX"], domain_count=1
    )
    assert jx.fingerprint_box
    assert not jx.individual_commitment
    assert jx.sources == ("fingerprint_box: province rules",)
    zj = sheet_variant(
        province_code="ZJ", province_name="浙江", individual=False, rule=SEED_RULES["ZJ"], domain_count=1
    )
    assert (zj.code, zj.fingerprint_box, zj.individual_commitment) == ("national", False, False)
    assert zj.one_sheet_per_website


def test_r_d5_fingerprint_only_for_individuals():
    for code in ("JX", "XJ"):
        unit = sheet_variant(
            province_code=code,
            province_name=PROVINCES[code][0],
            individual=False,
            rule=SEED_RULES[code],
            domain_count=1,
        )
        assert not unit.fingerprint_box


def test_r_d5_xinjiang_fingerprint_table_wins_over_seed_conflict():
    # The seed keeps "false" for 新疆 (conflict C043); R-D5 and seed 004 require the box.
    xj = sheet_variant(
        province_code="XJ", province_name="新疆", individual=True, rule=SEED_RULES["XJ"], domain_count=1
    )
    assert xj.fingerprint_box
    assert xj.sources[0].startswith("fingerprint_box: table XJ")


def test_r_d5_national_row_fingerprint_exceptions_by_province_name():
    # A province without its own row gets the national row, whose exceptions name 江西.
    jx = sheet_variant(
        province_code="JX", province_name="江西", individual=True, rule=NATIONAL_RULE, domain_count=1
    )
    hn = sheet_variant(
        province_code="HN", province_name="湖南", individual=True, rule=NATIONAL_RULE, domain_count=1
    )
    assert jx.fingerprint_box
    assert not hn.fingerprint_box


@pytest.mark.parametrize(
    ("code", "individual", "feature"),
    [
        ("GD", True, "individual_commitment"),
        ("JX", True, "fingerprint_box"),
        ("XJ", True, "fingerprint_box"),
        ("BJ", False, "registrar_after_each_domain"),
    ],
)
def test_r_d5_table_answers_without_rule_data(code, individual, feature):
    v = sheet_variant(
        province_code=code, province_name=PROVINCES[code][0], individual=individual, rule=None, domain_count=2
    )
    assert getattr(v, feature)
    plain = sheet_variant(
        province_code="ZJ", province_name="浙江", individual=individual, rule=None, domain_count=2
    )
    assert not getattr(plain, feature)


def test_r_d5_beijing_multi_domain_only_from_two_domains():
    one = sheet_variant(
        province_code="BJ", province_name="北京", individual=False, rule=SEED_RULES["BJ"], domain_count=1
    )
    two = sheet_variant(
        province_code="BJ", province_name="北京", individual=False, rule=SEED_RULES["BJ"], domain_count=2
    )
    assert (one.code, one.registrar_after_each_domain) == ("national", False)
    assert (two.code, two.registrar_after_each_domain) == ("beijing_multi_domain", True)


# --------------------------------------------------------------------------- rendering (no database)


def test_r_d5_sheet_is_a4_pdf_with_entity_and_every_domain():
    order = stand_in_order("HN", websites=3)
    pdf = render(order)
    assert pdf.startswith(b"%PDF")
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)
    text = pdf_text(pdf)
    for site in order.websites:
        assert site.domain_display in text
        assert site.name in text
    assert order.entity_name in text
    assert order.certificate_number in text
    assert order.principal_name in text
    assert "AlphaCloud" in text  # the access provider (whitespace removed)
    assert COPIES in text
    for label in ("主体负责人签字", "网站负责人签字", "核验人员"):
        assert label in text


def test_r_d5_zhejiang_unit_has_no_commitment_and_no_fingerprint_box():
    pdf = render(stand_in_order("ZJ", websites=3))
    text = pdf_text(pdf)
    assert COMMITMENT_FIRST_SENTENCE not in text
    assert FINGERPRINT_LABEL not in text
    # Zhejiang units: one sheet per website (seed: multi_domain_handling one_sheet_per_domain)
    assert page_count(pdf) == 3
    for i in range(3):
        assert f"sheet-example-{i}.cn" in text


def test_r_d5_guangdong_individual_has_commitment_paragraph():
    text = pdf_text(render(stand_in_order("GD", individual=True)))
    assert COMMITMENT_FIRST_SENTENCE in text
    assert FINGERPRINT_LABEL not in text
    assert "主办者签字" in text


def test_r_d5_guangdong_unit_has_no_individual_commitment():
    text = pdf_text(render(stand_in_order("GD", individual=False)))
    assert COMMITMENT_FIRST_SENTENCE not in text


@pytest.mark.parametrize("province", ["JX", "XJ"])
def test_r_d5_jiangxi_and_xinjiang_individuals_have_fingerprint_box(province):
    text = pdf_text(render(stand_in_order(province, individual=True)))
    assert FINGERPRINT_LABEL in text
    assert COMMITMENT_FIRST_SENTENCE not in text


def test_r_d5_beijing_multi_domain_lists_registrar_after_each_domain():
    order = stand_in_order("BJ", websites=2)
    text = pdf_text(render(order))
    assert "多域名版" in text
    assert text.count("注册服务机构") == 2
    single = pdf_text(render(stand_in_order("BJ", websites=1)))
    assert "注册服务机构" not in single


def test_r_d5_user_text_is_escaped_not_markup():
    order = stand_in_order("HN", entity_name="A&B <示例> 公司")
    assert "A&B<示例>公司" in pdf_text(render(order))


def test_r_d5_sheet_embeds_a_truetype_cjk_font():
    if not any(Path(path).is_file() for path, _ in FONT_CANDIDATES):
        pytest.skip(
            "no TrueType CJK font installed (run scripts/ensure-fonts.sh); the sheet falls back to "
            "the non-embedded STSong-Light CID font"
        )
    assert sheet_font() != "STSong-Light"
    reader = PdfReader(io.BytesIO(render(stand_in_order("HN"))))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    embedded = []
    for ref in fonts.values():
        font = ref.get_object()
        for descendant in font.get("/DescendantFonts", []):
            descriptor = descendant.get_object().get("/FontDescriptor")
            if descriptor is not None and "/FontFile2" in descriptor.get_object():
                embedded.append(font["/BaseFont"])
        descriptor = font.get("/FontDescriptor")
        if descriptor is not None and "/FontFile2" in descriptor.get_object():
            embedded.append(font["/BaseFont"])
    assert embedded, "the sheet's CJK font is not embedded"


# --------------------------------------------------------------------------- with the database


@pytest.mark.parametrize(
    ("province", "commitment", "fingerprint"),
    [("GD", True, False), ("JX", False, True), ("XJ", False, True), ("HN", False, False)],
)
def test_r_d5_entry_point_uses_seeded_province_rules(db, province, commitment, fingerprint):
    real = Province.objects.get(code=province)
    order = stand_in_order(province, individual=True, province=real, nature=EntityNature.objects.get(code=5))
    text = pdf_text(verification_sheet_pdf(order=order, today=TODAY))
    assert (COMMITMENT_FIRST_SENTENCE in text) is commitment
    assert (FINGERPRINT_LABEL in text) is fingerprint
    assert real.full_name in text
    assert order.certificate_number in text


def test_r_d5_complete_zhejiang_order_with_three_websites(alpha):
    order = complete_order(alpha, websites=3, materials=False)
    with tenant_scope(alpha.provider):
        order = FilingOrder.objects.select_related("province", "nature", "certificate_type", "tenant").get(
            pk=order.pk
        )
        domains = [site.domain_display or site.domain for site in order.websites.all()]
        pdf = verification_sheet_pdf(order=order, today=TODAY)
    assert len(domains) == 3
    text = pdf_text(pdf)
    for domain in domains:
        assert domain in text
    assert order.entity_name in text
    assert order.certificate_number in text
    assert "".join(order.tenant.name.split()) in text
    assert COPIES in text
    assert COMMITMENT_FIRST_SENTENCE not in text
    assert FINGERPRINT_LABEL not in text
