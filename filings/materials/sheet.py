"""The printable verification sheet (网站备案信息真实性核验单) of an order (R-D5).

``verification_sheet_pdf(order=, today=)`` returns an A4 PDF filled from the
order, in the province's variant; the applicant prints it, signs it (units also
stamp it) and uploads the signed scan as the ``verification_sheet`` material.

What every sheet carries (domain reference §3.5, MIIT-2010 核验单): the 主办单位
block (name, nature, certificate type and number, addresses, the principal's
name, ID, mobile and e-mail), every website of the order with its name and all
its domains, the access provider, the applicant's and the provider's promises,
signature and date lines (主体负责人 / 网站负责人 / 核验人员) and the notice that
the sheet is made out in two copies, one for the provider and one for the
applicant. Dates are left blank on purpose: providers ask applicants not to
date the sheet themselves (TX-上传资料).

How the variant is decided (``sheet_variant``):

1. The province rule data (``province_rules_for(...).raw["verification_sheet"]``,
   seeded from ``registry/seed_data/province-rules.yaml``) decides every feature
   it states: Guangdong's ``variant: guangdong`` with
   ``handwritten_commitment_for_individuals``, ``fingerprint_for_individuals``
   (and the national row's ``fingerprint_exceptions`` by province name),
   Beijing's ``variant: beijing_multi_domain`` with
   ``registrar_after_each_domain``, and Zhejiang's unit rule
   ``multi_domain_handling: one_sheet_per_domain``.
2. ``SHEET_TABLE`` below answers for a feature the data does not state, and in
   one marked case wins over the data (Xinjiang's fingerprint, see there).

Fonts: ReportLab embeds only TrueType-outline fonts (the CFF-based Noto CJK
.ttc raises ``TTFError: postscript outlines are not supported``), so the sheet
uses WenQuanYi (``scripts/ensure-fonts.sh`` installs ``fonts-wqy-zenhei``). When
no TrueType CJK font is installed the built-in CID font ``STSong-Light`` still
renders Chinese, but it is not embedded (the viewer supplies the glyphs) and a
warning is logged (performance-ecosystem-reference.md, "Printable A4
verification sheet with Chinese text: WeasyPrint vs ReportLab").
"""

from __future__ import annotations

import io
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from icpfiling.core.pdf_fonts import sheet_font

logger = logging.getLogger(__name__)

# --------------------------------------------------------------------------- variant


@dataclass(frozen=True)
class _TableRule:
    value: bool
    source: str
    overrides_data: bool = False


# Province sheet features by province code, with their sources (domain reference
# §3.5 "真实性核验单" and §4.7 "Province-specific rules"; seed 004 says the same for
# 江西/新疆 fingerprints and the Guangdong commitment). A feature here answers when
# the province rule data does not state it (no verification_sheet row, or a row
# without that field); ``overrides_data`` marks the one case where it wins anyway.
SHEET_TABLE: dict[str, dict[str, _TableRule]] = {
    # Guangdong individuals hand-write a long commitment on their own sheet
    # (§3.5 JD-GD, TX-省2017; §4.7 承诺书).
    "GD": {"individual_commitment": _TableRule(True, "§3.5 JD-GD/TX-省2017, §4.7")},
    # Jiangxi individuals add a fingerprint next to the signature (§3.5 TX-核验单; §4.7 QC-JX).
    "JX": {"fingerprint_box": _TableRule(True, "§3.5 TX-核验单, §4.7 QC-JX")},
    # Xinjiang individuals: "核验单需要主办人按手印" (§3.5 TX-省2017; §4.7). The seed keeps
    # an older blanket statement that only Jiangxi needs one (conflict C043), but
    # R-D5 and seed 004 name Xinjiang, and an unused box costs nothing while a
    # missing fingerprint gets the sheet refused, so the table wins here.
    "XJ": {"fingerprint_box": _TableRule(True, "§3.5 TX-省2017, §4.7, R-D5", overrides_data=True)},
    # Beijing's multi-domain sheet: one domain per line, the registrar after
    # each (§3.5 JD-BJmulti, TX-核验单; §4.7).
    "BJ": {"registrar_after_each_domain": _TableRule(True, "§3.5 JD-BJmulti/TX-核验单, §4.7")},
}


