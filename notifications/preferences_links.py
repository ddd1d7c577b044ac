"""Signed links to the preference centre: one per email address, carried in every email."""

from django.conf import settings
from django.core import signing
from django.urls import reverse

PREFERENCES_SALT = "oms.preferences"


def preference_token(email: str) -> str:
    """A token naming the address. It never expires: an unsubscribe link must keep working in
    an old email (CAN-SPAM asks for at least 30 days), and it grants nothing but this page.
    Rotating SECRET_KEY (with SECRET_KEY_FALLBACKS) is how old links are retired."""
    return signing.Signer(salt=PREFERENCES_SALT).sign_object(email.strip().lower())


def email_from_token(token: str) -> str | None:
    """The address a token was made for, or None if it was forged or mangled."""
    try:
        email = signing.Signer(salt=PREFERENCES_SALT).unsign_object(token)
    except (signing.BadSignature, ValueError):
        return None
    return email if isinstance(email, str) and "@" in email else None


def preference_url(email: str) -> str:
    path = reverse("contact-preferences", kwargs={"token": preference_token(email)})
    return settings.OMS_PUBLIC_URL.rstrip("/") + path
