"""Webhook plumbing shared by the channel, the services, the API and the admin: Standard Webhooks
signatures, the guard that keeps webhook targets off private networks (SSRF), and the
owner-scoped reads the API uses.

Standard Webhooks: https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md
"""

import base64
import hashlib
import hmac
import ipaddress
import socket
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from django.conf import settings

from notifications.models import WebhookEndpoint

SECRET_PREFIX = "whsec_"
ALLOWED_SCHEMES = {"http": 80, "https": 443}


# --- Signatures -------------------------------------------------------------------------------


def sign(secret: str, msg_id: str, timestamp: int, body: str) -> str:
    """One Standard Webhooks signature: "v1," + base64(HMAC-SHA256(key, "{id}.{ts}.{body}")),
    the key being the base64 part of the "whsec_…" secret."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    digest = hmac.new(key, f"{msg_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signing_secrets(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    """The current secret, and the previous one while a rotation's overlap lasts."""
    secrets = [endpoint.secret]
    expires_at = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires_at is not None and expires_at > now:
        secrets.append(endpoint.previous_secret)
    return secrets


def signature_header(secrets: list[str], msg_id: str, timestamp: int, body: str) -> str:
    """The webhook-signature value: one signature per secret, space-separated (the spec's way
    of letting receivers verify with either secret during a rotation)."""
    return " ".join(sign(secret, msg_id, timestamp, body) for secret in secrets)


# --- SSRF guard -------------------------------------------------------------------------------


class TargetRefused(Exception):
    """The URL may never be called: wrong scheme, credentials in it, or a private address."""


class TargetUnresolvable(Exception):
    """The host name did not resolve (may be temporary)."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # path and query, as sent in the request line
    # The checked addresses: the request connects to these and never resolves the name again,
    # so a DNS answer that changes between the check and the connection (DNS rebinding) cannot
    # point the request at an internal address.
    addresses: tuple[str, ...]


def is_public_address(address: str) -> bool:
    """True for addresses on the public internet only."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone ("fe80::1%eth0")
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is loopback, whatever its spelling
    return ip.is_global and not (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def parse_target(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path) of a webhook URL, or TargetRefused."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise TargetRefused(f"The URL is not valid: {exc}.") from exc
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise TargetRefused("Webhook URLs must use http or https.")
    if not parts.hostname:
        raise TargetRefused("The URL has no host.")
    if parts.username is not None or parts.password is not None:
        raise TargetRefused("Credentials in the URL are not supported; verify the signature.")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return scheme, parts.hostname, port or ALLOWED_SCHEMES[scheme], path


def check_target(url: str) -> Target:
    """Resolve the URL's host and refuse it if any of its addresses is loopback, private,
    link-local, multicast, reserved or unspecified, unless OMS_WEBHOOKS_ALLOW_PRIVATE_TARGETS
    (development and tests). Called when an endpoint is saved and again before every request,
    since DNS answers change."""
    scheme, host, port, path = parse_target(url)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise TargetUnresolvable(f"The host {host} could not be resolved: {exc}.") from exc
    addresses = tuple(dict.fromkeys(info[4][0] for info in infos))  # unique, in DNS order
    if not addresses:
        raise TargetUnresolvable(f"The host {host} has no address.")
    if not settings.OMS_WEBHOOKS_ALLOW_PRIVATE_TARGETS:
        refused = [address for address in addresses if not is_public_address(address)]
        if refused:
            # One private answer is enough to refuse: an attacker controls which one we'd use.
            raise TargetRefused(
                f"The host {host} resolves to a private, loopback or reserved address "
                f"({refused[0]}); webhook targets must be on the public internet."
            )
    return Target(scheme=scheme, host=host, port=port, path=path, addresses=addresses)