@dataclass(frozen=True)
class SheetVariant:
    """What one province's sheet looks like for one kind of applicant."""

    code: str  # "national" | "guangdong_unit" | "guangdong_personal" | "beijing_multi_domain"
    title_note: str  # shown after the title, e.g. "广东省个人版"
    individual_commitment: bool = False  # Guangdong individuals' commitment paragraph
    fingerprint_box: bool = False  # 按手印处 next to the website principal's signature
    registrar_after_each_domain: bool = False  # Beijing multi-domain layout (>= 2 domains)
    one_sheet_per_website: bool = False  # e.g. Zhejiang units: a separate sheet per website
    sources: tuple[str, ...] = field(default=(), compare=False)  # where each feature came from


def sheet_variant(
    *,
    province_code: str,
    province_name: str,
    individual: bool,
    rule: Mapping[str, Any] | None,
    domain_count: int,
) -> SheetVariant:
    """The sheet variant from the province's ``verification_sheet`` rule and ``SHEET_TABLE``.

    ``rule`` is ``EffectiveProvinceRules.raw.get("verification_sheet")`` (or None);
    ``domain_count`` is how many domains one sheet lists (Beijing's multi-domain
    layout applies from two).
    """
    entry = dict(rule or {})
    value = entry.get("value") if isinstance(entry.get("value"), dict) else {}
    data_variant = value.get("variant")
    table = SHEET_TABLE.get(province_code, {})
    sources: list[str] = []

    def decide(feature: str, from_data: bool | None) -> bool:
        held = table.get(feature)
        if held is not None and (held.overrides_data or from_data is None):
            sources.append(f"{feature}: table {province_code} ({held.source})")
            return held.value
        if from_data is not None:
            sources.append(f"{feature}: province rules")
            return from_data
        return False

    commitment_data: bool | None = None
    if "handwritten_commitment_for_individuals" in value:
        commitment_data = bool(value["handwritten_commitment_for_individuals"])
    elif data_variant == "guangdong":
        commitment_data = True

    fingerprint_data: bool | None = None
    if "fingerprint_for_individuals" in value:
        fingerprint_data = bool(value["fingerprint_for_individuals"]) or province_name in (
            value.get("fingerprint_exceptions") or ()
        )

    registrar_data: bool | None = None
    # The loader flattens the seed's nested {value, source} to its value; accept both.
    registrar_entry = entry.get("registrar_after_each_domain")
    if isinstance(registrar_entry, dict):
        registrar_entry = registrar_entry.get("value")
    if isinstance(registrar_entry, bool):
        registrar_data = registrar_entry
    elif data_variant == "beijing_multi_domain":
        registrar_data = True

    commitment = decide("individual_commitment", commitment_data) and individual
    fingerprint = decide("fingerprint_box", fingerprint_data) and individual
    multi_domain = decide("registrar_after_each_domain", registrar_data) and domain_count >= 2
    per_website = value.get("multi_domain_handling") == "one_sheet_per_domain"

    guangdong = data_variant == "guangdong" or (data_variant is None and province_code == "GD")
    if multi_domain:
        code, note = "beijing_multi_domain", "多域名版"
    elif guangdong:
        code, note = (
            ("guangdong_personal", "广东省个人版") if individual else ("guangdong_unit", "广东省单位版")
        )
    else:
        code, note = "national", ""
    return SheetVariant(
        code=code,
        title_note=note,
        individual_commitment=commitment,
        fingerprint_box=fingerprint,
        registrar_after_each_domain=multi_domain,
        one_sheet_per_website=per_website,
        sources=tuple(sources),
    )


# --------------------------------------------------------------------------- text

