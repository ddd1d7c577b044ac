"""The printable return label: a one-page 4 by 6 inch PDF the customer tapes on the parcel.

Written by hand (PDF 1.4, ISO 32000-1 is its successor and reads it the same way): the
base-14 fonts Helvetica and Helvetica-Bold with WinAnsiEncoding, so nothing is embedded, and an
uncompressed content stream, so a test (or a curious human) can read what was printed. It
shows the RMA in large type, the order number, FROM the customer (the order's shipping
address), TO the warehouse the return goes to, the carrier and tracking number when known, and
a QR code that carries exactly the RMA, drawn as filled rectangles (one per run of dark
modules in a row).

The QR code is a regular QR code (segno's `micro=False`): segno would otherwise pick a Micro QR
symbol for a short RMA, which many handheld and phone scanners cannot read.
"""

import unicodedata
from decimal import Decimal

import segno
from django.utils import translation
from django.utils.translation import gettext as _

PAGE_WIDTH = 288  # 4 in, in points
PAGE_HEIGHT = 432  # 6 in
MARGIN = 16
QR_QUIET_ZONE = 4  # modules of white around a QR code (ISO/IEC 18004, 7.3.8)
QR_MAX_SIZE = 144  # points (2 in), quiet zone included

# Helvetica advance widths (Adobe's AFM, 1/1000 em) for printable ASCII, to fit text in the
# label's width; other characters count as 556. Bold runs up to 10 % wider.
_WIDTHS = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
]  # fmt: skip

# Letters that have no decomposition into a Latin-1 base letter plus accents.
_TRANSLITERATIONS = {
    "Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Ħ": "H", "ħ": "h", "ı": "i", "Ŀ": "L",
    "ŀ": "l", "Ŋ": "N", "ŋ": "n", "Ŧ": "T", "ŧ": "t", "ſ": "s", "ĸ": "k",
}  # fmt: skip


def to_win_ansi(text: str) -> bytes:
    """`text` in WinAnsiEncoding (cp1252, the base-14 fonts' encoding): characters it has are
    kept, others lose their accents (ą -> a, ő -> o), a few are transliterated (Ł -> L), and
    anything else becomes "?". Control characters (a newline in an address) become spaces."""
    out = bytearray()
    for char in text:
        if unicodedata.category(char).startswith("C"):
            out += b" "
            continue
        try:
            out += char.encode("cp1252")
            continue
        except UnicodeEncodeError:
            pass
        plain = _TRANSLITERATIONS.get(char) or "".join(
            c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
        )
        try:
            out += plain.encode("cp1252") if plain else b"?"
        except UnicodeEncodeError:
            out += b"?"
    return bytes(out)


def pdf_string(data: bytes) -> bytes:
    """A PDF literal string: backslash, parentheses escaped; bytes outside printable ASCII as
    octal escapes, so the content stream stays ASCII (ISO 32000-1, 7.3.4.2)."""
    out = bytearray(b"(")
    for byte in data:
        if byte in b"\\()":
            out += b"\\" + bytes([byte])
        elif 32 <= byte <= 126:
            out.append(byte)
        else:
            out += b"\\%03o" % byte
    out += b")"
    return bytes(out)


def text_width(data: bytes, size: float, *, bold: bool = False) -> float:
    units = sum(_WIDTHS[b - 32] if 32 <= b <= 126 else 556 for b in data)
    return units * size / 1000 * (1.1 if bold else 1)


def _num(value: float) -> str:
    """A PDF number: at most 3 decimals, no exponent, no trailing zeros."""
    text = f"{Decimal(str(round(value, 3))):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


class _Canvas:
    """Just enough of a PDF content stream for a label."""

    def __init__(self) -> None:
        self.ops: list[bytes] = []

    def text(
        self, x: float, y: float, text: str, size: float, *, bold: bool = False, width=None
    ) -> None:
        """Write one line; shrink it (down to 6 pt) and then cut it to fit `width`."""
        data = to_win_ansi(text)
        width = width or PAGE_WIDTH - MARGIN - x
        while size > 6 and text_width(data, size, bold=bold) > width:
            size -= 0.5
        while data and text_width(data, size, bold=bold) > width:
            data = data[:-2] + b"."
        font = b"/F2" if bold else b"/F1"
        self.ops.append(
            b"BT %s %s Tf %s %s Td %s Tj ET"
            % (font, _num(size).encode(), _num(x).encode(), _num(y).encode(), pdf_string(data))
        )

    def rule(self, y: float) -> None:
        self.ops.append(
            b"0.75 w %s %s m %s %s l S"
            % (
                _num(MARGIN).encode(),
                _num(y).encode(),
                _num(PAGE_WIDTH - MARGIN).encode(),
                _num(y).encode(),
            )
        )

    def qr(self, matrix, x: float, y: float, module: float) -> None:
        """Dark modules as filled rectangles, one per horizontal run; (x, y) is the symbol's
        lower-left corner, quiet zone excluded."""
        size = len(matrix)
        self.ops.append(b"q 0 g")
        for row_index, row in enumerate(matrix):
            top = y + (size - row_index) * module
            column = 0
            while column < len(row):
                if not row[column]:
                    column += 1
                    continue
                start = column
                while column < len(row) and row[column]:
                    column += 1
                self.ops.append(
                    b"%s %s %s %s re f"
                    % (
                        _num(x + start * module).encode(),
                        _num(top - module).encode(),
                        _num((column - start) * module).encode(),
                        _num(module).encode(),
                    )
                )
        self.ops.append(b"Q")

    def stream(self) -> bytes:
        return b"\n".join(self.ops) + b"\n"


