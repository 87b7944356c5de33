"""The header search (issue 16 items 2 and 4): one reference per ticket from creation, found by
any number it had; full text ranked (summary above message); every kind scoped by the
selector of its own page; snippets escaped. Runs on SQLite (FTS5) and PostgreSQL (tsvector)."""

import pytest
from django.db import connection
from django.urls import reverse

from helpdesk.actor import Actor
from helpdesk.models import Notice, NoticeAudience, Severity, Ticket
from helpdesk.procedures import services as procedures
from helpdesk.reports import services as reports
from helpdesk.search.selectors import search, ticket_hits
from helpdesk.tickets import fulltext as schema
from helpdesk.tickets import services as svc
from tests.factories import UserFactory
from tests.helpdesk import ticket_helpers as th

pytestmark = pytest.mark.django_db


def _found(user, text: str) -> list[int]:
    return [hit.ticket.pk for hit in ticket_hits(user, text)]


def _filed(world, *, by=None, office=None, **fields) -> Ticket:
    by = by or world.pat
    return reports.report_from_web(
        th.problem_report(**fields), by=Actor.of(by.user), office=office or world.office
    ).ticket


# --- One reference, any number ------------------------------------------------------------------


def test_a_report_has_its_tracking_number_from_creation_and_keeps_it(world):
    ticket = th.reported(world)
    assert ticket.reference == ticket.tracking_number
    escalated = reports.report_from_web(
        th.problem_report(),
        by=Actor.of(world.pat.user),
        office=world.office,
        from_ticket=ticket,
        expected_version=ticket.version,
    ).ticket
    assert escalated.reference == ticket.reference


def test_a_ticket_is_found_by_every_number_it_had(world):
    ticket = th.with_mis(world)
    other = th.submitted(world)
    hannah = world.hannah
    svc.set_mis_reference(ticket, by=Actor.of(hannah), mis_reference="INC-4711")
    svc.set_mis_reference(ticket, by=Actor.of(hannah), mis_reference="INC-4712")
    sequence = int(ticket.tracking_number.rsplit("-", 1)[1])
    for text in [ticket.tracking_number, ticket.tracking_number.lower(), "inc-4712", "INC-4711"]:
        # The number now, and MIS's number now and the one it replaced.
        assert _found(hannah, text) == [ticket.pk], text
    for text in [str(ticket.pk), f"#{ticket.pk}", f"Report #{ticket.pk}"]:
        # What its page once called "Report #<id>" (another ticket may have that sequence).
        assert ticket.pk in _found(hannah, text), text
    assert _found(hannah, str(sequence))[:1] == [ticket.pk]  # 000069 is 69
    assert other.pk not in _found(hannah, ticket.tracking_number)


def test_a_number_finds_only_what_the_reader_may_open(world):
    ticket = _filed(world, by=world.otto, office=world.other_office)
    assert _found(world.pat.user, ticket.tracking_number) == []
    assert _found(world.otto.user, ticket.tracking_number) == [ticket.pk]


# --- Scope per role -----------------------------------------------------------------------------


def test_each_role_finds_only_the_tickets_its_queues_show(world):
    ours = _filed(world, summary="Zebrafish screen in CCMS")
    theirs = _filed(
        world, by=world.otto, office=world.other_office, summary="Zebrafish error in CCTS"
    )
    alices = th.reported(world)
    alices.summary = "Zebrafish button missing"
    alices.save()
    at_mis = svc.escalate_to_mis(
        svc.assign(ours, by=Actor.of(world.hannah), assignee=world.hannah),
        by=Actor.of(world.hannah),
        note="For MIS.",
    )
    assert set(_found(world.hannah, "zebrafish")) == {ours.pk, theirs.pk, alices.pk}
    assert set(_found(world.ada, "zebrafish")) == {ours.pk, theirs.pk, alices.pk}
    assert set(_found(world.pat.user, "zebrafish")) == {ours.pk, alices.pk}
    assert set(_found(world.otto.user, "zebrafish")) == {theirs.pk}
    assert set(_found(world.mike, "zebrafish")) == {at_mis.pk}
    assert set(_found(world.alice.user, "zebrafish")) == {alices.pk}
    assert _found(UserFactory(), "zebrafish") == []


