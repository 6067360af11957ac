"""QR codes as inline SVG (or PNG) data URIs (segno), so PDFs and pages need no fetch.

Every code is a regular QR code (never a Micro QR: segno picks one for short data such as a
booking code, and WeChat, Alipay, phone cameras and OpenCV do not read them) with the quiet zone
of 4 light modules that ISO/IEC 18004 asks for, drawn white so that it stays light on any
background."""

import io

import segno

QUIET_ZONE = 4  # modules


def _code(payload: str) -> segno.QRCode:
    return segno.make(payload, error="m", micro=False)


def qr_data_uri(payload: str, *, scale: int = 4) -> str:
    return _code(payload).svg_data_uri(
        scale=scale, border=QUIET_ZONE, dark="#000", light="#fff"
    )


def qr_png_data_uri(payload: str, *, scale: int = 4) -> str:
    """A PNG data URI: cheaper than SVG for a PDF renderer to draw (one image, not a path of
    hundreds of points); at `scale` pixels per module, print it at its natural size or larger."""
    return _code(payload).png_data_uri(scale=scale, border=QUIET_ZONE, dark="#000", light="#fff")


def qr_svg(payload: str, *, scale: int = 4, title: str = "") -> str:
    buffer = io.BytesIO()
    _code(payload).save(
        buffer,
        kind="svg",
        scale=scale,
        border=QUIET_ZONE,
        dark="#000",
        light="#fff",
        xmldecl=False,
        svgns=True,
        title=title or None,
        svgclass="qr",
    )
    return buffer.getvalue().decode()
