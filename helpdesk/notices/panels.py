"""The help desk's home panel about known problems: open notices, and possible outages that
no notice covers yet."""

from django.db.models import Count

from helpdesk.directory.roles import Role
from helpdesk.home.panels import Panel, home_panels
from helpdesk.models import Notice
from helpdesk.notices.services import possible_outages


def known_problems(user) -> dict:
    return {
        "open": list(Notice.objects.open().annotate(linked=Count("tickets"))[:10]),
        "possible_outages": possible_outages(),
    }


def register() -> None:
    home_panels.register(
        Panel(
            "known_problems",
            "Known problems",
            frozenset({Role.HELP_DESK, Role.ADMINISTRATOR}),
            "notices/panels/known_problems.html",
            known_problems,
            order=4,
        )
    )