TITLE = "网站备案信息真实性核验单"
COPIES_NOTICE = (
    "本核验单一式两份，接入服务单位与网站主办者各留存一份，请两份均签字（单位加盖公章）后上传扫描件。"
)
FILL_NOTICE = (
    "填写说明：请用黑色或蓝色签字笔签字，日期处留空，由核验人员当面核验后填写；"
    "除签字、盖章（及按手印）外请勿在本单涂改或填写其他内容。"
)
APPLICANT_PROMISE = (
    "网站主办者承诺：本单所列备案信息真实、准确、完整，与所持证件原件一致；"
    "信息如有变化，将及时办理备案变更手续，并对所填信息的真实性承担责任。"
)
PROVIDER_PROMISE = (
    "接入服务单位承诺：已当面查验上述主办者及负责人的证件原件并完成拍照核验，"
    "核验结果如实记录，相关资料按规定留存备查。"
)
# Guangdong individuals copy this commitment by hand. It is the form's own wording, word for
# word and with the source's punctuation, as seed 004 quotes it ("广东备案主体为个人时，核验单中
# 需手写以下内容"); never paraphrase it, the 管局 compares the copy with the form.
COMMITMENT_SOURCE = "seed 004 (阿里云 核验单填写注意事项, 广东个人样例)"
COMMITMENT_FIRST_SENTENCE = "本人已履行网站备案信息当面核验手续,承认网站备案信息和核验记录真实有效,"
GUANGDONG_PERSONAL_COMMITMENT = COMMITMENT_FIRST_SENTENCE + (
    "承诺本网站是个人网站,未含企业、单位等非个人网站的信息,承诺网站备案信息一旦发生变更,"
    "将及时进行更新,填报虚假备案信息、未履行备案变更手续、超出备案项目提供服务的,"
    "愿承担关闭网站并注销备案(列黑名单)等相应处理。"
)
COMMITMENT_COPY_HINT = "请在下方横线处用黑色签字笔抄写以上承诺："
FINGERPRINT_LABEL = "按手印处"


# --------------------------------------------------------------------------- layout


@dataclass(frozen=True)
class _Styles:
    title: ParagraphStyle
    subtitle: ParagraphStyle
    section: ParagraphStyle
    label: ParagraphStyle
    cell: ParagraphStyle
    small: ParagraphStyle
    body: ParagraphStyle


def _styles(font: str, scale: float = 1.0) -> _Styles:
    """The sheet's text styles; ``scale`` < 1 shrinks type so a long order still fits one page."""

    def z(size: float) -> float:
        return round(size * scale, 2)

    base = ParagraphStyle("sheet", fontName=font, fontSize=z(9.5), leading=z(13), wordWrap="CJK")
    return _Styles(
        title=ParagraphStyle("title", parent=base, fontSize=z(17), leading=z(22), alignment=TA_CENTER),
        subtitle=ParagraphStyle(
            "subtitle",
            parent=base,
            fontSize=z(8.5),
            leading=z(12),
            alignment=TA_CENTER,
            textColor=colors.grey,
        ),
        section=ParagraphStyle(
            "section", parent=base, fontSize=z(11), leading=z(15), spaceBefore=z(4), spaceAfter=z(3)
        ),
        label=ParagraphStyle("label", parent=base, textColor=colors.HexColor("#333333")),
        cell=base,
        small=ParagraphStyle("small", parent=base, fontSize=z(8.5), leading=z(12)),
        body=ParagraphStyle("body", parent=base, fontSize=z(9.5), leading=z(14)),
    )


# Seed 001: the sheet "不得分页". Type sizes tried in turn until each sheet fits one A4 page;
# the smallest keeps body text at about 5 pt, still legible when printed.
FIT_SCALES = (1.0, 0.9, 0.8, 0.72, 0.65, 0.58, 0.52)


PAGE_W, PAGE_H = A4
MARGIN = 16 * mm
CONTENT_W = PAGE_W - 2 * MARGIN - 12  # the frame pads 6 pt on each side
LABEL_BG = colors.HexColor("#f0f0f0")
GRID = colors.HexColor("#555555")


def _p(text: object, style: ParagraphStyle) -> Paragraph:
    """A paragraph of plain (escaped) text; newlines become line breaks."""
    return Paragraph(escape(str(text or "")).replace("\n", "<br/>"), style)


