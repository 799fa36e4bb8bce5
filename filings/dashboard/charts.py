"""Server-side SVG for the dashboard's charts (R-M3): no script, nothing from a CDN.

Each function returns the finished ``<svg>`` markup (labels escaped here), built
in Python because a template loop over 52 weeks of bars was most of the page's
time. The SVG has a fixed ``viewBox`` 320 units wide and scales to its
container, so one unit is about one CSS pixel on a 390 px phone and the text
stays legible. Colours come from classes in ``portal.css`` (the CSP forbids
inline styles); each bar carries a ``<title>`` with its number, and the table
next to the chart holds every number for screen readers and copying.
"""

from __future__ import annotations

from datetime import date

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH = 320
LABEL_W = 112  # room for an 8-character Chinese label at 13 units
LABEL_CHARS = 8


def _open(height: float, title_id: str) -> str:
    return (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height:g}" width="100%" role="img" '
        f'aria-labelledby="{escape(title_id)}" focusable="false">'
    )


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def hbars(rows: list[tuple[str, list[int | None]]], *, title_id: str) -> SafeString:
    """Horizontal bars, one row per label and one bar per series (e.g. median and 90th percentile)."""
    series = max((len(vs) for _label, vs in rows), default=1)
    bar_h = 18 if series == 1 else 13
    row_h = 28 if series == 1 else 10 + bar_h * series
    top = max([v for _label, vs in rows for v in vs if v] or [1])
    k = (WIDTH - LABEL_W - 36) / top
    parts = [_open(max(1, len(rows)) * row_h + 8, title_id)]
    for i, (label, vs) in enumerate(rows):
        y = i * row_h + 4
        text = escape(label)
        parts.append(
            f'<text class="label" x="{LABEL_W - 6}" y="{y + bar_h * len(vs) / 2 + 3:g}" '
            f'text-anchor="end">{escape(_short(label))}</text>'
        )
        for j, v in enumerate(vs):
            w = round((v or 0) * k, 1)
            by = y + j * bar_h
            shown = "—" if v is None else v
            parts.append(
                f'<rect class="bar s{j}" x="{LABEL_W}" y="{by}" width="{w:g}" height="{bar_h - 2}">'
                f"<title>{text}: {shown}</title></rect>"
                f'<text class="value" x="{LABEL_W + w + 4:g}" y="{by + bar_h - 5}">{shown}</text>'
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308  (every label is escaped above; numbers are ints)


def columns(rows: list[tuple[date, int]], *, title_id: str) -> SafeString:
    """One column per week; a date under every few columns so the labels never overlap."""
    height, base, left = 150, 126, 28
    n = max(1, len(rows))
    slot = (WIDTH - left - 4) / n
    top = max([v for _w, v in rows] or [0]) or 1
    every = max(1, round(n / 6))
    parts = [
        _open(height, title_id),
        f'<line class="axis" x1="{left}" y1="{base}" x2="{WIDTH}" y2="{base}"/>',
        f'<text class="value" x="{left - 4}" y="14" text-anchor="end">{top}</text>',
        f'<text class="value" x="{left - 4}" y="{base}" text-anchor="end">0</text>',
    ]
    for i, (week, v) in enumerate(rows):
        h = round(v / top * (base - 12), 1)
        x = round(left + i * slot + slot * 0.15, 1)
        parts.append(
            f'<rect class="bar s0" x="{x:g}" y="{base - h:g}" width="{slot * 0.7:.1f}" height="{h:g}">'
            f"<title>{week:%Y-%m-%d}: {v}</title></rect>"
        )
        if i % every == 0:
            parts.append(
                f'<text class="tick" x="{x + slot * 0.35:.1f}" y="{base + 16}" '
                f'text-anchor="middle">{week:%m-%d}</text>'
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308  (dates and ints only)


def table(headers: list[str], rows: list[list]) -> SafeString:
    """The chart's numbers as a plain table (first cell a row header): readable, copyable, accessible."""
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in headers)
    body = "".join(
        f'<tr><th scope="row">{escape(first)}</th>' + "".join(f"<td>{escape(c)}</td>" for c in rest) + "</tr>"
        for first, *rest in rows
    )
    if not rows:
        body = f'<tr><td colspan="{len(headers)}">—</td></tr>'
    return mark_safe(  # noqa: S308  (every header and cell is escaped above)
        f'<table class="table nums"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
    )
