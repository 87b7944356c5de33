"""The local expert is kept informed (issue 16, item 10): when the help desk takes the ticket,
when MIS reports its resolution, when MIS's number changes and before a resolved ticket closes
by itself; MIS mail goes to the ticket's MIS owner once someone took it on; and a report made
while both local experts are away goes to the help desk, flagged, with the desk alerted and
the reporter told the truth."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from escalation import sla
from escalation.workflow import TicketState as S
from helpdesk.actor import Actor
from helpdesk.directory.roles import Role
from helpdesk.models import EventKind, OutboundEmail, System, Ticket, WhoAffected
from helpdesk.reports import services as reports
from helpdesk.tickets import services as svc
from helpdesk.tickets.tasks import send_auto_close_reminders, sla_sweep
from tests.concurrency import POSTGRESQL_ONLY, raise_unexpected, run_at_once
from tests.conftest import _person
from tests.factories import AbsenceFactory
from tests.helpdesk import ticket_helpers as th
from tests.helpdesk.test_sla_sweep import starting_sla_targets  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db
CHICAGO = ZoneInfo("America/Chicago")
TUESDAY_9AM = datetime(2026, 3, 10, 9, 0, tzinfo=CHICAGO)
EXPERT = {"pat@example.org", "alice@example.org"}  # the form's contact and secondary contact


def _to(subject_part: str) -> list[set[str]]:
    """The recipients of each email sent whose subject holds ``subject_part``, one set per
    email kind sent (each copy goes to one address)."""
    return [set(m.to) for m in mail.outbox if subject_part in m.subject]


def _addresses(subject_part: str) -> set[str]:
    return {a for m in mail.outbox if subject_part in m.subject for a in m.to}


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run ``fn`` and then what waits for the commit (the emails' tasks)."""

    def run(fn):
        with django_capture_on_commit_callbacks(execute=True):
            return fn()

    return run


@pytest.fixture
def mona(world):
    """A second MIS staff member: MIS mail to "every MIS user" reaches her too."""
    state_office = world.mike.person.office
    return _person(state_office, "mona", "Mona", "Mis", Role.MIS).user


# --- The help desk takes the ticket ----------------------------------------------------------


def test_the_expert_hears_once_when_the_help_desk_takes_the_ticket(world, commit):
    ticket = commit(lambda: th.submitted(world))
    mail.outbox.clear()
    taken = commit(lambda: svc.assign(ticket, by=Actor.of(world.hannah), assignee=world.hannah))
    assert _addresses("Taken on by the help desk") == EXPERT
    assert "Hannah Helpdesk is working on it" in _bodies("Taken on by the help desk")[0]
    assert all(m.subject.startswith(f"[{ticket.tracking_number}] ") for m in mail.outbox)
    assert "mike@example.org" not in _addresses("")  # MIS has nothing to do with it yet
    # Handed to a colleague: the desk had it already, so the expert hears nothing new.
    rick = _person(world.hannah.person.office, "rick", "Rick", "Desk", Role.HELP_DESK).user
    mail.outbox.clear()
    commit(lambda: svc.assign(taken, by=Actor.of(world.hannah), assignee=rick))
    assert _addresses("Taken on") == set()
    assert _addresses("Assigned to you") == {"rick@example.org"}
    assert OutboundEmail.objects.filter(kind="taken_on").count() == 1


def test_nothing_is_sent_when_the_taking_rolls_back(
    world, commit, django_capture_on_commit_callbacks
):
    ticket = commit(lambda: th.submitted(world))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        svc.assign(ticket, by=Actor.of(world.hannah), assignee=world.hannah)
    assert callbacks  # waiting for the commit, not sent inside the transaction
    assert mail.outbox == []
    assert not OutboundEmail.objects.filter(kind="taken_on").exists()


# --- MIS reports its resolution; MIS's number changes -----------------------------------------


