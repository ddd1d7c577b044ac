"""The Brazilian Portuguese catalogue is complete, compiled, and used.

The .po is parsed in plain Python so these tests need no gettext tools installed.
"""

import ast
import gettext
import re
from pathlib import Path

from django.conf import settings
from django.utils.translation import override

from orders.models import Order, Shipment

PO_PATH = Path(settings.BASE_DIR) / "locale" / "pt_BR" / "LC_MESSAGES" / "django.po"
MO_PATH = PO_PATH.with_suffix(".mo")
# printf-style (%(name)s, %s, %d) and str.format-style ({name}, {0}) placeholders.
PLACEHOLDER = re.compile(r"%(?:\([^)]+\))?[-#0 +]*\d*(?:\.\d+)?[sdifr%]|\{[^{}]*\}")


def parse_po(path: Path) -> list[dict]:
    """The catalogue's live entries (obsolete `#~` ones left out), header included.

    Each entry: {"msgctxt", "msgid", "msgid_plural", "msgstr": {index: text}, "flags", "line"}.
    """
    entries: list[dict] = []
    entry: dict | None = None
    key: tuple | None = None

    def new_entry(line_number: int) -> dict:
        return {
            "msgctxt": None,
            "msgid": None,
            "msgid_plural": None,
            "msgstr": {},
            "flags": set(),
            "line": line_number,
        }

    def finish() -> None:
        nonlocal entry, key
        if entry is not None and entry["msgid"] is not None:
            entries.append(entry)
        entry, key = None, None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            finish()
            continue
        if line.startswith("#~"):  # obsolete entry: not part of the catalogue
            continue
        if line.startswith("#"):
            if entry is not None and entry["msgid"] is not None:
                finish()  # a comment after strings starts the next entry
            entry = entry or new_entry(number)
            if line.startswith("#,"):
                entry["flags"].update(flag.strip() for flag in line[2:].split(","))
            continue
        match = re.fullmatch(r'(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")', line)
        if match:
            word, index, text = match.groups()
            if word in ("msgctxt", "msgid") and entry is not None and entry["msgid"] is not None:
                finish()
            entry = entry or new_entry(number)
            text = ast.literal_eval(text)
            if word.startswith("msgstr"):
                key = ("msgstr", int(index or 0))
                entry["msgstr"][key[1]] = text
            else:
                key = (word,)
                entry[word] = text
            continue
        assert line.startswith('"') and entry is not None and key is not None, (
            f"{path.name}:{number}: cannot parse {raw!r}"
        )
        text = ast.literal_eval(line)
        if key[0] == "msgstr":
            entry["msgstr"][key[1]] += text
        else:
            entry[key[0]] += text
    finish()
    return entries


def messages(entries: list[dict]) -> list[dict]:
    return [entry for entry in entries if entry["msgid"] != ""]


def catalog_keys(entry: dict) -> dict:
    """The entry as Python's gettext stores it: context joined by \\x04, plurals by index."""
    msgid = entry["msgid"]
    if entry["msgctxt"] is not None:
        msgid = f"{entry['msgctxt']}\x04{msgid}"
    if entry["msgid_plural"] is None:
        return {msgid: entry["msgstr"][0]}
    return {(msgid, index): text for index, text in entry["msgstr"].items()}


def test_catalogue_has_entries_and_a_proper_header():
    entries = parse_po(PO_PATH)
    header = [entry for entry in entries if entry["msgid"] == ""]
    assert len(header) == 1
    assert "fuzzy" not in header[0]["flags"]
    text = header[0]["msgstr"][0]
    assert "Language: pt_BR\n" in text
    assert "Plural-Forms: nplurals=2; plural=(n > 1);\n" in text
    assert "charset=UTF-8" in text
    assert len(messages(entries)) > 100


def test_every_entry_is_translated_and_none_is_fuzzy():
    untranslated = []
    fuzzy = []
    for entry in messages(parse_po(PO_PATH)):
        if "fuzzy" in entry["flags"]:
            fuzzy.append(f"line {entry['line']}: {entry['msgid']!r}")
        if not entry["msgstr"] or not all(text.strip() for text in entry["msgstr"].values()):
            untranslated.append(f"line {entry['line']}: {entry['msgid']!r}")
    assert not untranslated, "Untranslated entries:\n" + "\n".join(untranslated)
    assert not fuzzy, "Fuzzy entries:\n" + "\n".join(fuzzy)


def test_translations_keep_their_placeholders():
    broken = []
    for entry in messages(parse_po(PO_PATH)):
        singular = sorted(PLACEHOLDER.findall(entry["msgid"]))
        plural = sorted(PLACEHOLDER.findall(entry["msgid_plural"] or entry["msgid"]))
        for index, text in entry["msgstr"].items():
            # Plural forms follow msgid_plural: "the last day" / "the last %(days)s days".
            expected = plural if entry["msgid_plural"] and index not in (None, 0) else singular
            if sorted(PLACEHOLDER.findall(text)) != expected:
                broken.append(f"line {entry['line']}: {entry['msgid']!r} -> {text!r}")
    assert not broken, "Placeholders differ:\n" + "\n".join(broken)


def test_compiled_catalogue_matches_the_po():
    expected: dict = {}
    for entry in messages(parse_po(PO_PATH)):
        expected.update(catalog_keys(entry))
    with MO_PATH.open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)._catalog
    compiled = {key: text for key, text in compiled.items() if key != ""}
    assert compiled == expected, (
        "locale/pt_BR/LC_MESSAGES/django.mo is out of date: run manage.py compilemessages"
    )


def test_labels_translate_to_brazilian_portuguese():
    with override("pt-br"):
        assert str(Order.Status.PENDING_PAYMENT.label) == "Aguardando pagamento"
        assert str(Order.Status.PARTIALLY_SHIPPED.label) == "Enviado parcialmente"
        assert str(Order.ShippingMethod.PICKUP.label) == "Retirada na loja"
        assert str(Shipment.Status.OUT_FOR_DELIVERY.label) == "Saiu para entrega"
        assert str(Order._meta.verbose_name) == "pedido"
        assert str(Shipment._meta.get_field("tracking_number").verbose_name) == (
            "código de rastreio"
        )


def test_labels_stay_english_in_english():
    with override("en"):
        assert str(Order.Status.PENDING_PAYMENT.label) == "Pending payment"
        assert str(Order.ShippingMethod.PICKUP.label) == "Store pickup"
        assert str(Shipment.Status.OUT_FOR_DELIVERY.label) == "Out for delivery"
        assert str(Order._meta.verbose_name) == "order"
