"""The navigation and the notice banner on every page."""

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

from helpdesk.directory.permissions import can_use_admin
from helpdesk.directory.roles import Role, roles_of
from helpdesk.home.panels import NAV_GROUPS, nav_links
from helpdesk.notices.selectors import banner_notices


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The navigation links the signed-in user's roles open, flat (``nav_links``) and grouped
    by area for the header (``nav_groups``); nothing for anonymous visitors."""
    user = getattr(request, "user", None)
    roles = roles_of(user) if user is not None else frozenset()
    if not roles and not (user and user.is_authenticated):
        return {"nav_links": [], "nav_groups": [], "user_roles": roles}
    grouped = _links_by_group(user, roles)
    return {
        "nav_links": [link for links in grouped.values() for link in links],
        "nav_groups": [
            (NAV_GROUPS.get(group, group), links) for group, links in grouped.items() if links
        ],
        "user_roles": roles,
        "role_labels": _labels(roles),
        # Read only if the page shows it (one query), never for pages that do not.
        "notice_banner": SimpleLazyObject(lambda: banner_notices(user)),
    }


def _links_by_group(user: Any, roles: frozenset[str]) -> dict[str, list[tuple[str, str]]]:
    """Home first, alone; then each area of NAV_GROUPS in order; Administration last, alone."""
    links: dict[str, list[tuple[str, str]]] = {"": [(_("Home"), reverse("home"))]}
    links |= {group: [] for group in NAV_GROUPS}
    tickets, information = links["tickets"], links["information"]
    if Role.AGENCY_USER in roles:
        tickets.append((_("Report a problem"), reverse("report_problem")))
        tickets.append((_("My reports"), reverse("queue", args=["mine"])))
    if Role.LOCAL_EXPERT in roles:
        tickets.append((_("Incoming"), reverse("queue", args=["incoming"])))
        tickets.append((_("Problem Report Form"), reverse("problem_report_new")))
        tickets.append((_("Agency tickets"), reverse("queue", args=["agency"])))
    if Role.HELP_DESK in roles or Role.ADMINISTRATOR in roles:
        tickets.append((_("Queue"), reverse("queue", args=["help_desk"])))
        tickets.append((_("Inbound mail"), reverse("inbound_list")))
    if Role.MIS in roles:
        tickets.append((_("MIS queue"), reverse("queue", args=["mis"])))
    if roles & {Role.HELP_DESK, Role.ADMINISTRATOR, Role.MIS}:
        full = Role.HELP_DESK in roles or Role.ADMINISTRATOR in roles
        tickets.append((_("Dashboard"), reverse("dashboard" if full else "mis_dashboard")))
    if roles:
        information.append((_("Notices"), reverse("notice_list")))
    for link in nav_links:
        if link.roles & roles:
            links.setdefault(link.group, []).append((str(link.label), reverse(link.url_name)))
    if roles:
        information.append((_("Directory"), reverse("directory")))
    if Role.LOCAL_EXPERT in roles or Role.HELP_DESK in roles or Role.ADMINISTRATOR in roles:
        information.append((_("Absences"), reverse("absence_list")))
    if can_use_admin(user):
        links["admin"] = [(_("Administration"), reverse("admin:index"))]
    return links


def _labels(roles: frozenset[str]) -> list[str]:
    return [label for value, label in Role.choices if value in roles]
