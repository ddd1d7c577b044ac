"""Return photos: the type comes from the file's first bytes, never its name; size and type
are bounded by settings."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from oms.exceptions import ValidationFailed
from returns.services.photos import photos_errors, sniff_type, validate_photo
from tests.returns.lifecycle_builders import JPEG, PNG, WEBP


def upload(content: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg"):
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.mark.parametrize(
    ("content", "expected"),
    [(JPEG, "image/jpeg"), (PNG, "image/png"), (WEBP, "image/webp")],
)
def test_jpeg_png_and_webp_are_recognised_by_their_first_bytes(content, expected):
    assert sniff_type(content[:12]) == expected
    assert validate_photo(upload(content, "anything.bin", "application/octet-stream")) == expected


@pytest.mark.parametrize(
    "content",
    [
        b"%PDF-1.7\n",
        b"GIF89a\x01\x00",
        b"RIFF\x00\x00\x00\x00WAVEfmt ",
        b"<svg xmlns='http://www.w3.org/2000/svg'/>",
        b"",
    ],
)
def test_anything_else_is_refused_whatever_its_name_says(content):
    with pytest.raises(ValidationFailed) as refused:
        validate_photo(upload(content, "photo.jpg", "image/jpeg"), field="lines[0].photos")

    assert refused.value.code == "photo_type_not_allowed"
    assert refused.value.errors[0]["field"] == "lines[0].photos"


def test_a_type_the_settings_do_not_allow_is_refused(settings):
    settings.OMS_RETURN_PHOTO_TYPES = ("image/jpeg",)

    with pytest.raises(ValidationFailed) as refused:
        validate_photo(upload(PNG, "shot.png", "image/png"))

    assert refused.value.code == "photo_type_not_allowed"
    assert validate_photo(upload(JPEG)) == "image/jpeg"


def test_a_photo_larger_than_the_limit_is_refused(settings):
    settings.OMS_RETURN_PHOTO_MAX_BYTES = len(JPEG)

    assert validate_photo(upload(JPEG)) == "image/jpeg"
    with pytest.raises(ValidationFailed) as refused:
        validate_photo(upload(JPEG + b"\x00"))

    assert refused.value.code == "photo_too_large"


def test_checking_a_photo_leaves_it_readable_from_the_start():
    photo = upload(PNG)

    validate_photo(photo)

    assert photo.read() == PNG


def test_more_photos_than_allowed_per_item_are_refused(settings):
    settings.OMS_RETURN_PHOTOS_PER_LINE = 2

    assert photos_errors([upload(JPEG)] * 2, field="lines[0].photos") == []
    errors = photos_errors([upload(JPEG)] * 3, field="lines[0].photos")

    assert [(e["field"], e["code"]) for e in errors] == [("lines[0].photos", "too_many_photos")]
