"""Where passkeys (WebAuthn) may be used: derived from ``SITE_URL`` unless set."""

from urllib.parse import urlsplit


def webauthn_origin(site_url: str) -> str:
    """The origin passkeys answer on: the site's own, or http://localhost for plain http."""
    parts = urlsplit(site_url)
    if parts.scheme == "https":
        return f"https://{parts.netloc}"
    return f"http://localhost:{parts.port or 80}"


def webauthn_rp_id(origin: str) -> str:
    """The WebAuthn relying party id: the origin's host name."""
    return urlsplit(origin).hostname or "localhost"
