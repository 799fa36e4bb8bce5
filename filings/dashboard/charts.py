"""Server-side SVG geometry for the dashboard's charts (R-M3): no script, nothing from a CDN.

Each function returns plain numbers for ``templates/filings/dashboard/_*.html``;
the SVG has a fixed ``viewBox`` 360 units wide and scales to its container, so
one unit is about one CSS pixel on a 390 px phone and text stays legible.
Colours come from classes in ``portal.css`` (the CSP forbids inline styles).
"""

from __future__ import annotations

from datetime import date

WIDTH = 360
LABEL_W = 118  # room for a 9-character Chinese label at 12 units
BAR_H = 16
ROW_H = 26


def _scale(values: list[int | float]) -> float:
    top = max([v for v in values if v] or [1])
    return (WIDTH - LABEL_W - 44) / top


def hbars(rows: list[tuple[str, list[int | float | None]]], *, series: int = 1) -> dict:
    """Horizontal bars, one row per label and ``series`` bars per row (e.g. median and p90)."""
    values = [v or 0 for _label, vs in rows for v in vs]
    k = _scale(values)
    bar_h = BAR_H if series == 1 else 11
    row_h = ROW_H if series == 1 else 8 + bar_h * series
    out = []
    for i, (label, vs) in enumerate(rows):
        y = i * row_h + 4
        bars = []
        for j, v in enumerate(vs):
            w = round((v or 0) * k, 1)
            by = y + j * bar_h
            bars.append(
                {
                    "series": j,
                    "x": LABEL_W,
                    "y": by,
                    "w": w,
                    "h": bar_h - 2,
                    "value": v,
                    "text_x": LABEL_W + w + 4,
                    "text_y": by + bar_h - 5,
                }
            )
        out.append({"label": label, "label_y": y + (bar_h * len(vs)) / 2 + 4, "bars": bars})
    return {"width": WIDTH, "height": max(1, len(rows)) * row_h + 8, "rows": out, "label_x": LABEL_W - 6}


def columns(rows: list[tuple[date, int]]) -> dict:
    """One column per week; every few weeks a date under the axis so labels never overlap."""
    height, base, left = 150, 126, 28
    n = max(1, len(rows))
    slot = (WIDTH - left - 4) / n
    top = max([v for _w, v in rows] or [0]) or 1
    every = max(1, round(n / 6))
    cols = []
    for i, (week, v) in enumerate(rows):
        h = round(v / top * (base - 12), 1)
        x = round(left + i * slot + slot * 0.15, 1)
        cols.append(
            {
                "x": x,
                "y": round(base - h, 1),
                "w": round(slot * 0.7, 1),
                "h": h,
                "value": v,
                "week": week,
                "tick": i % every == 0,
                "tick_x": round(x + slot * 0.35, 1),
            }
        )
    return {
        "width": WIDTH,
        "height": height,
        "base": base,
        "left": left,
        "top": top,
        "cols": cols,
        "top_y": 14,
        "tick_y": base + 16,
    }