def test_the_expert_hears_mis_resolution(world, commit, mona):
    ticket = commit(lambda: th.with_mis(world))
    mail.outbox.clear()
    commit(
        lambda: svc.report_mis_resolution(
            ticket, by=Actor.of(world.mike), resolution="Patched the CCTS RACF exit."
        )
    )
    assert _addresses("IDHS/MIS reports a fix") == EXPERT
    body = _bodies("IDHS/MIS reports a fix")[0]
    assert "Patched the CCTS RACF exit." in body
    assert "MIS ticket MIS-77" in body
    # The desk still hears it as before; MIS, who wrote it, is not told its own news.
    assert _addresses("MIS reports a resolution") == {"hannah@example.org"}
    assert not {"mike@example.org", "mona@example.org"} & _addresses("")


def test_the_expert_hears_when_the_mis_number_changes_and_only_then(world, commit):
    ticket = commit(lambda: th.with_mis(world))
    mail.outbox.clear()
    ticket = commit(
        lambda: svc.set_mis_reference(ticket, by=Actor.of(world.hannah), mis_reference="MIS-78 ")
    )
    assert _addresses("MIS ticket number") == EXPERT
    body = _bodies("MIS ticket number")[0]
    assert "is now MIS-78 (it was MIS-77)" in body
    mail.outbox.clear()
    version = ticket.version
    ticket = commit(
        lambda: svc.set_mis_reference(ticket, by=Actor.of(world.mike), mis_reference="MIS-78")
    )
    assert mail.outbox == []  # the same number again is no change
    assert ticket.version == version
    assert ticket.events.filter(kind=EventKind.MIS_REFERENCE).count() == 1


def test_a_first_mis_number_is_news_too(world, commit):
    ticket = commit(lambda: th.in_progress(world))
    ticket = commit(
        lambda: svc.escalate_to_mis(ticket, by=Actor.of(world.hannah), note="Needs MIS.")
    )
    mail.outbox.clear()
    commit(lambda: svc.set_mis_reference(ticket, by=Actor.of(world.mike), mis_reference="M-9"))
    assert _addresses("MIS ticket number") == EXPERT
    assert f"IDHS/MIS's ticket number for {ticket.reference} is M-9." in _bodies("MIS ticket")[0]


# --- Before the auto-close ---------------------------------------------------------------------


def _resolved_on_tuesday(world, commit) -> Ticket:
    with time_machine.travel(TUESDAY_9AM, tick=False):
        ticket = commit(lambda: th.resolved(world))
    mail.outbox.clear()
    return ticket


def test_the_expert_is_reminded_once_before_the_auto_close(world, commit):
    ticket = _resolved_on_tuesday(world, commit)
    # Closes at the end of the fifth working day (Tuesday 17th); reminded two working days
    # before, at the end of the third (Friday 13th).
    assert ticket.auto_close_at == datetime(2026, 3, 17, 17, 0, tzinfo=CHICAGO)
    assert ticket.auto_close_reminder_at == datetime(2026, 3, 13, 17, 0, tzinfo=CHICAGO)
    thursday = datetime(2026, 3, 12, 12, 0, tzinfo=CHICAGO)
    assert commit(lambda: sla_sweep(now=thursday)) == {"auto_closed": 0}
    assert mail.outbox == []
    friday_evening = datetime(2026, 3, 13, 17, 5, tzinfo=CHICAGO)
    assert commit(lambda: sla_sweep(now=friday_evening))["auto_close_reminded"] == 1
    assert commit(lambda: sla_sweep(now=friday_evening + timedelta(hours=1))) == {"auto_closed": 0}
    assert _addresses("Closing soon") == EXPERT
    assert len(_to("Closing soon")) == len(EXPERT)  # one copy each, once
    body = _bodies("Closing soon")[0]
    assert "RACF ID reset." in body
    assert "Tuesday, March 17, 5:00 PM" in body
    ticket.refresh_from_db()
    assert ticket.state == S.RESOLVED
    assert ticket.auto_close_reminder_at is None
    # And at the auto-close it closes, with no second reminder.
    assert commit(lambda: sla_sweep(now=ticket.auto_close_at + timedelta(minutes=1))) == {
        "auto_closed": 1
    }
    assert len(_to("Closing soon")) == len(EXPERT)


