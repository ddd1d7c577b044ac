"""The return label PDF: a valid one-page PDF whose cross-reference table points at its objects,
whose text names the RMA, the order and both addresses, and whose QR code is exactly segno's
matrix for the RMA (read back from the content stream)."""

import re

import pytest
import segno

from orders.models import Order
from returns.labels import pdf_string, render_label_pdf, to_win_ansi
from returns.models import ReturnRequest
from tests.factories import WarehouseFactory
from tests.returns.policy_helpers import claim, delivered_order, only_line


def content_stream(pdf: bytes) -> bytes:
    match = re.search(rb"<< /Length (\d+) >>\nstream\n", pdf)
    start = match.end()
    length = int(match.group(1))
    assert pdf[start + length : start + length + len(b"endstream")] == b"endstream"
    return pdf[start : start + length]


def unescape(literal: bytes) -> str:
    """A PDF literal string's bytes (without the parentheses), decoded from WinAnsi."""
    out = bytearray()
    index = 0
    while index < len(literal):
        byte = literal[index]
        if byte == 0x5C:  # backslash
            following = literal[index + 1 : index + 4]
            if following[:1].isdigit():
                digits = re.match(rb"[0-7]{1,3}", following).group()
                out.append(int(digits, 8))
                index += 1 + len(digits)
                continue
            out.append(literal[index + 1])
            index += 2
            continue
        out.append(byte)
        index += 1
    return out.decode("cp1252")


def shown_text(pdf: bytes) -> list[str]:
    """Every string shown with Tj, in order."""
    stream = content_stream(pdf)
    return [unescape(m) for m in re.findall(rb"\(((?:\\.|[^\\)])*)\) Tj", stream)]


def drawn_matrix(pdf: bytes) -> list[list[int]]:
    """The QR code read back from the filled rectangles: one row per module row."""
    rects = [
        tuple(float(v) for v in m)
        for m in re.findall(rb"([\d.]+) ([\d.]+) ([\d.]+) ([\d.]+) re f", content_stream(pdf))
    ]
    module = min(r[3] for r in rects)
    left = min(r[0] for r in rects)
    top = max(r[1] + r[3] for r in rects)
    size = round((max(r[0] + r[2] for r in rects) - left) / module)
    grid = [[0] * size for _ in range(size)]
    for x, y, width, height in rects:
        assert height == module
        row = round((top - (y + height)) / module)
        first = round((x - left) / module)
        for column in range(first, first + round(width / module)):
            assert grid[row][column] == 0, "a module drawn twice"
            grid[row][column] = 1
    return grid


@pytest.fixture
def return_request(db):
    order = delivered_order(country="BR")
    request = claim(order, only_line(order), 1, status="approved")
    request.warehouse = WarehouseFactory(
        code="RET", name="Returns Centre", city="Cajamar", region="SP", postal_code="07750-000"
    )
    request.warehouse.country = "BR"
    request.warehouse.save()
    request.carrier = "returns-post"
    request.tracking_number = "RP000000004242"
    request.save()
    return ReturnRequest.objects.select_related("order", "warehouse").get(pk=request.pk)


def test_label_is_a_pdf_whose_cross_reference_table_points_at_every_object(return_request):
    pdf = render_label_pdf(return_request)

    assert pdf.startswith(b"%PDF-1.4\n")
    assert pdf.endswith(b"%%EOF\n")
    startxref = int(re.search(rb"startxref\n(\d+)\n%%EOF\n$", pdf).group(1))
    assert pdf[startxref:].startswith(b"xref\n0 8\n")
    entries = re.findall(rb"(\d{10}) (\d{5}) ([nf]) \n", pdf[startxref:])
    assert len(entries) == 8
    assert entries[0] == (b"0000000000", b"65535", b"f")
    for number, (offset, _generation, _kind) in enumerate(entries[1:], start=1):
        assert pdf[int(offset) :].startswith(b"%d 0 obj\n" % number)
    assert b"/Size 8 /Root 1 0 R" in pdf
    assert pdf.count(b"/Type /Page ") == 1
    assert b"/MediaBox [0 0 288 432]" in pdf
    assert b"/BaseFont /Helvetica /Encoding /WinAnsiEncoding" in pdf
    assert b"/FlateDecode" not in pdf and b"/FontFile" not in pdf


