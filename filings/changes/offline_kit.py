"""The offline cancellation kit of an empty-shell entity (空壳主体, R-C7), as a printable PDF.

An entity left without websites cannot always be cancelled through a provider;
the province's communications administration then accepts a signed
cancellation application by post (domain reference §1.1, "空壳主体注销
(offline)"). Like the verification sheet this is an official Chinese form: its
text is Chinese in every interface language. Built with ReportLab and the
sheet's CJK font; reads only the filed records.
"""

from __future__ import annotations

import io
from datetime import date
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from icpfiling.core.pdf_fonts import sheet_font
from icpfiling.registry.models import FiledEntity

TITLE = "ICP备案主体注销申请表"
MAIL_TO = "{province}通信管理局（ICP备案受理窗口）"
ENCLOSURES = (
    "本申请表（主体负责人签字；单位加盖公章）",
    "主办单位证件复印件（单位：营业执照等加盖公章；个人：身份证正反面复印件）",
    "主体负责人身份证件正反面复印件",
    "非法定代表人办理的，须附法定代表人签字盖章的授权书",
)


def offline_kit_pdf(*, entity: FiledEntity, today: date) -> bytes:
    font = sheet_font()
    title = ParagraphStyle("t", fontName=font, fontSize=16, leading=22, alignment=1)
    body = ParagraphStyle("b", fontName=font, fontSize=10.5, leading=16)
    small = ParagraphStyle("s", fontName=font, fontSize=9, leading=13, textColor=colors.grey)

    def p(text: str, style: ParagraphStyle = body) -> Paragraph:
        return Paragraph(escape(text), style)

    rows = [
        ["主办单位名称", entity.name],
        ["主体备案号", entity.entity_number],
        ["主办单位证件类型", str(entity.certificate_type)],
        ["主办单位证件号码", entity.certificate_number],
        ["主体负责人", entity.principal_name],
        ["备案省份", entity.province.full_name],
        ["已注销的网站", "、".join(w.website_number for w in entity.websites.order_by("seq")) or "—"],
        ["注销原因", "该主体已无任何备案网站（空壳主体），申请注销主体备案。"],
    ]
    table = Table([[p(a), p(b)] for a, b in rows], colWidths=[45 * mm, 125 * mm])
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("BACKGROUND", (0, 0), (0, -1), colors.whitesmoke),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    story = [
        p(TITLE, title),
        Spacer(1, 4 * mm),
        p(f"生成日期：{today.isoformat()}", small),
        Spacer(1, 3 * mm),
        table,
        Spacer(1, 5 * mm),
        p("本人/本单位确认上述主体已无网站接入，自愿申请注销该主体备案，所填信息真实有效。"),
        Spacer(1, 10 * mm),
        p("主体负责人签字：＿＿＿＿＿＿＿＿　　单位盖章：＿＿＿＿＿＿＿＿　　日期：＿＿＿＿年＿＿月＿＿日"),
        Spacer(1, 8 * mm),
        p("邮寄材料："),
        *[p(f"{i}. {item}") for i, item in enumerate(ENCLOSURES, start=1)],
        Spacer(1, 3 * mm),
        p("邮寄至：" + MAIL_TO.format(province=entity.province.full_name)),
        p("请在信封上注明“ICP备案主体注销”。管局审核通过后，主体备案号注销且不再使用。", small),
    ]
    buf = io.BytesIO()
    SimpleDocTemplate(
        buf, pagesize=A4, title=TITLE, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=18 * mm
    ).build(story)
    return buf.getvalue()