def test_internal_notes_are_searched_for_staff_only(world):
    ticket = th.in_progress(world)
    svc.add_message(ticket, by=Actor.of(world.hannah), body="Quokka workaround", internal=True)
    assert _found(world.hannah, "quokka") == [ticket.pk]
    assert _found(world.mike, "quokka") == []  # not at MIS, so not MIS's to see
    assert _found(world.pat.user, "quokka") == []
    svc.add_message(ticket, by=Actor.of(world.hannah), body="The quokka fix is in.")
    assert _found(world.pat.user, "quokka") == [ticket.pk]


def test_people_offices_procedures_and_notices_are_scoped_like_their_pages(world):
    by = Actor.of(world.hannah)
    procedures.create_procedure(
        by=by, title="Resetting a RACF password", body="Call us.", audience="local_experts"
    )
    procedures.create_procedure(
        by=by, title="RACF for new Site staff", body="Forms first.", audience="new_site_staff"
    )
    notice = Notice.objects.create(
        title="RACF sign-in outage",
        systems=["ccts"],
        severity=Severity.OUTAGE,
        audience=NoticeAudience.AGENCY,
        text="RACF is down.",
    )
    notice.agencies.add(world.office.agency)

    staff = search(world.hannah, "racf")
    assert [p.current_version.title for p in staff.procedures] == [
        "RACF for new Site staff",
        "Resetting a RACF password",
    ] or len(staff.procedures) == 2
    assert staff.notices == [notice]
    assert search(world.otto.user, "racf").notices == []
    assert [n.pk for n in search(world.pat.user, "racf").notices] == [notice.pk]
    # Local experts of a CCR&R read the local experts' procedure, not the Site staff one.
    kind = world.office.agency.kind
    expected = {"Resetting a RACF password"} | (
        {"RACF for new Site staff"} if kind == "site" else set()
    )
    assert {p.current_version.title for p in search(world.pat.user, "racf").procedures} == expected

    assert [p.pk for p in search(world.hannah, "pat primary").people] == [world.pat.pk]
    assert [p.pk for p in search(world.otto.user, "pat primary").people] == []
    assert [p.pk for p in search(world.alex.user, "primary").people] == [world.pat.pk]
    assert [o.pk for o in search(world.hannah, "rockford").offices] == [world.office.pk]
    assert search(world.otto.user, "rockford").offices == []


# --- Ranking ------------------------------------------------------------------------------------


def test_a_summary_match_ranks_above_a_description_and_a_message_match(world):
    in_summary = _filed(world, summary="Wombat report fails")
    in_description = _filed(world, summary="A report fails", description="The wombat report.")
    in_message = _filed(world, summary="Another report fails", description="Nothing.")
    svc.add_message(in_message, by=Actor.of(world.pat.user), body="It is the wombat report.")
    # The newest first would be the message's; the ranking puts the summary first.
    hits = ticket_hits(world.hannah, "wombat")
    assert [h.ticket.pk for h in hits] == [in_summary.pk, in_description.pk, in_message.pk]
    assert [h.matched for h in hits] == ["summary", "description", "message"]


def test_every_word_must_match_and_stems_count(world):
    both = _filed(world, summary="Passwords expire on the CCTS screen")
    _filed(world, summary="Passwords are fine")
    assert _found(world.hannah, "password expired ccts") == [both.pk]
    assert _found(world.hannah, 'AND OR NOT "(*') == []  # no FTS syntax reaches the engine


def test_the_index_follows_edits_and_deletes(world):
    ticket = _filed(world, summary="Capybara in the queue")
    assert _found(world.hannah, "capybara") == [ticket.pk]
    Ticket.objects.filter(pk=ticket.pk).update(summary="Platypus in the queue")
    assert _found(world.hannah, "capybara") == []
    assert _found(world.hannah, "platypus") == [ticket.pk]
    message = svc.add_message(ticket, by=Actor.of(world.hannah), body="Narwhal")
    assert _found(world.hannah, "narwhal") == [ticket.pk]
    message.delete()
    assert _found(world.hannah, "narwhal") == []