def test_label_shows_the_rma_order_customer_warehouse_and_tracking(return_request):
    order = return_request.order

    text = shown_text(render_label_pdf(return_request))

    assert return_request.rma in text
    assert f"Order {order.number}" in text
    assert "FROM" in text and "TO" in text
    assert "Ana Souza" in text
    assert "Rua Augusta 100" in text
    assert "São Paulo SP 01305-000" in text
    assert "Returns: Returns Centre" in text
    assert "Cajamar SP 07750-000" in text
    assert "returns-post" in text
    assert "RP000000004242" in text


def test_rma_is_printed_in_large_type(return_request):
    stream = content_stream(render_label_pdf(return_request))

    match = re.search(
        rb"/F2 (\d+) Tf [\d.]+ [\d.]+ Td \(" + re.escape(return_request.rma.encode()), stream
    )
    assert match and int(match.group(1)) >= 24


def test_label_without_carrier_or_tracking_leaves_them_out(return_request):
    return_request.carrier = ""
    return_request.tracking_number = ""

    text = shown_text(render_label_pdf(return_request))

    assert "Carrier" not in text
    assert "Tracking number" not in text


def test_qr_code_drawn_is_exactly_segnos_matrix_for_the_rma(return_request):
    expected = [list(row) for row in segno.make(return_request.rma, error="m", micro=False).matrix]

    drawn = drawn_matrix(render_label_pdf(return_request))

    assert drawn == expected


def test_a_longer_rma_gets_a_larger_qr_code_that_still_matches():
    from types import SimpleNamespace

    order = SimpleNamespace(number="9" * 12, locale="en", shipping_address={"name": "X"})
    rma = "R" + "9" * 12 + "-12345678901234567890"
    request = SimpleNamespace(rma=rma, order=order, warehouse=None, carrier="", tracking_number="")

    pdf = render_label_pdf(request)

    assert drawn_matrix(pdf) == [list(r) for r in segno.make(rma, error="m", micro=False).matrix]
    assert "Returns department" in shown_text(pdf)


def test_parentheses_and_backslashes_are_escaped():
    assert pdf_string(b"a(b)c\\d") == b"(a\\(b\\)c\\\\d)"
    assert pdf_string("São".encode("cp1252")) == b"(S\\343o)"


def test_characters_outside_win_ansi_are_transliterated_or_replaced():
    assert to_win_ansi("Łódź") == "Lódz".encode("cp1252")
    assert to_win_ansi("Kraków Œuvre €5") == "Kraków Œuvre €5".encode("cp1252")
    assert to_win_ansi("Șerban Ő") == b"Serban O"
    assert to_win_ansi("東京") == b"??"
    assert to_win_ansi("line\nbreak") == b"line break"


@pytest.mark.django_db
def test_a_customer_name_with_parentheses_survives_on_the_label(return_request):
    order = return_request.order
    address = dict(order.shipping_address, name="Ana (Souza) \\ Łódź")
    Order.objects.filter(pk=order.pk).update(shipping_address=address)
    return_request.order.refresh_from_db()

    text = shown_text(render_label_pdf(return_request))

    assert "Ana (Souza) \\ Lódz" in text


@pytest.mark.django_db
def test_label_words_are_in_the_orders_language(return_request):
    Order.objects.filter(pk=return_request.order_id).update(locale="pt-br")
    return_request.order.refresh_from_db()

    text = shown_text(render_label_pdf(return_request))

    assert f"Pedido {return_request.order.number}" in text


@pytest.mark.parametrize(
    ("status", "is_keep_it", "has_label"),
    [
        ("requested", False, False),
        ("approved", False, True),
        ("in_transit", False, True),
        ("received", False, False),
        ("refunded", False, False),
        ("cancelled", False, False),
        ("approved", True, False),  # "keep it": nothing is sent back
    ],
)
def test_a_return_has_a_label_only_while_its_parcel_is_expected(status, is_keep_it, has_label):
    assert ReturnRequest(status=status, is_keep_it=is_keep_it).has_label is has_label
