"""`manage.py seed_demo`: realistic, complete and idempotent demo data."""

import hashlib
import json
from io import StringIO

import pytest
from django.apps import apps
from django.core import serializers
from django.core.management import CommandError, call_command
from django.test import override_settings

from helpdesk.directory.roles import Role
from helpdesk.directory.selectors import office_coverage
from helpdesk.models import Agency, AgencyKind, DesignationRole, Office, Region, User

pytestmark = pytest.mark.django_db


def _fingerprint() -> dict[str, str]:
    """A digest of every row of every project and auth table, so any change shows."""
    digests = {}
    for model in apps.get_models():
        if model._meta.app_label not in {"helpdesk", "auth"}:
            continue
        rows = model._default_manager.order_by("pk")
        data = serializers.serialize("json", rows)
        digests[model._meta.label] = hashlib.sha256(data.encode()).hexdigest()
    return digests


def _seed(*args) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def test_seeding_twice_changes_nothing():
    _seed()
    before = _fingerprint()
    output = _seed()
    assert "0 records created" in output
    assert _fingerprint() == before


def test_the_demo_has_sixteen_ccrr_regions_and_about_twenty_sites():
    _seed()
    assert Region.objects.count() == 16
    assert Agency.objects.filter(kind=AgencyKind.CCRR).count() == 16
    assert set(
        Agency.objects.filter(kind=AgencyKind.CCRR).values_list("region__number", flat=True)
    ) == set(range(1, 17))
    assert 18 <= Agency.objects.filter(kind=AgencyKind.SITE).count() <= 25


def test_every_agency_office_has_a_primary_and_an_alternate_and_some_are_away():
    _seed()
    offices = Office.objects.exclude(agency__kind=AgencyKind.STATE_UNIT)
    coverage = office_coverage(offices)
    assert all(c.primary and c.alternate for c in coverage.values())
    acting_alternates = [c for c in coverage.values() if c.acting_role == DesignationRole.ALTERNATE]
    nobody = [c for c in coverage.values() if c.acting is None]
    assert acting_alternates, "some primaries are away today, so their alternates act"
    assert len(nobody) == 1, "one office shows the 'nobody acting' case"


def test_every_role_has_demo_logins_and_the_json_lists_them():
    _seed()
    logins = json.loads(_seed("--json"))
    roles = {login["role"] for login in logins}
    assert roles == set(Role.values)
    assert {"role", "username", "email", "password", "office"} <= set(logins[0])
    sample = {login["role"]: login for login in logins}
    for role, login in sample.items():
        user = User.objects.get(username=login["username"])
        assert user.check_password(login["password"])
        assert user.groups.filter(name=role).exists()
        assert user.person.primary_email == login["email"]


@override_settings(PRODUCTION=True)
def test_seeding_is_refused_in_production():
    with pytest.raises(CommandError, match="production"):
        _seed()
    assert not Region.objects.exists()


def test_the_demo_has_a_ticket_in_every_state():
    from escalation.workflow import TicketState
    from helpdesk.models import Ticket

    _seed()
    states = set(Ticket.objects.values_list("state", flat=True))
    assert states == set(TicketState.values)
    # 7 demo tickets reached the help desk on the web (besides the history), 2 more came
    # through the mail intake.
    current = Ticket.objects.exclude(summary__contains="(week -")
    assert current.exclude(submitted_at=None).filter(source="web").count() == 7
    assert Ticket.objects.filter(source="email").count() == 2


def test_the_demo_has_twelve_weeks_of_history_for_the_dashboards():
    from datetime import timedelta

    from django.db.models.functions import TruncWeek
    from django.utils import timezone

    from helpdesk.models import AuditEvent, Ticket

    _seed()
    history = Ticket.objects.filter(summary__contains="(week -")
    weeks = set(history.annotate(week=TruncWeek("created_at")).values_list("week", flat=True))
    assert len(weeks) >= 11  # a ticket may be pushed into the next week by a few days
    assert set(history.values_list("state", flat=True)) == {"resolved", "closed"}
    assert history.filter(mis_escalated_at__isnull=False).exists()
    assert history.filter(resolution_breached_at__isnull=False).exists()
    oldest = history.order_by("created_at").first()
    assert oldest.created_at < timezone.now() - timedelta(weeks=11)
    # Its timeline moved with it: nothing about it happened before it was made.
    assert not oldest.events.filter(at__lt=oldest.created_at - timedelta(seconds=1)).exists()
    assert oldest.events.order_by("-at").first().at < timezone.now() - timedelta(weeks=10)
    # The audit trail did not: it says when the demo wrote each row (its hash chain holds).
    newest_audit = AuditEvent.objects.for_object(oldest).order_by("-at").first()
    assert newest_audit.at > timezone.now() - timedelta(hours=1)


def test_the_demo_mail_shows_each_intake_outcome():
    from helpdesk.models import InboundMessage

    _seed()
    outcomes = sorted(InboundMessage.objects.values_list("outcome", flat=True))
    assert outcomes == ["auto_reply_ignored", "quarantined", "ticket_created", "ticket_created"]


def test_the_demo_has_an_open_notice_with_its_ticket_and_a_resolved_one():
    from helpdesk.models import Notice, UpdateKind

    _seed()
    open_notice = Notice.objects.open().get()
    assert open_notice.systems == ["ivr"]
    assert open_notice.tickets.filter(state="escalated_to_mis").count() == 1
    assert list(open_notice.updates.values_list("kind", flat=True)) == [
        UpdateKind.PUBLISHED,
        UpdateKind.UPDATE,
    ]
    assert Notice.objects.filter(resolved_at__isnull=False).count() == 1


def test_the_demo_has_saved_replies_for_the_help_desk_and_mis():
    from helpdesk.models import ReplyOwner, SavedReply

    _seed()
    owners = set(SavedReply.objects.values_list("owner", flat=True))
    assert owners == {ReplyOwner.HELP_DESK, ReplyOwner.MIS}
    assert SavedReply.objects.exclude(action="").exists()


def test_the_demo_has_security_forms_in_several_states():
    from forms_4052_4055.models import SecurityForm

    _seed()
    states = set(SecurityForm.objects.values_list("state", flat=True))
    assert states == {"issued", "received", "returned", "filed"}
    assert SecurityForm.objects.overdue().count() == 2


def test_the_demo_has_accounts_and_a_departure():
    from access.models import AccessRequest, Account

    _seed()
    assert Account.objects.filter(state="active").count() == 24  # revoked once confirmed
    assert AccessRequest.objects.filter(kind="revoke").open().count() == 2


def test_the_demo_leaves_the_audit_chain_intact():
    """The demo's twelve weeks of history are moved back in time; the audit trail is not (it
    says when each row was written), so its hash chain verifies."""
    from helpdesk import audit

    _seed()

    check = audit.verify()
    assert check.intact, f"row {check.row_id}: {check.problem}"
    assert check.rows > 100
