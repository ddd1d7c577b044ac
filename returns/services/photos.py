"""Photos customers attach to return lines: the type is read from the file's first bytes (never
from its name or the browser's claim), the size and the count per line are bounded by settings
(OMS_RETURN_PHOTO_TYPES, OMS_RETURN_PHOTO_MAX_BYTES, OMS_RETURN_PHOTOS_PER_LINE)."""

import secrets
from collections.abc import Iterable

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from oms.exceptions import ValidationFailed
from returns.models import ReturnLine, ReturnPhoto

EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


def sniff_type(head: bytes) -> str:
    """The image type the leading bytes announce, or "" when they announce none we know.
    JPEG: FF D8 FF; PNG: the 8-byte signature; WebP: a RIFF container of form type WEBP."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return ""


def _read_head(file: UploadedFile) -> bytes:
    file.seek(0)
    head = file.read(12)
    file.seek(0)
    return head or b""


def photo_errors(file: UploadedFile, *, field: str = "photos") -> tuple[str, list[dict]]:
    """(content type, errors) for one uploaded photo; errors is empty when it is acceptable."""
    content_type = sniff_type(_read_head(file))
    if not content_type or content_type not in settings.OMS_RETURN_PHOTO_TYPES:
        allowed = ", ".join(t.split("/")[1].upper() for t in settings.OMS_RETURN_PHOTO_TYPES)
        return "", [
            {
                "field": field,
                "code": "photo_type_not_allowed",
                "message": _("%(name)s is not a photo we accept (%(allowed)s).")
                % {"name": file.name or _("The file"), "allowed": allowed},
            }
        ]
    limit = settings.OMS_RETURN_PHOTO_MAX_BYTES
    if file.size is None or file.size > limit:
        return content_type, [
            {
                "field": field,
                "code": "photo_too_large",
                "message": _("%(name)s is larger than %(size)s MB.")
                % {"name": file.name or _("The file"), "size": f"{limit / 1024 / 1024:g}"},
            }
        ]
    return content_type, []


def validate_photo(file: UploadedFile, *, field: str = "photos") -> str:
    """Check one photo and return its content type; raises ValidationFailed otherwise."""
    content_type, errors = photo_errors(file, field=field)
    if errors:
        raise ValidationFailed(errors[0]["message"], code=errors[0]["code"], errors=errors)
    return content_type


def photos_errors(files: list[UploadedFile], *, field: str) -> list[dict]:
    """Every error of one line's photos: each file's, and too many files."""
    errors = []
    limit = settings.OMS_RETURN_PHOTOS_PER_LINE
    if len(files) > limit:
        errors.append(
            {
                "field": field,
                "code": "too_many_photos",
                "message": _("Attach at most %(count)s photos per item.") % {"count": limit},
            }
        )
    for file in files:
        errors += photo_errors(file, field=field)[1]
    return errors


def store_photos(line: ReturnLine, files: Iterable[UploadedFile]) -> list[ReturnPhoto]:
    """Save validated photos under names of our own (never the customer's file name)."""
    stored = []
    for file in files:
        content_type = validate_photo(file)
        photo = ReturnPhoto(line=line, content_type=content_type, size=file.size)
        name = (
            f"{line.return_request.rma}-{line.pk}-{secrets.token_hex(6)}.{EXTENSIONS[content_type]}"
        )
        file.seek(0)
        photo.image.save(name, file, save=False)
        photo.save()
        stored.append(photo)
    return stored