def _grid_style(extra: Sequence[tuple] = ()) -> TableStyle:
    return TableStyle(
        [
            ("GRID", (0, 0), (-1, -1), 0.6, GRID),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("TOPPADDING", (0, 0), (-1, -1), 2),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 3.5),
            ("LEFTPADDING", (0, 0), (-1, -1), 4),
            ("RIGHTPADDING", (0, 0), (-1, -1), 4),
            *extra,
        ]
    )


def _site_domains(site: Any) -> list[str]:
    """All domains of a website as shown to people (one per website for new filings, R-O7)."""
    shown = getattr(site, "domain_display", "") or getattr(site, "domain", "")
    return [shown] if shown else []


def _name(obj: Any) -> str:
    return str(getattr(obj, "name", "") or obj or "")


def _entity_table(order: Any, *, individual: bool, id_type_names: Mapping[str, str], s: _Styles) -> Table:
    lab, val = s.label, s.cell
    id_type = id_type_names.get(order.principal_id_type, order.principal_id_type)
    name_label = "主办者姓名" if individual else "主办单位名称"
    rows = [
        [_p(name_label, lab), _p(order.entity_name, val), "", ""],
        [
            _p("主办单位性质", lab),
            _p(_name(order.nature), val),
            _p("证件类型", lab),
            _p(_name(order.certificate_type), val),
        ],
        [_p("证件号码", lab), _p(order.certificate_number, val), "", ""],
        [_p("证件住所", lab), _p(order.registered_address, val), "", ""],
        [_p("通讯地址", lab), _p(order.communication_address, val), "", ""],
        [_p("主体负责人姓名", lab), _p(order.principal_name, val), _p("证件类型", lab), _p(id_type, val)],
        [
            _p("证件号码", lab),
            _p(order.principal_id_number, val),
            _p("手机号码", lab),
            _p(order.principal_mobile, val),
        ],
        [_p("电子邮箱", lab), _p(order.principal_email, val), "", ""],
    ]
    widths = [30 * mm, (CONTENT_W - 60 * mm) / 2 + 15 * mm, 24 * mm, 0]
    widths[3] = CONTENT_W - sum(widths[:3])
    # A row with one value spans the value across the last three columns.
    spans = [("SPAN", (1, i), (3, i)) for i, row in enumerate(rows) if isinstance(row[2], str)]
    backgrounds = [("BACKGROUND", (0, 0), (0, -1), LABEL_BG)] + [
        ("BACKGROUND", (2, i), (2, i), LABEL_BG) for i, row in enumerate(rows) if not isinstance(row[2], str)
    ]
    return Table(rows, colWidths=widths, style=_grid_style(spans + backgrounds))


def _website_principal(order: Any, site: Any) -> str:
    if getattr(site, "principal_same_as_entity", True):
        name, mobile = order.principal_name, order.principal_mobile
    else:
        name, mobile = site.principal_name, site.principal_mobile
    return "\n".join(x for x in (name, mobile) if x)


def _service_content(site: Any) -> str:
    labels = getattr(site, "service_content_labels", None)
    if labels is None:
        labels = getattr(site, "service_content", None) or []
    return "、".join(str(x) for x in labels)


def _websites_table(order: Any, sites: Sequence[Any], *, variant: SheetVariant, s: _Styles) -> Table:
    val, small = s.cell, s.small
    head = ["序号", "网站名称", "网站域名", "首页地址", "网站负责人", "服务内容"]
    rows: list[list[Any]] = [[_p(h, s.label) for h in head]]
    for n, site in enumerate(sites, start=1):
        domains = _site_domains(site)
        if variant.registrar_after_each_domain:
            # Beijing multi-domain sheet: one domain per line, each followed by its
            # registrar (the portal does not hold it; the applicant writes it in).
            cell: Any = [_p(f"{d}\n注册服务机构：___________", small) for d in domains] or _p("", val)
        else:
            cell = _p("\n".join(domains), val)
        rows.append(
            [
                _p(getattr(site, "position", None) or n, val),
                _p(site.name, val),
                cell,
                _p(site.homepage_url, small),
                _p(_website_principal(order, site), small),
                _p(_service_content(site), small),
            ]
        )
    widths = [11 * mm, 37 * mm, 44 * mm, 0, 24 * mm, 22 * mm]
    widths[3] = CONTENT_W - sum(widths)
    style = _grid_style([("BACKGROUND", (0, 0), (-1, 0), LABEL_BG)])
    return Table(rows, colWidths=widths, style=style, repeatRows=1)  # the header repeats on a new page


