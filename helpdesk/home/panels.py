"""The home page's and the navigation's extension points: each role's "what needs my
attention" panels, and the navigation links of the features and higher apps.

Every app registers its entries from ``AppConfig.ready`` (panels through its
``panels.register``), so a higher app (security forms, access) adds its own without this app
importing it (DESIGN.md, layering).
"""

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from helpdesk.directory.roles import roles_of
from helpdesk.models import User
from helpdesk.registry import Registry


@dataclass(frozen=True)
class Panel:
    key: str
    title: str
    roles: Collection[str]  # who sees it (any of them)
    # Returns the panel's context, or None when it has nothing to show this user.
    context: Callable[[User], dict[str, Any] | None]
    order: int = 100

    @property
    def template(self) -> str:
        """``<feature>/panels/<key>.html``, the feature being the package of ``context``'s module
        (``helpdesk.tickets.panels`` -> ``tickets``, ``access.panels`` -> ``access``)."""
        parts = self.context.__module__.split(".")
        feature = parts[1] if parts[0] == "helpdesk" and len(parts) > 2 else parts[0]
        return f"{feature}/panels/{self.key}.html"


home_panels: Registry[Panel] = Registry(
    "home panels", key=lambda p: p.key, order=lambda p: (p.order, p.key)
)


def panels_for(user: User) -> list[tuple[Panel, dict[str, Any]]]:
    roles = roles_of(user)
    shown = []
    for panel in home_panels:
        if roles.intersection(panel.roles):
            context = panel.context(user)
            if context is not None:
                shown.append((panel, context))
    return shown


# The navigation's areas, in the order the header shows them: one menu each, so a person sees a
# handful of top-level entries whatever their roles (an area with one link is that link).
NAV_GROUPS: dict[str, str | Promise] = {
    "tickets": _("Tickets"),
    "information": _("Information"),
    "access": _("Accounts"),
}


@dataclass(frozen=True)
class NavLink:
    label: str | Promise
    url_name: str
    roles: frozenset[str]
    group: str = "information"  # a key of NAV_GROUPS


# Links of the features and higher apps, registered from their AppConfig.ready, shown in
# registration order after the help desk's own.
nav_links: Registry[NavLink] = Registry("navigation links", key=lambda link: link.url_name)