def _drop_search_triggers() -> None:
    """What a table rebuild does to them (SQLite), or an operator's slip (either engine)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for name in schema.sqlite_trigger_names():
                cursor.execute(f"DROP TRIGGER {name}")
        else:
            for table in schema.PG_VECTORS:
                cursor.execute(f"DROP TRIGGER {table}_search_vector ON {table}")


def test_ensure_puts_back_the_triggers_a_table_rebuild_dropped(world):
    ticket = _filed(world, summary="Axolotl")
    _drop_search_triggers()
    if connection.vendor == "sqlite":  # SQLite's index is rebuilt: rows written meanwhile too
        Ticket.objects.filter(pk=ticket.pk).update(summary="Okapi")
        schema.ensure(connection)
        with connection.cursor() as cursor:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            assert set(schema.sqlite_trigger_names()) <= {row[0] for row in cursor.fetchall()}
    else:  # PostgreSQL's trigger is back for what is written next
        with connection.cursor() as cursor:  # ensure() alters the table: no checks pending
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        schema.ensure(connection)
        Ticket.objects.filter(pk=ticket.pk).update(summary="Okapi")
    assert _found(world.hannah, "okapi") == [ticket.pk]
    assert _found(world.hannah, "axolotl") == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the GIN indexes are PostgreSQL's")
def test_the_queries_can_use_the_gin_indexes(world):
    from django.test.utils import CaptureQueriesContext

    _filed(world, summary="Ibex")
    with CaptureQueriesContext(connection) as queries:
        ticket_hits(world.hannah, "ibex")
    plans = []
    with connection.cursor() as cursor:
        # Only a bitmap scan is left: of the GIN index if the expressions match.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        for query in queries.captured_queries:
            if "@@" in query["sql"]:
                cursor.execute("EXPLAIN " + query["sql"])
                plans.append("\n".join(row[0] for row in cursor.fetchall()))
    assert len(plans) == 2
    assert "helpdesk_ticket_search_vector" in plans[0]
    assert "helpdesk_ticketmessage_search_vector" in plans[1]


# --- The page -----------------------------------------------------------------------------------


def test_snippets_escape_what_the_reporter_wrote(client, world):
    ticket = _filed(
        world,
        summary="<script>alert('summary')</script> Lemur",
        description="<img src=x onerror=alert(1)> lemur",
    )
    svc.add_message(
        ticket, by=Actor.of(world.pat.user), body="<b onmouseover=alert(2)>lemur</b> kiwi"
    )
    client.force_login(world.hannah)
    page = client.get(reverse("search"), {"q": "lemur"}).content.decode()
    assert "<script>alert" not in page
    assert "<img src=x" not in page
    assert "<b onmouseover" not in page
    assert ("&lt;script&gt;alert(&#x27;summary&#x27;)&lt;/script&gt; <mark>Lemur</mark>") in page
    hit = ticket_hits(world.hannah, "kiwi")[0]
    assert hit.matched == "message"
    assert hit.snippet == "&lt;b onmouseover=alert(2)&gt;lemur&lt;/b&gt; <mark>kiwi</mark>"


def test_the_box_is_in_the_header_for_staff_and_experts(client, world):
    for user, shown in [
        (world.hannah, True),
        (world.mike, True),
        (world.ada, True),
        (world.pat.user, True),
        (world.alice.user, False),
    ]:
        client.force_login(user)
        page = client.get(reverse("home")).content.decode()
        assert ('role="search"' in page and 'id="site-search"' in page) == shown, user


def test_the_page_groups_results_and_refuses_a_login_without_a_role(client, world):
    ticket = _filed(world, summary="Rockford printer jams")
    client.force_login(world.hannah)
    page = client.get(reverse("search"), {"q": "rockford"}).content.decode()
    assert 'id="search-tickets"' in page
    assert ticket.reference in page
    assert 'id="search-offices"' in page
    assert client.get(reverse("search"), {"q": ""}).status_code == 200
    client.force_login(UserFactory())
    assert client.get(reverse("search"), {"q": "rockford"}).status_code == 403
    client.logout()
    assert client.get(reverse("search"), {"q": "rockford"}).status_code == 302
