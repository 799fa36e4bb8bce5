"""A monthly statement as CSV (for Excel) and as PDF (R-K4: statements downloadable)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from icpfiling.core.pdf_fonts import sheet_font
from verification_points.models import MonthlyStatement, VerificationCheck
from verification_points.operations.settlement import tier_label
from verification_points.operations.slots import CHINA_TZ

# Excel (and LibreOffice) run a cell starting with one of these as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: object) -> str:
    """A cell value that a spreadsheet shows as text, never evaluates (formula injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def statement_facts(statement: MonthlyStatement, provider_name: str) -> list[tuple[str, str]]:
    """(label, value) pairs shared by the page, the CSV and the PDF."""
    return [
        (_("接入商"), provider_name),
        (_("核验点"), statement.point.name),
        (_("结算月份"), f"{statement.month:%Y-%m}"),
        (_("核验次数"), str(statement.checks)),
        (_("档位"), str(tier_label(statement.tier))),
        (_("单价（元）"), f"{statement.unit_price:.2f}"),
        (_("金额（元）"), f"{statement.amount:.2f}"),
        (_("付款截止日"), f"{statement.due_on:%Y-%m-%d}"),
        (_("状态"), str(statement.get_status_display())),
        (
            _("支付时间"),
            f"{timezone.localtime(statement.paid_at, CHINA_TZ):%Y-%m-%d %H:%M}" if statement.paid_at else "",
        ),
    ]


def _check_row(check: VerificationCheck) -> list[str]:
    return [
        f"{timezone.localtime(check.recorded_at, CHINA_TZ):%Y-%m-%d %H:%M}",
        f"#{check.order_id}",
        str(check.get_result_display()),
        check.checked_by.email,
    ]


def _check_header() -> list[str]:
    return [_("核验时间"), _("订单"), _("核验结果"), _("核验人员")]


def statement_csv(
    *, statement: MonthlyStatement, provider_name: str, checks: Iterable[VerificationCheck]
) -> bytes:
    """UTF-8 with a BOM so that Excel reads the Chinese text; every cell formula-safe."""
    out = io.StringIO()
    writer = csv.writer(out)
    for label, value in statement_facts(statement, provider_name):
        writer.writerow([csv_safe(label), csv_safe(value)])
    writer.writerow([])
    writer.writerow([csv_safe(h) for h in _check_header()])
    for check in checks:
        writer.writerow([csv_safe(v) for v in _check_row(check)])
    return out.getvalue().encode("utf-8-sig")


def statement_pdf(
    *, statement: MonthlyStatement, provider_name: str, checks: Iterable[VerificationCheck]
) -> bytes:
    font = sheet_font()
    base = ParagraphStyle("statement", fontName=font, fontSize=9.5, leading=13, wordWrap="CJK")
    title = ParagraphStyle("title", parent=base, fontSize=16, leading=22, alignment=TA_CENTER)

    def p(text: object, style: ParagraphStyle = base) -> Paragraph:
        # Names come from users: escaped, never ReportLab markup.
        return Paragraph(escape(str(text)), style)

    grid = TableStyle(
        [
            ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("BACKGROUND", (0, 0), (0, -1), colors.whitesmoke),
        ]
    )
    facts = Table(
        [[p(label), p(value)] for label, value in statement_facts(statement, provider_name)],
        colWidths=[40 * mm, 120 * mm],
    )
    facts.setStyle(grid)
    rows = [[p(h) for h in _check_header()]] + [[p(v) for v in _check_row(c)] for c in checks]
    story = [
        p(_("核验点月度结算单"), title),
        Spacer(1, 6 * mm),
        facts,
        Spacer(1, 6 * mm),
        p(_("计入本结算单的核验记录")),
        Spacer(1, 2 * mm),
    ]
    if len(rows) > 1:
        listing = Table(rows, colWidths=[35 * mm, 25 * mm, 35 * mm, 65 * mm], repeatRows=1)
        listing.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                ]
            )
        )
        story.append(listing)
    else:
        story.append(p(_("本月没有核验记录。")))
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=f"statement-{statement.point_id}-{statement.month:%Y-%m}",
    )
    doc.build(story)
    return buf.getvalue()