def _order_apps(order: Any) -> list[Any]:
    """The order's apps (R-AP4); stand-in orders without apps have none."""
    apps = getattr(order, "apps", None)
    if apps is None or not hasattr(apps, "prefetch_related"):
        return []
    return list(apps.prefetch_related("platforms").order_by("position"))


def _apps_table(order: Any, apps: Sequence[Any], *, s: _Styles) -> Table:
    """Apps, mini-programs and quick apps: name, kind, platform ids, principal, service content."""
    val, small = s.cell, s.small
    head = ["序号", "名称", "类型", "平台 / 包名 / AppID", "负责人", "服务内容"]
    rows: list[list[Any]] = [[_p(h, s.label) for h in head]]
    for n, app in enumerate(apps, start=1):
        if app.kind == "app":
            ids = "\n".join(f"{p.get_platform_display()}：{p.package_name}" for p in app.platforms.all())
        else:
            ids = f"{app.mini_platform}：{app.mini_appid}"
        rows.append(
            [
                _p(n, val),
                _p(app.name, val),
                _p(str(app.get_kind_display()), small),
                _p(ids, small),
                _p(_website_principal(order, app), small),
                _p(_service_content(app), small),
            ]
        )
    widths = [11 * mm, 37 * mm, 16 * mm, 0, 24 * mm, 22 * mm]
    widths[3] = CONTENT_W - sum(widths)
    style = _grid_style([("BACKGROUND", (0, 0), (-1, 0), LABEL_BG)])
    return Table(rows, colWidths=widths, style=style, repeatRows=1)


def _access_table(provider_name: str, s: _Styles, licence_number: str = "") -> Table:
    checks = "□ 证件原件与备案信息一致　□ 主体负责人当面核验　□ 网站负责人当面核验　□ 已拍照留存"
    rows = [
        [_p("接入服务单位", s.label), _p(provider_name, s.cell)],
        # R-M1: the provider's own licence number, as set on its settings page.
        *([[_p("经营许可证号", s.label), _p(licence_number, s.cell)]] if licence_number else []),
        [_p("核验内容（核验人员勾选）", s.label), _p(checks, s.small)],
    ]
    style = _grid_style([("BACKGROUND", (0, 0), (0, -1), LABEL_BG)])
    return Table(rows, colWidths=[42 * mm, CONTENT_W - 42 * mm], style=style)


def _signature_line(label: str, s: _Styles, *, width: float, hint: str = "") -> list[Any]:
    """A signature cell: its label, room to sign, a ruled 签字 line and a blank date."""
    head = escape(label) + (f'<font size="8">{escape(hint)}</font>' if hint else "")
    inner = width - 8  # the cell's own padding
    ruled = Table(
        [[_p("签字：", s.cell), ""]],
        colWidths=[12 * mm, inner - 12 * mm],
        style=TableStyle(
            [
                ("LINEBELOW", (1, 0), (1, 0), 0.6, colors.black),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
            ]
        ),
    )
    return [
        Paragraph(head, s.cell),
        Spacer(1, 8 * mm),
        ruled,
        Spacer(1, 2 * mm),
        _p("日期：______年____月____日", s.cell),
    ]


def _fingerprint_cell(s: _Styles) -> list[Any]:
    """The 按手印处: a square box beside the website principal's signature."""
    box = Table(
        [[""]],
        colWidths=[24 * mm],
        rowHeights=[24 * mm],
        style=TableStyle([("BOX", (0, 0), (-1, -1), 0.9, colors.black)]),
    )
    box.hAlign = "CENTER"
    label = ParagraphStyle("fingerprint", parent=s.cell, alignment=TA_CENTER)
    return [_p(FINGERPRINT_LABEL, label), Spacer(1, 1 * mm), box]


