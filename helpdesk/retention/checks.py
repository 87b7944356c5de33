"""The start-up check of ``settings.RETENTION`` (a Django system check, so ``migrate``,
``runserver``, ``check`` and the worker stop on a bad rule): every kind has a rule, each rule a
whole number of years (at least one) and a clock its kind offers, and no rule names a kind
nobody registered (a typo would otherwise keep records for ever, silently)."""

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error

from helpdesk.retention.kinds import PEOPLE, PEOPLE_CLOCKS, record_kinds


def check_retention(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    rules = getattr(settings, "RETENTION", None)
    if not isinstance(rules, dict):
        return [Error("RETENTION must be a dict of rules per kind of record.", id="ccap.R001")]
    clocks = {kind.key: tuple(kind.clocks) for kind in record_kinds}
    clocks[PEOPLE] = PEOPLE_CLOCKS
    errors: list[CheckMessage] = []
    for key in sorted(set(rules) - set(clocks)):
        errors.append(
            Error(
                f"RETENTION has a rule for {key!r}, which is no kind of record.",
                hint=f"The kinds are: {', '.join(sorted(clocks))}.",
                id="ccap.R002",
            )
        )
    for key, offered in sorted(clocks.items()):
        variable = f"RETENTION_{key.upper()}"
        rule = rules.get(key)
        if not isinstance(rule, dict):
            errors.append(Error(f"RETENTION has no rule for {key!r}.", id="ccap.R003"))
            continue
        years = rule.get("years")
        if isinstance(years, bool) or not isinstance(years, int) or years < 1:
            errors.append(
                Error(
                    f"The retention of {key} must be a whole number of years, at least 1; "
                    f"got {years!r}.",
                    hint=f"Set {variable}_YEARS to e.g. 7.",
                    id="ccap.R004",
                )
            )
        if rule.get("from") not in offered:
            errors.append(
                Error(
                    f"The retention clock of {key} cannot count from {rule.get('from')!r}.",
                    hint=f"Set {variable}_FROM to one of: {', '.join(offered)}.",
                    id="ccap.R005",
                )
            )
    batch = getattr(settings, "RETENTION_BATCH_SIZE", 500)
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        errors.append(
            Error(
                f"RETENTION_BATCH_SIZE must be a whole number, at least 1; got {batch!r}.",
                id="ccap.R006",
            )
        )
    return errors
