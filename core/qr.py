"""QR codes as inline SVG (segno) or PNG (zxing-cpp) data URIs, so PDFs and pages need no fetch.

Every code is a regular QR code (never a Micro QR: segno picks one for short data such as a
booking code, and WeChat, Alipay, phone cameras and OpenCV do not read them) with the quiet zone
of 4 light modules that ISO/IEC 18004 asks for, drawn white so that it stays light on any
background."""

import base64
import io

import segno
import zxingcpp
from PIL import Image, ImageOps

QUIET_ZONE = 4  # modules


def _code(payload: str) -> segno.QRCode:
    return segno.make(payload, error="m", micro=False)


def qr_data_uri(payload: str, *, scale: int = 4) -> str:
    return _code(payload).svg_data_uri(
        scale=scale, border=QUIET_ZONE, dark="#000", light="#fff"
    )


def qr_png_data_uri(payload: str, *, scale: int = 4) -> str:
    """A PNG data URI: cheaper than SVG for a PDF renderer to draw (one image, not a path of
    hundreds of points); at `scale` pixels per module, print it at its natural size or larger.

    Encoded by zxing-cpp, not segno: the printouts a resident waits for (bench/pdfs.py) spent
    7-10 ms of a certificate in segno's pure-Python choice among the eight masks; zxing-cpp's
    encoder makes the same choice (ISO/IEC 18004 penalty rules) in C++ in under a millisecond.
    The same regular QR code (never Micro QR), error correction M, quiet zone of 4 modules."""
    code = zxingcpp.create_barcode(payload, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    bitmap = code.to_image(scale=1, add_quiet_zones=False)  # one byte a module: 0 dark, 255 light
    height, width = bitmap.shape
    pixels = memoryview(bitmap).tobytes()  # type: ignore[arg-type]  # the stub omits its buffer
    image = Image.frombytes("L", (width, height), pixels)
    image = ImageOps.expand(image, border=QUIET_ZONE, fill=255)
    if scale != 1:
        image = image.resize((image.width * scale, image.height * scale), Image.Resampling.NEAREST)
    buffer = io.BytesIO()
    image.convert("1").save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


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
