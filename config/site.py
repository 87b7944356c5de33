"""The site's public address when ``SITE_URL`` is not set: where ``make run`` (and
``scripts/run``) serve it, from ``HOST`` and ``PORT``, so every link in the mail points at the
server that is running (issue 20: links went to port 8000 whatever PORT was)."""

from collections.abc import Mapping

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = "8000"
# A server listening on every address is reached, on this machine, at localhost.
WILDCARDS = {"", "0.0.0.0", "::", "[::]"}  # noqa: S104 - names the wildcard, binds nothing


def served_host(environ: Mapping[str, str]) -> str:
    """The host name links use for the address the web process listens on."""
    host = environ.get("HOST", DEFAULT_HOST).strip()
    if host in WILDCARDS:
        return "localhost"
    if ":" in host and not host.startswith("["):
        return f"[{host}]"  # an IPv6 address in a URL
    return host


def site_url(environ: Mapping[str, str]) -> str:
    """``SITE_URL`` when set, else http://HOST:PORT (127.0.0.1:8000 by default), no slash."""
    explicit = environ.get("SITE_URL", "").strip()
    if explicit:
        return explicit.rstrip("/")
    port = environ.get("PORT", DEFAULT_PORT).strip() or DEFAULT_PORT
    return f"http://{served_host(environ)}:{port}"
