"""The navigation and the notice banner on every page."""

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from helpdesk.directory.permissions import can_use_admin
from helpdesk.directory.roles import Role, roles_of
from helpdesk.home.panels import nav_links
from helpdesk.notices.selectors import banner_notices


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The navigation links the signed-in user's roles open; nothing for anonymous visitors."""
    user = getattr(request, "user", None)
    roles = roles_of(user) if user is not None else frozenset()
    if not roles and not (user and user.is_authenticated):
        return {"nav_links": [], "user_roles": roles}
    links = [("Home", reverse("home"))]
    if Role.AGENCY_USER in roles:
        links.append(("Report a problem", reverse("report_problem")))
        links.append(("My reports", reverse("queue", args=["mine"])))
    if Role.LOCAL_EXPERT in roles:
        links.append(("Incoming", reverse("queue", args=["incoming"])))
        links.append(("Problem Report Form", reverse("problem_report_new")))
        links.append(("Agency tickets", reverse("queue", args=["agency"])))
    if Role.HELP_DESK in roles or Role.ADMINISTRATOR in roles:
        links.append(("Queue", reverse("queue", args=["help_desk"])))
        links.append(("Inbound mail", reverse("inbound_list")))
    if Role.MIS in roles:
        links.append(("MIS queue", reverse("queue", args=["mis"])))
    if roles & {Role.HELP_DESK, Role.ADMINISTRATOR, Role.MIS}:
        full = Role.HELP_DESK in roles or Role.ADMINISTRATOR in roles
        links.append(("Dashboard", reverse("dashboard" if full else "mis_dashboard")))
    if roles:
        links.append(("Notices", reverse("notice_list")))
    links += [(link.label, reverse(link.url_name)) for link in nav_links if link.roles & roles]
    if roles:
        links.append(("Directory", reverse("directory")))
    if Role.LOCAL_EXPERT in roles or Role.HELP_DESK in roles or Role.ADMINISTRATOR in roles:
        links.append(("Absences", reverse("absence_list")))
    if can_use_admin(user):
        links.append(("Administration", reverse("admin:index")))
    return {
        "nav_links": links,
        "user_roles": roles,
        "role_labels": _labels(roles),
        # Read only if the page shows it (one query), never for pages that do not.
        "notice_banner": SimpleLazyObject(lambda: banner_notices(user)),
    }


def _labels(roles: frozenset[str]) -> list[str]:
    return [label for value, label in Role.choices if value in roles]