def test_a_ticket_past_its_auto_close_is_closed_not_reminded(world, commit):
    ticket = _resolved_on_tuesday(world, commit)
    late = ticket.auto_close_at + timedelta(hours=1)  # the worker was down for days
    assert commit(lambda: sla_sweep(now=late)) == {"auto_closed": 1}
    assert _to("Closing soon") == []
    ticket.refresh_from_db()
    assert ticket.state == S.CLOSED
    assert ticket.auto_close_reminder_at is None


def test_a_reopened_ticket_is_not_reminded_and_a_new_resolution_is(world, commit):
    ticket = _resolved_on_tuesday(world, commit)
    with time_machine.travel(TUESDAY_9AM + timedelta(hours=1), tick=False):
        ticket = commit(lambda: svc.reopen(ticket, by=Actor.of(world.pat.user), note="Still."))
        assert ticket.auto_close_reminder_at is None
    friday_evening = datetime(2026, 3, 13, 17, 5, tzinfo=CHICAGO)
    assert "auto_close_reminded" not in commit(lambda: sla_sweep(now=friday_evening))
    assert _to("Closing soon") == []
    with time_machine.travel(friday_evening, tick=False):
        ticket = commit(lambda: svc.resolve(ticket, by=Actor.of(world.hannah), resolution="Now."))
    mail.outbox.clear()
    assert (
        commit(lambda: sla_sweep(now=ticket.auto_close_reminder_at)).get("auto_close_reminded") == 1
    )
    assert _addresses("Closing soon") == EXPERT


def test_a_reminder_claimed_then_overtaken_by_a_reply_is_not_sent(world, commit):
    ticket = _resolved_on_tuesday(world, commit)
    claimed = sla.claim_auto_close_reminders(Ticket.objects.all(), ticket.auto_close_reminder_at)
    assert claimed == [ticket.pk]
    commit(lambda: svc.reopen(ticket, by=Actor.of(world.pat.user), note="Not fixed."))
    mail.outbox.clear()
    assert commit(lambda: send_auto_close_reminders(claimed, claimed="20260313T170000")) == 0
    assert _to("Closing soon") == []


def test_a_retried_reminder_batch_sends_once(world, commit):
    ticket = _resolved_on_tuesday(world, commit)
    sent = commit(lambda: send_auto_close_reminders([ticket.pk], claimed="20260313T170000"))
    again = commit(lambda: send_auto_close_reminders([ticket.pk], claimed="20260313T170000"))
    assert (sent, again) == (len(EXPERT), 0)
    assert OutboundEmail.objects.filter(kind="auto_close_reminder").count() == 1


@POSTGRESQL_ONLY
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("starting_sla_targets")
def test_two_sweeps_at_once_remind_each_ticket_once(world, monkeypatch):
    """Two workers sweep the same due reminders at once: each reminder is claimed by one
    sweep only and emailed once."""
    with time_machine.travel(TUESDAY_9AM, tick=False):
        tickets = [th.resolved(world) for _ in range(4)]
    claims = []  # each sweep's claim, as the real one made it
    real = sla.claim_auto_close_reminders

    def claim(queryset, now):
        claimed = real(queryset, now)
        claims.append(claimed)
        return claimed

    monkeypatch.setattr(sla, "claim_auto_close_reminders", claim)
    due = datetime(2026, 3, 13, 17, 5, tzinfo=CHICAGO)
    outcomes = run_at_once(
        lambda: sla_sweep(now=due),
        lambda: sla_sweep(now=due),
        contend_for=Ticket.objects.filter(pk__in=[t.pk for t in tickets]),
    )
    raise_unexpected(outcomes)
    first, second = (set(c) for c in claims)
    assert first.isdisjoint(second)
    assert first | second == {t.pk for t in tickets}
    reminders = OutboundEmail.objects.filter(kind="auto_close_reminder")
    assert sorted(reminders.values_list("ticket_id", flat=True)) == sorted(t.pk for t in tickets)


