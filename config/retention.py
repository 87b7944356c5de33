"""The retention rules (``RETENTION``): per kind of record, how many years it is kept and from
what its clock counts. IRS Publication 1075 and the CJIS policy keep security and audit records
for years; seven is the conservative choice and every default here.

Each rule is overridable by the environment: ``RETENTION_<KIND>_YEARS`` and
``RETENTION_<KIND>_FROM`` (e.g. ``RETENTION_INBOUND_MAIL_FROM=processed``). Values are read as
written and checked at start-up by a system check (``helpdesk.retention.checks``), which names
the variable and what it accepts: a bad value stops ``migrate``, ``runserver`` and the worker
with a clear message instead of purging by a rule nobody meant.
"""

from collections.abc import Mapping
from typing import Any

from config.env import env_str

# kind -> (years, what the clock counts from); the clocks each kind offers are declared with the
# kind (helpdesk.retention.kinds), and the check refuses any other.
DEFAULTS: dict[str, tuple[int, str]] = {
    "tickets": (7, "closed"),  # closed, resolved locally or rejected
    "inbound_mail": (7, "received"),  # or "processed"
    "outbound_mail": (7, "sent"),  # or "queued"
    "security_forms": (7, "filed_or_expired"),
    "access_requests": (7, "closed"),  # the change: completed, denied or cancelled
    "departures": (7, "effective"),
    "accounts": (7, "revoked"),
    "access_reviews": (7, "closed"),
    "audit": (7, "written"),  # the row's own time
    "people": (7, "left"),  # anonymised this long after leaving, once no record names them
}


def retention_settings(environ: Mapping[str, str] | None = None) -> dict[str, dict[str, Any]]:
    rules: dict[str, dict[str, Any]] = {}
    for kind, (years, clock) in DEFAULTS.items():
        prefix = f"RETENTION_{kind.upper()}"
        raw_years = env_str(f"{prefix}_YEARS", "", environ=environ).strip()
        rules[kind] = {
            "years": _number(raw_years) if raw_years else years,
            "from": env_str(f"{prefix}_FROM", "", environ=environ).strip() or clock,
        }
    return rules


def _number(raw: str) -> int | str:
    """An integer when it is one; else the text as written, for the check to name."""
    try:
        return int(raw)
    except ValueError:
        return raw