def _signature_table(*, individual: bool, variant: SheetVariant, s: _Styles) -> Table:
    if variant.fingerprint_box:
        # Jiangxi / Xinjiang individuals: the fingerprint goes next to the signature.
        rest = (CONTENT_W - 30 * mm) / 3
        widths = [rest, rest, 30 * mm, rest]
    else:
        widths = [CONTENT_W / 3] * 3
    entity = _signature_line(
        "主办者签字" if individual else "主体负责人签字",
        s,
        width=widths[0],
        hint="" if individual else "（并加盖单位公章）",
    )
    website = _signature_line(
        "网站负责人签字", s, width=widths[1], hint="（并按手印）" if variant.fingerprint_box else ""
    )
    verifier = _signature_line("核验人员（接入服务单位）", s, width=widths[-1])
    cells = (
        [entity, website, _fingerprint_cell(s), verifier]
        if variant.fingerprint_box
        else [
            entity,
            website,
            verifier,
        ]
    )
    style = _grid_style([("VALIGN", (0, 0), (-1, -1), "TOP"), ("TOPPADDING", (0, 0), (-1, -1), 5)])
    return Table([cells], colWidths=widths, style=style)


def _commitment_block(s: _Styles) -> list[Any]:
    rule = Table([[""]] * 3, colWidths=[CONTENT_W], rowHeights=[8 * mm] * 3)
    rule.setStyle(TableStyle([("LINEBELOW", (0, 0), (-1, -1), 0.5, colors.grey, None, (2, 2))]))
    return [
        _p("个人承诺（广东省个人备案）", s.section),
        _p(GUANGDONG_PERSONAL_COMMITMENT, s.body),
        Spacer(1, 2 * mm),
        _p(COMMITMENT_COPY_HINT, s.small),
        rule,
    ]


def _sheet(
    order: Any,
    sites: Sequence[Any],
    *,
    variant: SheetVariant,
    individual: bool,
    today: date,
    id_type_names: Mapping[str, str],
    s: _Styles,
    part: tuple[int, int] | None,
) -> list[Any]:
    title = TITLE + (f"（{variant.title_note}）" if variant.title_note else "")
    order_type = getattr(order, "get_order_type_display", None)
    meta = [
        f"备案省份：{getattr(order.province, 'full_name', '') or _name(order.province)}",
        f"订单编号：{order.pk}",
        f"备案类型：{order_type() if callable(order_type) else getattr(order, 'order_type', '')}",
        f"生成日期：{today.isoformat()}",
    ]
    if part is not None:
        meta.append(f"第 {part[0]} 份，共 {part[1]} 份（每个网站一份）")
    # R-AP4: the apps are listed once, on the first sheet of a per-website set.
    apps = _order_apps(order) if part is None or part[0] == 1 else []
    story: list[Any] = [
        _p(title, s.title),
        Spacer(1, 1.5 * mm),
        _p("　｜　".join(meta), s.subtitle),
        Spacer(1, 4 * mm),
        _p("一、网站主办者基本信息", s.section),
        _entity_table(order, individual=individual, id_type_names=id_type_names, s=s),
        Spacer(1, 2 * mm),
        _p("二、网站信息", s.section),
        _websites_table(order, sites, variant=variant, s=s),
        Spacer(1, 2 * mm),
        *(
            [_p("二（续）、App、小程序与快应用", s.section), _apps_table(order, apps, s=s), Spacer(1, 2 * mm)]
            if apps
            else []
        ),
        _p("三、接入服务单位及核验", s.section),
        _access_table(_name(order.tenant), s, getattr(order.tenant, "licence_number", "")),
        Spacer(1, 2 * mm),
    ]
    promises = [
        _p("四、承诺与签字", s.section),
        _p(APPLICANT_PROMISE, s.body),
        _p(PROVIDER_PROMISE, s.body),
        Spacer(1, 2 * mm),
        _signature_table(individual=individual, variant=variant, s=s),
    ]
    story.append(KeepTogether(promises))
    if variant.individual_commitment:
        story.append(Spacer(1, 2 * mm))
        story.append(KeepTogether(_commitment_block(s)))
    story += [
        Spacer(1, 4 * mm),
        _p(COPIES_NOTICE, s.body),
        _p(FILL_NOTICE, s.small),
    ]
    return story