# --- The MIS owner -----------------------------------------------------------------------------


def test_mis_mail_goes_to_every_mis_user_until_someone_takes_the_ticket(world, commit, mona):
    ticket = commit(lambda: th.with_mis(world))
    assert _addresses("Escalated to MIS") == {"mike@example.org", "mona@example.org"}
    ticket = commit(lambda: svc.take_mis_ownership(ticket, by=Actor.of(mona)))
    assert ticket.mis_owner == mona
    event = ticket.events.get(kind=EventKind.MIS_OWNER)
    assert event.internal
    assert "Mona Mis" in event.note
    mail.outbox.clear()
    # The expert writes while MIS has it: only the owner hears.
    commit(lambda: svc.add_message(ticket, by=Actor.of(world.pat.user), body="Any news?"))
    assert {a for m in mail.outbox for a in m.to} == {"mona@example.org"}
    # Asked and answered: the answer goes to the owner, not to every MIS user.
    ticket = commit(lambda: svc.request_info(ticket, by=Actor.of(mona), question="Which case?"))
    mail.outbox.clear()
    commit(lambda: svc.provide_info(ticket, by=Actor.of(world.pat.user), answer="Case 12."))
    assert {a for m in mail.outbox for a in m.to} == {"mona@example.org"}


def test_a_ticket_escalated_again_goes_to_its_owner(world, commit, mona):
    ticket = commit(lambda: th.with_mis(world))
    ticket = commit(lambda: svc.take_mis_ownership(ticket, by=Actor.of(mona)))
    ticket = commit(
        lambda: svc.report_mis_resolution(ticket, by=Actor.of(mona), resolution="Fixed?")
    )
    mail.outbox.clear()
    commit(lambda: svc.escalate_to_mis(ticket, by=Actor.of(world.hannah), note="Still broken."))
    assert _addresses("Escalated to MIS") == {"mona@example.org"}


def test_an_owner_who_cannot_act_any_more_leaves_the_mail_to_every_mis_user(world, commit, mona):
    ticket = commit(lambda: th.with_mis(world))
    ticket = commit(lambda: svc.take_mis_ownership(ticket, by=Actor.of(mona)))
    mona.is_active = False
    mona.save()
    mail.outbox.clear()
    commit(lambda: svc.add_message(ticket, by=Actor.of(world.pat.user), body="Any news?"))
    assert {a for m in mail.outbox for a in m.to} == {"mike@example.org"}


def test_only_mis_staff_take_ownership_and_only_of_open_tickets_that_reached_mis(world, commit):
    at_desk = commit(lambda: th.in_progress(world))
    with pytest.raises(ValidationError):
        svc.take_mis_ownership(at_desk, by=Actor.of(world.mike))
    with_mis = commit(lambda: th.with_mis(world))
    for outsider in (world.hannah, world.pat.user):
        with pytest.raises(PermissionDenied):
            svc.take_mis_ownership(with_mis, by=Actor.of(outsider))
    with_mis.refresh_from_db()
    assert with_mis.mis_owner is None


def test_taking_ownership_from_a_stale_page_is_a_conflict(world, commit, mona):
    from helpdesk.transitions import ConflictError

    ticket = commit(lambda: th.with_mis(world))
    seen = ticket.version
    commit(lambda: svc.take_mis_ownership(ticket, by=Actor.of(mona)))
    with pytest.raises(ConflictError):
        svc.take_mis_ownership(ticket, by=Actor.of(world.mike), expected_version=seen)
    ticket.refresh_from_db()
    assert ticket.mis_owner == mona


