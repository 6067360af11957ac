"""Reading the QR codes the system prints as a phone would: render the PDF page (pypdfium2) or
the page's inline SVG (WeasyPrint, on a grey page so that only the code's own light margin
counts), decode with zxing-cpp, and measure the light quiet zone around each symbol."""

import io
import re
from dataclasses import dataclass

from PIL import Image

LIGHT = 160  # grey level from which a pixel counts as light
MARGIN_GREY = "#808080"


@dataclass(frozen=True)
class Scan:
    text: str
    is_regular_qr: bool  # a QR code, not a Micro QR
    quiet_zone: float  # modules of light margin on the narrowest side


def scan_image(image: Image.Image) -> list[Scan]:
    import zxingcpp

    grey = image.convert("L")
    return [
        Scan(
            text=found.text,
            is_regular_qr=found.format == zxingcpp.BarcodeFormat.QRCode,
            quiet_zone=_quiet_zone(grey, found),
        )
        for found in zxingcpp.read_barcodes(grey)
    ]


def scan_pdf(pdf: bytes, *, scale: float = 4) -> list[Scan]:
    """Every QR code on every page, rendered at 72 × `scale` dpi."""
    import pypdfium2

    document = pypdfium2.PdfDocument(io.BytesIO(pdf))
    try:
        images = [page.render(scale=scale).to_pil() for page in document]
    finally:
        document.close()
    return [scan for image in images for scan in scan_image(image)]


def scan_html(html: str) -> list[Scan]:
    """Every inline <svg> QR code of a page, each drawn at its own size on a grey page."""
    from weasyprint import HTML

    svgs = re.findall(r"<svg\b.*?</svg>", html, re.S)
    body = "".join(f"<div style='margin:10mm'>{svg}</div>" for svg in svgs)
    page = f"<html><body style='margin:0;background:{MARGIN_GREY}'>{body}</body></html>"
    return scan_pdf(HTML(string=page).write_pdf(), scale=3)


def _quiet_zone(grey: Image.Image, found) -> float:
    version = found.extra.get("Version", "")
    modules = 17 + 4 * int(version) if version.isdigit() else 0
    corners = found.position
    left, top = corners.top_left.x, corners.top_left.y
    right, bottom = corners.bottom_right.x, corners.bottom_right.y
    if not modules or right <= left:
        return 0.0
    module = (right - left) / modules
    pixels = grey.load()
    width, height = grey.size
    middle_x, middle_y = range(left, right), range(top, bottom)

    def light_run(positions) -> int:
        run = 0
        for points in positions:
            if not all(pixels[x, y] >= LIGHT for x, y in points):
                break
            run += 1
        return run

    runs = [
        light_run([(x, y) for y in middle_y] for x in range(left - 2, -1, -1)),
        light_run([(x, y) for y in middle_y] for x in range(right + 2, width)),
        light_run([(x, y) for x in middle_x] for y in range(top - 2, -1, -1)),
        light_run([(x, y) for x in middle_x] for y in range(bottom + 2, height)),
    ]
    # The two pixels next to the symbol's edge are skipped (anti-aliasing), then counted back.
    return (min(runs) + 2) / module
