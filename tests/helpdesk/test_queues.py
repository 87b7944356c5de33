"""Queues for work (issue 16 items 3 and 5): open work by default, "My tickets", "Assign to
me", sort by due, saved filters, and bulk actions that take each ticket through its own
service. Services first, then the pages per role."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from escalation.workflow import Priority
from escalation.workflow import TicketState as S
from helpdesk.actor import Actor
from helpdesk.directory.roles import Role
from helpdesk.models import SavedFilter, System, Ticket
from helpdesk.notices import services as notices
from helpdesk.reports import services as reports
from helpdesk.tickets import bulk, saved_filters, selectors
from helpdesk.tickets import services as svc
from tests.factories import UserFactory
from tests.helpdesk import ticket_helpers as th

pytestmark = pytest.mark.django_db


def _queue(client, name="help_desk", **params):
    response = client.get(reverse("queue", args=[name]), params)
    assert response.status_code == 200
    return [t.pk for t in response.context["page"].object_list]


def _second_help_desk_user():
    return UserFactory(username="harry", first_name="Harry", roles=[Role.HELP_DESK])


# --- The search box: the full-text index, the agency's name, the MIS number -------------------


def _reported(world, summary, description, **more):
    return reports.report_from_web(
        th.problem_report(summary=summary, description=description, **more),
        by=Actor.of(world.pat.user),
        office=world.office,
    ).ticket


def test_the_queue_search_finds_every_word_in_the_summary_or_description(client, world):
    printer = _reported(world, "Printer jams in CCMS", "The notices printer stopped at noon.")
    racf = _reported(world, "RACF ID revoked", "BlueZone says the password expired.")
    client.force_login(world.hannah)
    assert _queue(client, q="printer") == [printer.pk]
    assert _queue(client, q="PASSWORD bluezone") == [racf.pk]  # every word, in either field
    assert _queue(client, q="jammed") == [printer.pk]  # stemmed, as the header search is
    assert _queue(client, q="printer password") == []
    assert _queue(client, q="!!") == []  # no word: nothing by text, and no error


def test_the_queue_search_finds_the_agency_and_the_mis_number(client, world):
    ticket = th.with_mis(world)
    other = reports.report_from_web(
        th.problem_report(), by=Actor.of(world.otto.user), office=world.other_office
    ).ticket
    client.force_login(world.hannah)
    agency = world.other_office.agency.name
    assert _queue(client, q=agency.split()[0].lower()) == [other.pk]
    assert _queue(client, q=ticket.mis_reference.lower()) == [ticket.pk]


def test_the_queue_search_stays_within_what_the_reader_may_see(client, world):
    mine = _reported(world, "Printer jams", "At noon.")
    reports.report_from_web(
        th.problem_report(summary="Printer jams too"),
        by=Actor.of(world.otto.user),
        office=world.other_office,
    )
    client.force_login(world.pat.user)
    assert _queue(client, "agency", q="printer") == [mine.pk]


# --- Open work by default, the rest when asked ------------------------------------------------


def test_a_queue_lists_open_work_unless_asked_for_the_rest(client, world):
    open_one = th.submitted(world)
    resolved = th.resolved(world)
    closed = th.closed(world)
    client.force_login(world.hannah)
    assert _queue(client) == [open_one.pk]
    assert set(_queue(client, status="done")) == {resolved.pk, closed.pk}
    assert set(_queue(client, status="all")) == {open_one.pk, resolved.pk, closed.pk}
    # Naming a state is asking for it.
    assert _queue(client, state=S.CLOSED) == [closed.pk]


def test_the_agency_users_queue_has_the_status_choice_too(client, world):
    open_one = th.reported(world)
    done = th.resolved_locally(world)
    client.force_login(world.alice.user)
    assert _queue(client, "mine") == [open_one.pk]
    assert set(_queue(client, "mine", status="all")) == {open_one.pk, done.pk}


def test_the_mis_queue_lists_what_is_at_mis_now(client, world):
    at_mis = th.with_mis(world)
    back = th.with_mis(world)
    svc.report_mis_resolution(back, by=Actor.of(world.mike), resolution="Fixed in CCTS.")
    svc.resolve(
        Ticket.objects.get(pk=back.pk), by=Actor.of(world.hannah), resolution="MIS fixed it."
    )
    client.force_login(world.mike)
    assert _queue(client, "mis") == [at_mis.pk]


# --- My tickets, sort by due --------------------------------------------------------------------


def test_my_tickets_are_those_assigned_to_me(client, world):
    harry = _second_help_desk_user()
    mine = th.in_progress(world)  # assigned to Hannah
    theirs = svc.assign(th.submitted(world), by=Actor.of(harry), assignee=harry)
    th.submitted(world)  # nobody's
    client.force_login(world.hannah)
    assert _queue(client, mine="on") == [mine.pk]
    client.force_login(harry)
    assert _queue(client, mine="on") == [theirs.pk]


def test_an_mis_users_tickets_are_those_they_own(client, world):
    owned = svc.take_mis_ownership(th.with_mis(world), by=Actor.of(world.mike))
    th.with_mis(world)  # at MIS, nobody's
    client.force_login(world.mike)

    assert _queue(client, "mis", mine="on") == [owned.pk]


def test_sort_by_due_puts_the_soonest_first_and_the_clockless_last(client, world):
    later, sooner, none = th.submitted(world), th.submitted(world), th.submitted(world)
    now = timezone.now()
    Ticket.objects.filter(pk=later.pk).update(
        resolution_due_at=now + timedelta(days=3), response_due_at=now + timedelta(hours=1)
    )
    Ticket.objects.filter(pk=sooner.pk).update(
        resolution_due_at=now + timedelta(days=1), response_due_at=now + timedelta(hours=5)
    )
    Ticket.objects.filter(pk=none.pk).update(resolution_due_at=None, response_due_at=None)
    client.force_login(world.hannah)
    assert _queue(client, sort="due") == [sooner.pk, later.pk, none.pk]
    assert _queue(client, sort="response_due") == [later.pk, sooner.pk, none.pk]


# --- Assign to me ------------------------------------------------------------------------------


def test_assign_to_me_from_the_ticket_page_goes_through_the_assign_service(client, world):
    ticket = th.submitted(world)
    client.force_login(world.hannah)
    page = client.get(reverse("ticket_detail", args=[ticket.pk])).content.decode()
    assert 'data-action="assign-to-me"' in page
    response = client.post(
        reverse("ticket_assign_me", args=[ticket.pk]), {"version": ticket.version}
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.assignee, ticket.state) == (world.hannah, S.IN_PROGRESS)
    assert ticket.events.filter(action="assign").exists()  # the transition path's timeline
    page = client.get(reverse("ticket_detail", args=[ticket.pk])).content.decode()
    assert 'data-action="assign-to-me"' not in page  # it is mine already


def test_assign_to_me_from_a_queue_row_comes_back_to_the_queue(client, world):
    ticket = th.submitted(world)
    client.force_login(world.hannah)
    page = client.get(reverse("queue", args=["help_desk"]), {"sort": "due"}).content.decode()
    assert reverse("ticket_assign_me", args=[ticket.pk]) in page
    response = client.post(
        reverse("ticket_assign_me", args=[ticket.pk]),
        {"version": ticket.version, "next": "/queues/help_desk/?sort=due"},
    )
    assert response.url == "/queues/help_desk/?sort=due"
    ticket.refresh_from_db()
    assert ticket.assignee == world.hannah


def test_assign_to_me_on_a_stale_page_changes_nothing(client, world):
    harry = _second_help_desk_user()
    ticket = th.submitted(world)
    seen = ticket.version
    svc.assign(ticket, by=Actor.of(harry), assignee=harry)
    client.force_login(world.hannah)
    response = client.post(
        reverse("ticket_assign_me", args=[ticket.pk]), {"version": seen}, follow=True
    )
    assert "changed by someone else" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.assignee == harry


def test_assign_to_me_is_never_offered_to_or_taken_by_others(client, world):
    ticket = th.submitted(world)
    for persona in ("pat", "ada"):
        client.force_login(world.user(persona))
        page = client.get(reverse("ticket_detail", args=[ticket.pk])).content.decode()
        assert 'data-action="assign-to-me"' not in page
        response = client.post(
            reverse("ticket_assign_me", args=[ticket.pk]), {"version": ticket.version}
        )
        assert response.status_code == 403
    ticket.refresh_from_db()
    assert ticket.assignee is None
    client.force_login(world.ada)
    page = client.get(reverse("queue", args=["help_desk"])).content.decode()
    assert reverse("ticket_assign_me", args=[ticket.pk]) not in page


# --- Saved filters ------------------------------------------------------------------------------


def test_a_saved_filter_is_kept_by_name_and_the_same_name_replaces_it(world):
    hannah = Actor.of(world.hannah)
    saved = saved_filters.save_filter(
        by=hannah, queue="help_desk", name=" CCMS ", query="system=ccms&page=3"
    )
    assert (saved.name, saved.query, saved.shared_with) == ("CCMS", "system=ccms", "")
    again = saved_filters.save_filter(by=hannah, queue="help_desk", name="CCMS", query="q=x")
    assert again.pk == saved.pk
    assert SavedFilter.objects.get().query == "q=x"


def test_a_shared_filter_reaches_that_role_only_and_a_private_one_nobody(world):
    harry = _second_help_desk_user()
    hannah = Actor.of(world.hannah)
    shared = saved_filters.save_filter(
        by=hannah, queue="help_desk", name="Overdue", query="overdue=on", shared_with="help_desk"
    )
    private = saved_filters.save_filter(by=hannah, queue="help_desk", name="Mine", query="mine=on")
    assert selectors.saved_filters_for(world.hannah, "help_desk") == [private, shared]
    assert selectors.saved_filters_for(harry, "help_desk") == [shared]
    assert selectors.saved_filters_for(world.ada, "help_desk") == []  # another role
    assert selectors.saved_filters_for(world.hannah, "mis") == []  # another queue


def test_only_staff_share_and_only_with_a_role_they_have(world):
    with pytest.raises(ValidationError):
        saved_filters.save_filter(
            by=Actor.of(world.pat.user),
            queue="agency",
            name="All of ours",
            query="",
            shared_with=Role.LOCAL_EXPERT,
        )
    with pytest.raises(ValidationError):
        saved_filters.save_filter(
            by=Actor.of(world.hannah), queue="help_desk", name="x", query="", shared_with="mis"
        )
    with pytest.raises(PermissionDenied):  # a queue not theirs
        saved_filters.save_filter(
            by=Actor.of(world.pat.user), queue="help_desk", name="x", query=""
        )
    assert not SavedFilter.objects.exists()


def test_only_the_owner_deletes_a_filter(client, world):
    harry = _second_help_desk_user()
    shared = saved_filters.save_filter(
        by=Actor.of(world.hannah),
        queue="help_desk",
        name="Shared",
        query="",
        shared_with="help_desk",
    )
    with pytest.raises(PermissionDenied):
        saved_filters.delete_filter(shared, by=Actor.of(harry))
    url = reverse("saved_filter_delete", args=["help_desk", shared.pk])
    client.force_login(harry)
    assert client.post(url).status_code == 403
    client.force_login(world.ada)
    assert client.post(url).status_code == 404  # not even visible to another role
    client.force_login(world.hannah)
    assert client.post(url).status_code == 302
    assert not SavedFilter.objects.exists()


def test_saved_filters_are_listed_next_to_the_queue_and_saved_from_it(client, world):
    ccms = th.submitted(world)
    Ticket.objects.filter(pk=ccms.pk).update(system=System.CCMS)
    th.submitted(world)
    client.force_login(world.hannah)
    response = client.post(
        reverse("saved_filter_create", args=["help_desk"]),
        {"name": "CCMS <b>work</b>", "shared_with": "help_desk", "query": "system=ccms&page=2"},
    )
    assert response.url == "/queues/help_desk/?system=ccms"
    saved = SavedFilter.objects.get()
    harry = _second_help_desk_user()
    client.force_login(harry)
    page = client.get(reverse("queue", args=["help_desk"])).content.decode()
    assert "CCMS &lt;b&gt;work&lt;/b&gt;" in page  # escaped
    assert "shared with Help desk staff, by Hannah" in page
    assert reverse("saved_filter_delete", args=["help_desk", saved.pk]) not in page  # not theirs
    assert _queue(client, **dict([saved.query.split("=")])) == [ccms.pk]


# --- Bulk actions: the service -----------------------------------------------------------------


def test_bulk_assign_takes_each_ticket_through_assign_with_its_version(world):
    harry = _second_help_desk_user()
    one, two, stale = th.submitted(world), th.submitted(world), th.submitted(world)
    seen = {one: one.version, two: two.version, stale: stale.version}
    svc.set_priority(stale, by=Actor.of(harry), priority=Priority.CRITICAL)  # changed meanwhile
    outcomes = bulk.run_bulk(
        bulk.bulk_actions.get("assign"), seen, by=Actor.of(world.hannah), data={"assignee": harry}
    )
    assert [(o.ticket.pk, o.done) for o in outcomes] == [
        (one.pk, True),
        (two.pk, True),
        (stale.pk, False),
    ]
    assert "changed by someone else" in outcomes[2].reason
    for ticket in (one, two):
        ticket.refresh_from_db()
        assert (ticket.assignee, ticket.state) == (harry, S.IN_PROGRESS)
        assert ticket.events.filter(action="assign").count() == 1  # one transition each
    stale.refresh_from_db()
    assert stale.assignee is None


def test_a_refused_ticket_neither_stops_nor_undoes_the_others(world):
    submitted, working, resolved = th.submitted(world), th.in_progress(world), th.resolved(world)
    picked = {t: t.version for t in (submitted, working, resolved)}
    outcomes = bulk.run_bulk(
        bulk.bulk_actions.get("resolve"),
        picked,
        by=Actor.of(world.hannah),
        data={"resolution": "Fixed by the CCTS release."},
    )
    assert [o.done for o in outcomes] == [False, True, False]
    assert "is submitted to the help desk: “Resolve” does not apply to it" in outcomes[0].reason
    assert "changed by someone else" not in outcomes[0].reason
    working.refresh_from_db()
    assert (working.state, working.resolution) == (S.RESOLVED, "Fixed by the CCTS release.")


def test_bulk_priority_and_close(world):
    one, two = th.in_progress(world), th.resolved(world)
    hannah = Actor.of(world.hannah)
    outcomes = bulk.run_bulk(
        bulk.bulk_actions.get("priority"),
        {one: one.version, two: two.version},
        by=hannah,
        data={"priority": Priority.CRITICAL},
    )
    assert all(o.done for o in outcomes)
    assert set(Ticket.objects.values_list("priority", flat=True)) == {Priority.CRITICAL}
    one.refresh_from_db()
    two.refresh_from_db()
    closed = bulk.run_bulk(
        bulk.bulk_actions.get("close"),
        {one: one.version, two: two.version},
        by=hannah,
        data={"note": ""},
    )
    assert [o.done for o in closed] == [False, True]
    two.refresh_from_db()
    assert two.state == S.CLOSED


def test_bulk_link_to_a_notice_refuses_a_ticket_about_another_system(world):
    notice = notices.publish_notice(
        notices.NoticeDraft(title="CCTS down", systems=[System.CCTS], severity="outage", text="x"),
        by=Actor.of(world.hannah),
    )
    ccts, ccms = th.submitted(world), th.submitted(world)
    Ticket.objects.filter(pk=ccms.pk).update(system=System.CCMS)
    ccms.refresh_from_db()
    outcomes = bulk.run_bulk(
        bulk.bulk_actions.get("notice"),
        {ccts: ccts.version, ccms: ccms.version},
        by=Actor.of(world.hannah),
        data={"notice": notice},
    )
    assert [o.done for o in outcomes] == [True, False]
    assert "That notice is about CCTS" in outcomes[1].reason
    assert list(notice.tickets.all()) == [Ticket.objects.get(pk=ccts.pk)]


def test_only_help_desk_staff_run_bulk_work(world):
    ticket = th.resolved(world)
    for persona in ("pat", "mike", "ada", "alice"):
        with pytest.raises(PermissionDenied):
            bulk.run_bulk(
                bulk.bulk_actions.get("close"),
                {ticket: ticket.version},
                by=Actor.of(world.user(persona)),
                data={"note": ""},
            )
    ticket.refresh_from_db()
    assert ticket.state == S.RESOLVED


# --- Bulk actions: the pages, per role ---------------------------------------------------------


QUEUE_OF = {"pat": "agency", "alice": "mine", "mike": "mis", "ada": "help_desk"}


@pytest.mark.parametrize("persona", sorted(QUEUE_OF))
def test_no_bulk_controls_and_a_403_for_anyone_but_help_desk_staff(client, world, persona):
    ticket = th.with_mis(world)
    if persona == "alice":
        ticket = th.reported(world)
    client.force_login(world.user(persona))
    name = QUEUE_OF[persona]
    page = client.get(reverse("queue", args=[name]), {"status": "all"}).content.decode()
    assert ticket.reference in page
    assert 'id="bulk-form"' not in page
    assert 'name="tickets"' not in page
    response = client.post(
        reverse("queue_bulk", args=[name]),
        {"action": "close", "tickets": [f"{ticket.pk}:{ticket.version}"], "confirm": "1"},
    )
    assert response.status_code == 403
    assert Ticket.objects.get(pk=ticket.pk).version == ticket.version


def test_help_desk_staff_confirm_then_see_done_and_refused(client, world):
    harry = _second_help_desk_user()
    one, two = th.submitted(world), th.submitted(world)
    client.force_login(world.hannah)
    page = client.get(reverse("queue", args=["help_desk"])).content.decode()
    assert 'id="bulk-form"' in page
    assert f'value="{one.pk}:{one.version}" form="bulk-form"' in page
    picks = [f"{one.pk}:{one.version}", f"{two.pk}:{two.version}"]
    url = reverse("queue_bulk", args=["help_desk"])

    confirm = client.post(url, {"action": "assign", "tickets": picks})
    assert confirm.status_code == 200
    text = confirm.content.decode()
    assert one.reference in text
    assert two.reference in text
    assert "2 tickets will be assigned to the person you choose" in text
    assert Ticket.objects.filter(assignee__isnull=False).count() == 0  # nothing yet

    svc.assign(two, by=Actor.of(world.hannah), assignee=world.hannah)  # someone acts first
    done = client.post(
        url, {"action": "assign", "tickets": picks, "bulk-assignee": harry.pk, "confirm": "1"}
    )
    assert done.status_code == 200
    assert [o.ticket.pk for o in done.context["done"]] == [one.pk]
    assert [o.ticket.pk for o in done.context["refused"]] == [two.pk]
    text = done.content.decode()
    assert "1 ticket done, 1 refused" in text
    assert "changed by someone else" in text
    assert Ticket.objects.get(pk=one.pk).assignee == harry
    assert Ticket.objects.get(pk=two.pk).assignee == world.hannah


def test_a_confirmation_without_what_the_action_needs_comes_back_with_the_tickets(client, world):
    ticket = th.in_progress(world)
    client.force_login(world.hannah)
    response = client.post(
        reverse("queue_bulk", args=["help_desk"]),
        {"action": "resolve", "tickets": [f"{ticket.pk}:{ticket.version}"], "confirm": "1"},
    )
    assert response.status_code == 400
    assert ticket.reference in response.content.decode()
    assert response.context["params"].errors["resolution"]
    assert Ticket.objects.get(pk=ticket.pk).state == S.IN_PROGRESS


def test_bulk_never_reaches_a_ticket_outside_the_queue(client, world):
    other = th.reported(world)  # with the local expert: not in the help desk queue
    ticket = th.submitted(world)
    client.force_login(world.hannah)
    response = client.post(
        reverse("queue_bulk", args=["help_desk"]),
        {
            "action": "priority",
            "tickets": [f"{other.pk}:{other.version}", f"{ticket.pk}:{ticket.version}"],
            "bulk-priority": Priority.CRITICAL,
            "confirm": "1",
        },
    )
    assert [o.ticket.pk for o in response.context["done"]] == [ticket.pk]
    assert response.context["left_out"] == 1
    assert Ticket.objects.get(pk=other.pk).priority != Priority.CRITICAL


def test_the_live_refresh_keeps_the_rows_controls(client, world):
    ticket = th.submitted(world)
    client.force_login(world.hannah)
    fragment = client.get(reverse("queue", args=["help_desk"]), {"partial": "1"}).content.decode()
    assert f'value="{ticket.pk}:{ticket.version}" form="bulk-form"' in fragment
    assert reverse("ticket_assign_me", args=[ticket.pk]) in fragment
    client.force_login(world.pat.user)
    fragment = client.get(reverse("queue", args=["agency"]), {"partial": "1"}).content.decode()
    assert ticket.reference in fragment
    assert 'name="tickets"' not in fragment
    assert reverse("ticket_assign_me", args=[ticket.pk]) not in fragment
