"""The cooperation agreement (《核验点合作协议》) as a printable A4 PDF (R-K3, seed 000).

It states the business scope, the tiered unit prices X/Y/Z and monthly settlement
(paid by the 15th of the next month), confidentiality and liability; the company's
legal representative signs it, stamps it and returns the scan. The CJK font is the
verification sheet's (``icpfiling.core.pdf_fonts.sheet_font``), registered once per process.
"""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from icpfiling.core.pdf_fonts import sheet_font

TITLE = "核验点合作协议"
DEFAULT_SCOPE = (
    "乙方作为甲方授权的核验点，在其经营场所为甲方的备案用户提供：核验用户提交的身份信息和资质文件原件的真实性与完整性；"
    "当面拍摄幕布照片并在甲方系统中如实记录核验结果；指导用户填写备案信息；提供备案业务咨询与售后支持。"
)
CONFIDENTIALITY = (
    "乙方对在合作中接触的用户个人信息、证件资料、备案数据及甲方的商业信息负有保密义务，"
    "不得向任何第三方披露、复制或用于本协议以外的目的；本条在协议终止后继续有效。"
    "乙方应按甲方要求留存核验资料，并采取必要的安全措施防止泄露、篡改和丢失。"
)
LIABILITY = (
    "乙方应严格遵守《互联网信息服务管理办法》《非经营性互联网信息服务备案管理办法》及甲方的业务规范，"
    "严禁协助用户提交虚假材料。乙方核验失实、泄露用户信息或违反本协议的，应赔偿甲方因此遭受的全部损失，"
    "甲方有权暂停或终止合作并扣减当期结算款；情节严重的，甲方将乙方列入合作黑名单。"
)
SETTLEMENT = (
    "核验服务费按自然月阶梯结算：当月核验量低于50单的，每单单价 {x} 元；50至100单的，每单单价 {y} 元；"
    "100单以上的，每单单价 {z} 元。甲方于每月1日统计上月核验量并出具结算单，"
    "于次月15日前以银行转账方式支付至乙方指定账户。"
)
ASSESSMENT = "乙方应按时提交核验数据，配合甲方完成季度和年度考核；考核不合格的，甲方有权暂停其核验业务。"


def _money(value: Decimal) -> str:
    return f"{Decimal(value):.2f}"


def agreement_pdf(
    *,
    provider_name: str,
    company_name: str,
    credit_code: str,
    premises_address: str,
    legal_contact: str,
    business_scope: str,
    price_low: Decimal,
    price_mid: Decimal,
    price_high: Decimal,
    number: str,
    today: date,
) -> bytes:
    """The agreement's A4 PDF bytes. Pure: reads only its arguments."""
    font = sheet_font()
    base = ParagraphStyle("agreement", fontName=font, fontSize=10, leading=15, wordWrap="CJK")
    title = ParagraphStyle("title", parent=base, fontSize=18, leading=24, alignment=TA_CENTER)
    small = ParagraphStyle("small", parent=base, fontSize=8.5, leading=12, textColor=colors.grey)
    heading = ParagraphStyle("heading", parent=base, fontSize=11.5, leading=17, spaceBefore=6)

    def p(text: str, style: ParagraphStyle = base) -> Paragraph:
        return Paragraph(escape(text).replace("\n", "<br/>"), style)

    settlement = SETTLEMENT.format(x=_money(price_low), y=_money(price_mid), z=_money(price_high))
    prices = Table(
        [
            [p("月核验量"), p("单价（元/单）")],
            [p("低于 50 单（X）"), p(_money(price_low))],
            [p("50 – 100 单（Y）"), p(_money(price_mid))],
            [p("100 单以上（Z）"), p(_money(price_high))],
        ],
        colWidths=[70 * mm, 50 * mm],
    )
    prices.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.6, colors.HexColor("#555555")),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f0f0f0")),
            ]
        )
    )
    signatures = Table(
        [
            [p(f"甲方（盖章）：{provider_name}"), p(f"乙方（盖章）：{company_name}")],
            [p("授权代表（签字）："), p("法定代表人（签字）：")],
            [p("日期：　　年　　月　　日"), p("日期：　　年　　月　　日")],
        ],
        colWidths=[85 * mm, 85 * mm],
        rowHeights=[14 * mm, 14 * mm, 10 * mm],
    )
    story = [
        p(TITLE, title),
        p(f"协议编号：{number}　　生成日期：{today:%Y-%m-%d}", small),
        Spacer(1, 4 * mm),
        p(f"甲方（接入服务单位）：{provider_name}"),
        p(f"乙方（核验点）：{company_name}　统一社会信用代码：{credit_code}"),
        p(f"乙方经营场所：{premises_address}"),
        p(f"乙方联系人：{legal_contact}"),
        p("第一条　业务范围", heading),
        p(business_scope),
        p("第二条　收益分配与结算", heading),
        p(settlement),
        Spacer(1, 2 * mm),
        prices,
        p("第三条　保密条款", heading),
        p(CONFIDENTIALITY),
        p("第四条　违约责任", heading),
        p(LIABILITY),
        p("第五条　考核", heading),
        p(ASSESSMENT),
        p("第六条　其他", heading),
        p(
            "本协议自双方签字盖章之日起生效，有效期一年，期满双方无异议的自动续期一年。"
            "本协议一式两份，双方各执一份。乙方法定代表人签字并加盖公章后，将扫描件回传甲方。"
        ),
        Spacer(1, 8 * mm),
        signatures,
    ]
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=f"{TITLE} {number}",
        author=provider_name,
    )
    doc.build(story)
    return buffer.getvalue()