def render_sheet(
    *,
    order: Any,
    variant: SheetVariant,
    today: date,
    id_type_names: Mapping[str, str] | None = None,
    websites: Sequence[Any] | None = None,
) -> bytes:
    """The PDF for ``order`` in ``variant``.

    Reads only the order's attributes (and ``order.websites.all()`` unless
    ``websites`` is given), so plain stand-in objects work as well as orders.
    """
    font = sheet_font()
    individual = bool(order.nature.is_individual)
    sites = list(order.websites.all()) if websites is None else list(websites)
    groups = [[site] for site in sites] if variant.one_sheet_per_website and len(sites) > 1 else [sites]
    pdf, pages = b"", 0
    for scale in FIT_SCALES:
        pdf, pages = _build(
            order=order,
            variant=variant,
            groups=groups,
            individual=individual,
            today=today,
            id_type_names=id_type_names or {},
            font=font,
            scale=scale,
        )
        if pages <= len(groups):  # one page per sheet (seed 001: 不得分页)
            return pdf
    logger.warning(
        "verification sheet of order %s needs %d pages for %d sheets", order.pk, pages, len(groups)
    )
    return pdf


def _build(
    *,
    order: Any,
    variant: SheetVariant,
    groups: list[list[Any]],
    individual: bool,
    today: date,
    id_type_names: Mapping[str, str],
    font: str,
    scale: float,
) -> tuple[bytes, int]:
    """(PDF, its page count) at one type scale."""
    s = _styles(font, scale)
    story: list[Any] = []
    for i, group in enumerate(groups, start=1):
        if i > 1:
            story.append(PageBreak())
        story += _sheet(
            order,
            group,
            variant=variant,
            individual=individual,
            today=today,
            id_type_names=id_type_names,
            s=s,
            part=(i, len(groups)) if len(groups) > 1 else None,
        )

    def footer(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont(font, 8)
        canvas.setFillColor(colors.grey)
        canvas.drawCentredString(
            PAGE_W / 2, 9 * mm, f"{TITLE}　｜　订单 {order.pk}　｜　第 {canvas.getPageNumber()} 页"
        )
        canvas.restoreState()

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=12 * mm,
        bottomMargin=15 * mm,
        title=f"{TITLE} {order.pk}",
        author=_name(order.tenant),
        subject="ICP备案",
    )
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue(), doc.page


# --------------------------------------------------------------------------- entry point


def verification_sheet_pdf(*, order: Any, today: date | None = None) -> bytes:
    """The order's printable A4 verification sheet (真实性核验单) as PDF bytes (R-D5).

    Reads the province rules in force on ``today`` (default: the local date) for
    the order's scope. Call it inside the order's tenant scope.
    """
    from django.utils import timezone

    from icpfiling.registry.models import PersonalIdType
    from icpfiling.registry.province_rules import PERSONAL, UNIT, province_rules_for

    today = today or timezone.localdate()
    individual = bool(order.nature.is_individual)
    rules = province_rules_for(
        province_code=order.province.code, scope=PERSONAL if individual else UNIT, on=today
    )
    rule = rules.raw.get("verification_sheet")
    sites = list(order.websites.all())
    value = rule.get("value") if isinstance(rule, dict) else None
    per_website = isinstance(value, dict) and value.get("multi_domain_handling") == "one_sheet_per_domain"
    # How many domains one sheet lists (Beijing's multi-domain layout starts at two).
    per_site = [len(_site_domains(site)) for site in sites]
    domain_count = max(per_site, default=0) if per_website else sum(per_site)
    variant = sheet_variant(
        province_code=order.province.code,
        province_name=order.province.name,
        individual=individual,
        rule=rule,
        domain_count=domain_count,
    )
    id_type_names = dict(PersonalIdType.objects.values_list("code", "name"))
    return render_sheet(
        order=order, variant=variant, today=today, id_type_names=id_type_names, websites=sites
    )
