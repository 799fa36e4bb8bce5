"""The CJK font every generated PDF uses (verification sheet, point agreement, statements).

ReportLab embeds only TrueType-outline fonts (the CFF-based Noto CJK .ttc raises
``TTFError: postscript outlines are not supported``), so the PDFs use WenQuanYi
(``scripts/ensure-fonts.sh`` installs ``fonts-wqy-zenhei``). When no TrueType
CJK font is installed the built-in CID font ``STSong-Light`` still renders
Chinese, but it is not embedded (the viewer supplies the glyphs) and a warning
is logged.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFError, TTFont

logger = logging.getLogger(__name__)

# TrueType-outline CJK fonts, best first. (.ttc collections: the first face.)
FONT_CANDIDATES: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),  # Debian fonts-wqy-zenhei
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),  # Debian fonts-wqy-microhei
    ("/usr/share/fonts/truetype/noto/NotoSansSC-Regular.ttf", 0),  # TrueType Noto builds, if any
    ("/usr/share/fonts/truetype/noto-cjk/NotoSansCJKsc-Regular.ttf", 0),
)
FONT_NAME = "SheetCJK"
CID_FALLBACK = "STSong-Light"
_font_lock = threading.Lock()
_font: str | None = None


def sheet_font() -> str:
    """The registered font name for the sheet, registered once per process."""
    global _font
    if _font is not None:
        return _font
    with _font_lock:
        if _font is None:
            _font = _register_font()
    return _font


def _register_font() -> str:
    for path, index in FONT_CANDIDATES:
        if not Path(path).is_file():
            continue
        try:
            pdfmetrics.registerFont(TTFont(FONT_NAME, path, subfontIndex=index))
        except (TTFError, OSError) as exc:  # e.g. CFF outlines, a broken file
            logger.warning("verification sheet: cannot use font %s: %s", path, exc)
            continue
        return FONT_NAME
    logger.warning(
        "verification sheet: no TrueType CJK font found (tried %s); using the built-in CID font %s, "
        "which is not embedded in the PDF. Run scripts/ensure-fonts.sh to install fonts-wqy-zenhei.",
        ", ".join(p for p, _ in FONT_CANDIDATES),
        CID_FALLBACK,
    )
    pdfmetrics.registerFont(UnicodeCIDFont(CID_FALLBACK))
    return CID_FALLBACK
