"""QR codes as inline SVG (or PNG) data URIs (segno), so PDFs and pages need no fetch."""

import segno


def qr_data_uri(payload: str, *, scale: int = 4, border: int = 2) -> str:
    return segno.make(payload, error="m").svg_data_uri(scale=scale, border=border, dark="#000")


def qr_png_data_uri(payload: str, *, scale: int = 4, border: int = 2) -> str:
    """A PNG data URI: cheaper than SVG for a PDF renderer to draw (one image, not a path of
    hundreds of points); at `scale` pixels per module, print it at its natural size or larger."""
    return segno.make(payload, error="m").png_data_uri(scale=scale, border=border)


def qr_svg(payload: str, *, scale: int = 4, title: str = "") -> str:
    import io

    buffer = io.BytesIO()
    segno.make(payload, error="m").save(
        buffer,
        kind="svg",
        scale=scale,
        border=2,
        xmldecl=False,
        svgns=True,
        title=title or None,
        svgclass="qr",
    )
    return buffer.getvalue().decode()
