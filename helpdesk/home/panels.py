"""Home page panels: each role's "what needs my attention".

Apps register panels when they load (``AppConfig.ready``), so a higher app (security forms,
access) can add its own to the home page without this app importing it (DESIGN.md, layering).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from helpdesk.directory.roles import roles_of


@dataclass(frozen=True)
class Panel:
    key: str
    title: str
    roles: frozenset[str]
    template: str
    # Returns the panel's context, or None when it has nothing to show this user.
    context: Callable[[Any], dict[str, Any] | None]
    order: int = 100


_registry: dict[str, Panel] = {}


def register_panel(panel: Panel) -> None:
    _registry[panel.key] = panel


def panels_for(user) -> list[tuple[Panel, dict[str, Any]]]:
    roles = roles_of(user)
    shown = []
    for panel in sorted(_registry.values(), key=lambda p: (p.order, p.key)):
        if panel.roles & roles:
            context = panel.context(user)
            if context is not None:
                shown.append((panel, context))
    return shown