def qr_matrix(rma: str):
    """The QR code's modules (rows of 0/1, top row first, no quiet zone) for `rma`."""
    return segno.make(rma, error="m", micro=False).matrix


def _address_lines(address: dict) -> list[str]:
    address = address or {}
    city_line = " ".join(
        part
        for part in (
            address.get("city", ""),
            address.get("region", ""),
            address.get("postal_code", ""),
        )
        if part
    )
    lines = [
        address.get("name", ""),
        address.get("line1", ""),
        address.get("line2", ""),
        city_line,
        address.get("country", ""),
    ]
    return [line for line in lines if line]


def _warehouse_lines(warehouse) -> list[str]:
    if warehouse is None:
        return [_("Returns department")]
    city_line = " ".join(p for p in (warehouse.city, warehouse.region, warehouse.postal_code) if p)
    return [
        line
        for line in (
            _("Returns: %(name)s") % {"name": warehouse.name},
            city_line,
            warehouse.country,
        )
        if line
    ]


def render_label_pdf(return_request) -> bytes:
    """The return label of `return_request` as PDF bytes, its words in the order's language."""
    order = return_request.order
    with translation.override(order.locale or "en"):
        content = _draw(return_request, order)
    return _document(content, title=f"Return label {return_request.rma}")


def _draw(return_request, order) -> bytes:
    canvas = _Canvas()
    top = PAGE_HEIGHT - MARGIN
    canvas.text(MARGIN, top - 10, _("RETURN AUTHORIZATION"), 9, bold=True)
    canvas.text(MARGIN, top - 40, return_request.rma, 28, bold=True)
    canvas.text(MARGIN, top - 58, _("Order %(number)s") % {"number": order.number}, 10)
    canvas.rule(top - 68)

    y = top - 84
    canvas.text(MARGIN, y, _("FROM"), 8, bold=True)
    for line in _address_lines(order.shipping_address):
        y -= 12
        canvas.text(MARGIN, y, line, 10)
    y -= 12
    canvas.rule(y)

    y -= 16
    canvas.text(MARGIN, y, _("TO"), 8, bold=True)
    for index, line in enumerate(_warehouse_lines(return_request.warehouse)):
        y -= 17
        canvas.text(MARGIN + 8, y, line, 14 if index == 0 else 13, bold=True)
    y -= 12
    canvas.rule(y)

    matrix = qr_matrix(return_request.rma)
    symbol = len(matrix) + 2 * QR_QUIET_ZONE
    module = round(QR_MAX_SIZE / symbol, 2)
    qr_x = MARGIN - 4 + QR_QUIET_ZONE * module
    qr_y = MARGIN + 14 + QR_QUIET_ZONE * module
    canvas.qr(matrix, qr_x, qr_y, module)
    canvas.text(qr_x, MARGIN + 4, return_request.rma, 8, width=QR_MAX_SIZE)

    right = MARGIN + QR_MAX_SIZE + 8
    text_y = MARGIN + QR_MAX_SIZE - 10
    if return_request.carrier:
        canvas.text(right, text_y, _("Carrier"), 8, bold=True)
        canvas.text(right, text_y - 13, return_request.carrier, 11)
        text_y -= 34
    if return_request.tracking_number:
        canvas.text(right, text_y, _("Tracking number"), 8, bold=True)
        canvas.text(right, text_y - 13, return_request.tracking_number, 11)
        text_y -= 34
    canvas.text(right, text_y, _("Put this label on the parcel."), 8)
    return canvas.stream()


def _document(content: bytes, *, title: str) -> bytes:
    """Wrap a content stream into a one-page PDF with a correct cross-reference table."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] "
        b"/Resources << /Font << /F1 4 0 R /F2 5 0 R >> >> /Contents 6 0 R >>"
        % (PAGE_WIDTH, PAGE_HEIGHT),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n%sendstream" % (len(content), content),
        b"<< /Title %s /Producer (OMS) >>" % pdf_string(to_win_ansi(title)),
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        len(objects),
        xref_at,
    )
    return bytes(out)
