"""Door poster and kiosk QR rendering: SVG (pages), PNG (Pillow) and PDF (reportlab).

Pure functions of a URL and a few labels; no Flask here, so the routes stay thin and the
renderers are easy to test.

Chinese text needs a CJK font. The PNG looks for one on this machine at runtime
(WenQuanYi Zen Hei, Noto CJK, Droid fallback, or any font ``fc-list :lang=zh`` names); when none is
found the PNG still carries the QR code but omits the place name and instructions, because
Pillow would otherwise draw empty boxes. The PDF embeds the same font when found and else
falls back to reportlab's built-in CID font ``STSong-Light``, which every PDF viewer renders
with its own Chinese font, so a PDF poster always shows the text.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import segno

# Error correction M survives a smudged or slightly creased printout; segno may boost it
# further when the data fits at the same QR version. QUIET_ZONE is the standard 4 modules.
ERROR = "m"
QUIET_ZONE = 4

INSTRUCTION = "用手机扫码，登录后点“签到”或“签退”"
WARNING = "请勿拍照转发"

CJK_FONT_CANDIDATES = (
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),  # index 2 = SC
    ("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),
    ("/System/Library/Fonts/PingFang.ttc", 0),
    ("C:/Windows/Fonts/msyh.ttc", 0),
)


@dataclass(frozen=True)
class Poster:
    """What goes on one printed door poster."""

    url: str  # the URL the QR code encodes
    place: str
    version: int  # printed small, so the counselor can tell an old poster from the current one

    @property
    def title(self) -> str:
        return f"值班签到 · {self.place}"


def make_qr(url: str) -> segno.QRCode:
    return segno.make_qr(url, error=ERROR)


def qr_svg(url: str, css_class: str = "qr") -> str:
    """An inline ``<svg>`` that scales with its container (viewBox only, no fixed size)."""
    return make_qr(url).svg_inline(
        border=QUIET_ZONE, omitsize=True, svgclass=css_class, title="签到二维码"
    )


def qr_png(url: str, scale: int = 10) -> bytes:
    out = io.BytesIO()
    make_qr(url).save(out, kind="png", scale=scale, border=QUIET_ZONE)
    return out.getvalue()


def _matrix(url: str) -> list[list[bool]]:
    """Dark modules as booleans, quiet zone included."""
    return [
        [bool(cell) for cell in row] for row in make_qr(url).matrix_iter(scale=1, border=QUIET_ZONE)
    ]


@lru_cache(maxsize=1)
def find_cjk_font() -> tuple[str, int] | None:
    """A (path, face index) of a font with Chinese glyphs, or None."""
    for path, index in CJK_FONT_CANDIDATES:
        if Path(path).is_file():
            return path, index
    if shutil.which("fc-list"):
        try:
            # fc-list :lang=zh lists only fonts that really cover Chinese (fc-match would
            # always answer something, CJK or not).
            listed = subprocess.run(
                ["fc-list", ":lang=zh", "file"],
                capture_output=True,
                text=True,
                timeout=5,
                check=False,
            ).stdout
        except (OSError, subprocess.SubprocessError):
            listed = ""
        for line in sorted(listed.splitlines()):
            path = line.split(":")[0].strip()
            if path.lower().endswith((".ttf", ".ttc", ".otf")) and Path(path).is_file():
                return path, 0
    return None


# --- PNG ---------------------------------------------------------------------------------

PNG_SIZE = (1240, 1754)  # A4 at 150 dpi
RED = (190, 30, 45)
INK = (20, 20, 20)
GREY = (110, 110, 110)


def render_png(poster: Poster) -> bytes:
    from PIL import Image, ImageDraw, ImageFont

    width, height = PNG_SIZE
    image = Image.new("RGB", PNG_SIZE, "white")
    draw = ImageDraw.Draw(image)
    font_spec = find_cjk_font()

    def font(size: int):
        return ImageFont.truetype(font_spec[0], size, index=font_spec[1])

    def centred(text: str, top: int, size: int, fill, max_width: int = width - 160) -> int:
        # Shrink long place names until the line fits the page.
        while size > 24 and draw.textlength(text, font=font(size)) > max_width:
            size -= 4
        face = font(size)
        draw.text(((width - draw.textlength(text, font=face)) / 2, top), text, font=face, fill=fill)
        return top + int(size * 1.35)

    # The QR: about 16 cm wide on A4, readable from well over a metre.
    matrix = _matrix(poster.url)
    modules = len(matrix)
    scale = 950 // modules
    side = modules * scale
    qr_top = 240 if font_spec else (height - side) // 2
    qr_image = Image.new("1", (modules, modules), 1)
    qr_image.putdata([0 if dark else 1 for row in matrix for dark in row])
    qr_image = qr_image.resize((side, side), Image.Resampling.NEAREST)
    image.paste(qr_image, ((width - side) // 2, qr_top))

    if font_spec:
        centred(poster.title, 110, 96, INK)
        y = qr_top + side + 50
        y = centred(INSTRUCTION, y, 56, INK)
        y = centred(WARNING, y + 10, 56, RED)
        centred(f"二维码失效请联系兼辅老师 · 海报第 {poster.version} 版", height - 110, 30, GREY)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


# --- PDF ---------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _pdf_font() -> str:
    """Register and name the PDF font: the local CJK TrueType, else the built-in STSong."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFont

    spec = find_cjk_font()
    if spec:
        try:
            pdfmetrics.registerFont(TTFont("ZGT-CJK", spec[0], subfontIndex=spec[1]))
            return "ZGT-CJK"
        except Exception:  # e.g. a CFF-outline OTF that reportlab cannot embed
            pass
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    return "STSong-Light"


def render_pdf(poster: Poster) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import cm
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen import canvas

    font = _pdf_font()
    width, height = A4
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    pdf.setTitle(poster.title)
    pdf.setAuthor("助管通")

    def centred(text: str, y: float, size: float, rgb=(0, 0, 0)) -> None:
        while size > 10 and stringWidth(text, font, size) > width - 3 * cm:
            size -= 1
        pdf.setFillColorRGB(*rgb)
        pdf.setFont(font, size)
        pdf.drawCentredString(width / 2, y, text)

    centred(poster.title, height - 3.2 * cm, 40)

    # Vector QR: one filled square per dark module, 16 cm across including the quiet zone.
    matrix = _matrix(poster.url)
    side = 16 * cm
    module = side / len(matrix)
    left = (width - side) / 2
    top = height - 5 * cm
    pdf.setFillColorRGB(0, 0, 0)
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            if dark:
                # A hair of overlap avoids white seams between modules in some viewers.
                pdf.rect(
                    left + c * module,
                    top - (r + 1) * module,
                    module + 0.2,
                    module + 0.2,
                    stroke=0,
                    fill=1,
                )
    y = top - side - 1.6 * cm
    centred(INSTRUCTION, y, 22)
    centred(WARNING, y - 1.3 * cm, 22, (0.75, 0.12, 0.18))
    centred(f"二维码失效请联系兼辅老师 · 海报第 {poster.version} 版", 1.8 * cm, 11, (0.4, 0.4, 0.4))
    pdf.showPage()
    pdf.save()
    return out.getvalue()