def test_the_ticket_page_offers_mis_staff_to_take_ownership(client, world, commit, mona):
    ticket = commit(lambda: th.with_mis(world))
    client.force_login(mona)
    page = client.get(reverse("ticket_detail", args=[ticket.pk])).content.decode()
    assert "Take ownership (MIS)" in page
    response = client.post(
        reverse("ticket_take_ownership", args=[ticket.pk]), {"version": ticket.version}
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.mis_owner == mona
    page = client.get(reverse("ticket_detail", args=[ticket.pk])).content.decode()
    assert "MIS owner: Mona Mis" in page
    assert "Take ownership" not in page  # hers already
    client.force_login(world.hannah)
    assert (
        "Take ownership"
        not in client.get(reverse("ticket_detail", args=[ticket.pk])).content.decode()
    )
    assert client.post(reverse("ticket_take_ownership", args=[ticket.pk])).status_code == 403


# --- Both local experts absent -----------------------------------------------------------------


def _both_away(world) -> None:
    for expert in (world.pat, world.alex):
        AbsenceFactory(person=expert)


def _report(world) -> Ticket:
    return reports.report_to_local_expert(
        by=Actor.of(world.alice.user),
        summary="CCMS screen freezes",
        system=System.CCMS,
        description="The case screen freezes on save.",
        who_affected=WhoAffected.SOME_COWORKERS,
    )


def test_with_both_experts_away_the_report_goes_to_the_help_desk_flagged(world, commit):
    _both_away(world)
    ticket = commit(lambda: _report(world))
    assert ticket.state == S.SUBMITTED
    assert ticket.no_local_expert
    assert ticket.local_expert is None
    assert ticket.tracking_number
    assert ticket.submitted_at
    assert ticket.reported_by == world.alice
    assert (ticket.secondary_name, ticket.secondary_email) == ("Alice Agency", "alice@example.org")
    assert not any(f.startswith("local expert") for f in ticket.incomplete_fields)
    # The desk is alerted; the reporter hears where it went; the absent experts hear nothing.
    assert _addresses("No local expert available") == {"ccap-helpdesk@localhost"}
    alert = _bodies("No local expert available")[0]
    assert "Alice Agency of" in alert
    assert ticket.tracking_number in alert
    assert _addresses("Received") == {"alice@example.org"}
    assert "went straight to the CCAP Help Desk" in _bodies("Received")[0]
    assert not {"pat@example.org", "alex@example.org"} & _addresses("")
    assert not OutboundEmail.objects.filter(kind="new_report").exists()
    assert Ticket.objects.reached_help_desk().filter(pk=ticket.pk).exists()


def test_with_only_the_primary_away_the_alternate_gets_the_report(world, commit):
    AbsenceFactory(person=world.pat)
    ticket = commit(lambda: _report(world))
    assert ticket.state == S.WITH_LOCAL_EXPERT
    assert ticket.local_expert == world.alex
    assert not ticket.no_local_expert
    assert _addresses("") == {"alex@example.org"}  # the new report, to the alternate alone
    assert not OutboundEmail.objects.filter(kind="no_local_expert").exists()


def test_the_reporter_is_told_the_truth_and_the_queue_shows_the_flag(client, world):
    client.force_login(world.alice.user)
    data = {
        "summary": "CCMS screen freezes",
        "system": System.CCMS,
        "description": "The case screen freezes on save.",
        "who_affected": WhoAffected.JUST_ME,
    }
    response = client.post(reverse("report_problem"), data, follow=True)
    page = response.content.decode()
    assert "Your report went to Pat Primary, your local expert." in page
    _both_away(world)
    response = client.post(reverse("report_problem"), data, follow=True)
    ticket = Ticket.objects.get(no_local_expert=True)
    page = response.content.decode()
    assert "your report went straight to the CCAP Help Desk as" in page
    assert ticket.tracking_number in page
    assert "your local expert." not in page
    assert "No local expert available" in page  # the ticket page's flag
    client.force_login(world.hannah)
    queue = client.get(reverse("queue", args=["help_desk"])).content.decode()
    assert "No local expert available" in queue


def _bodies(subject_part: str) -> list[str]:
    return [str(m.body) for m in mail.outbox if subject_part in m.subject]
