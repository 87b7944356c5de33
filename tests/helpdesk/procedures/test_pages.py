"""The procedures pages for every role: who reaches which page (anonymous: sign in; a reader
who may not edit: 403; a procedure outside the reader's audience or archived: 404), stored
hostile Markdown and titles staying inert on every page, the acknowledgements report with its
filters, agency scope and CSV export."""

import csv
import io
import re

import pytest
from django.urls import reverse

from helpdesk.actor import Actor
from helpdesk.models import (
    AcknowledgedHow,
    AuditEvent,
    AuditKind,
    Procedure,
    ProcedureAcknowledgement,
    ProcedureAudience,
)
from helpdesk.procedures import onboarding
from helpdesk.procedures import services as ps
from tests.factories import PersonFactory
from tests.helpdesk.procedures.factories import ProcedureFactory

pytestmark = pytest.mark.django_db

ROLES = ["hannah", "ada", "pat", "alex", "otto", "alice", "mike"]
MANAGERS = {"hannah", "ada"}
EVIL_TITLE = '<script>alert("title")</script>'
EVIL_BODY = (
    "# Steps\n\n<script>alert(1)</script>\n\n[click](javascript:alert(1))\n\n"
    "[a\nb](JaVaScRiPt:alert(1))\n\n<img src=x onerror=alert(1)>\n\n"
    '<iframe src="https://evil.example"></iframe>\n'
)


@pytest.fixture
def as_(client, world):
    def login(who: str):
        client.force_login(world.user(who))
        return client

    return login


@pytest.fixture
def everyone_procedure(world) -> Procedure:
    return ProcedureFactory.create(title="Resetting a CCTS password", body="Call the help desk.")


@pytest.fixture
def experts_procedure(world) -> Procedure:
    return ProcedureFactory.create(title="Escalating with the Problem Report Form", experts=True)


def _page_urls(procedure) -> list[str]:
    return [
        reverse("procedure_detail", args=[procedure.pk]),
        reverse("procedure_history", args=[procedure.pk]),
        reverse("procedure_version", args=[procedure.pk, 1]),
    ]


def _post_urls(procedure) -> list[str]:
    return [
        reverse("procedure_archive", args=[procedure.pk]),
        reverse("procedure_restore", args=[procedure.pk]),
        reverse("procedure_resend", args=[procedure.pk]),
    ]


# --- Who reaches which page ---------------------------------------------------------------------


def test_every_page_asks_to_sign_in_first(client, world, everyone_procedure):
    urls = [
        reverse("procedure_list"),
        reverse("procedure_new"),
        reverse("acknowledgement_list"),
        reverse("procedure_edit", args=[everyone_procedure.pk]),
        *_page_urls(everyone_procedure),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url
    for url in [
        *_post_urls(everyone_procedure),
        reverse("procedure_acknowledge", args=[everyone_procedure.pk]),
        reverse("office_send_welcome", args=[world.office.pk]),
    ]:
        response = client.post(url, {"reason": "forged"})
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url
    everyone_procedure.refresh_from_db()
    assert not everyone_procedure.archived
    assert not ProcedureAcknowledgement.objects.exists()


@pytest.mark.parametrize("who", ROLES)
def test_everyone_signed_in_reads_the_list_and_an_everyone_procedure(as_, everyone_procedure, who):
    client = as_(who)
    listing = client.get(reverse("procedure_list"))
    assert "Resetting a CCTS password" in listing.content.decode()
    for url in _page_urls(everyone_procedure):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Resetting a CCTS password" in response.content.decode()


@pytest.mark.parametrize("who", ROLES)
def test_only_staff_reach_the_editing_pages(as_, everyone_procedure, who):
    client = as_(who)
    expected = 200 if who in MANAGERS else 403
    assert client.get(reverse("procedure_new")).status_code == expected
    assert (
        client.get(reverse("procedure_edit", args=[everyone_procedure.pk])).status_code == expected
    )
    detail = client.get(reverse("procedure_detail", args=[everyone_procedure.pk])).content.decode()
    assert ("Send for acknowledgement" in detail) is (who in MANAGERS)


@pytest.mark.parametrize("who", sorted(set(ROLES) - MANAGERS))
def test_forged_posts_from_readers_are_refused_and_change_nothing(
    as_, world, everyone_procedure, mailoutbox, who
):
    client = as_(who)
    for url in _post_urls(everyone_procedure):
        assert client.post(url, {"reason": "forged"}).status_code == 403, url
    response = client.post(
        reverse("procedure_edit", args=[everyone_procedure.pk]),
        {"title": "Hacked", "audience": "all", "body": "x", "change_note": "x"},
    )
    assert response.status_code == 403
    assert client.post(reverse("procedure_new"), {"title": "New"}).status_code == 403
    assert client.post(reverse("office_send_welcome", args=[world.office.pk])).status_code == 403
    everyone_procedure.refresh_from_db()
    assert everyone_procedure.current_version.number == 1
    assert not everyone_procedure.archived
    assert Procedure.objects.count() == 1
    assert mailoutbox == []
    assert not AuditEvent.objects.filter(
        kind__in=[AuditKind.ARCHIVED, AuditKind.CHANGED, AuditKind.PROCEDURES_SENT]
    ).exists()


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("hannah", True),
        ("ada", True),
        ("pat", True),
        ("otto", True),
        ("alice", False),
        ("mike", False),
    ],
)
def test_another_audiences_procedure_is_not_found(as_, experts_procedure, who, sees):
    client = as_(who)
    for url in _page_urls(experts_procedure):
        assert client.get(url).status_code == (200 if sees else 404), url
    listing = client.get(reverse("procedure_list")).content.decode()
    assert ("Problem Report Form" in listing) is sees
    response = client.post(reverse("procedure_acknowledge", args=[experts_procedure.pk]))
    assert response.status_code == (302 if sees else 404)


@pytest.mark.parametrize("who", ROLES)
def test_an_archived_procedure_is_not_found_by_readers_but_staff_see_and_restore_it(
    as_, world, everyone_procedure, who
):
    ps.archive_procedure(everyone_procedure, by=Actor.of(world.hannah), reason="Obsolete")
    client = as_(who)
    for url in _page_urls(everyone_procedure):
        assert client.get(url).status_code == (200 if who in MANAGERS else 404), url
    archived_list = client.get(reverse("procedure_list"), {"archived": "on"}).content.decode()
    assert ("Resetting a CCTS password" in archived_list) is (who in MANAGERS)
    assert "Resetting a CCTS password" not in client.get(reverse("procedure_list")).content.decode()


def test_mutating_urls_refuse_get(as_, everyone_procedure, world):
    client = as_("hannah")
    for url in [
        *_post_urls(everyone_procedure),
        reverse("procedure_acknowledge", args=[everyone_procedure.pk]),
        reverse("office_send_welcome", args=[world.office.pk]),
    ]:
        assert client.get(url).status_code == 405, url
    everyone_procedure.refresh_from_db()
    assert not everyone_procedure.archived


# --- Staff at work ------------------------------------------------------------------------------


def test_staff_write_edit_archive_and_restore_through_the_pages(as_, world):
    client = as_("hannah")
    response = client.post(
        reverse("procedure_new"),
        {
            "title": "Using BlueZone",
            "audience": "new_ccrr_staff",
            "body": "Step 1",
            "change_note": "First.",
        },
    )
    procedure = Procedure.objects.get()
    assert response["Location"] == reverse("procedure_detail", args=[procedure.pk])
    client.post(
        reverse("procedure_edit", args=[procedure.pk]),
        {
            "title": "Using BlueZone",
            "audience": "new_ccrr_staff",
            "body": "Step 1\nStep 2",
            "change_note": "Step 2.",
        },
    )
    procedure.refresh_from_db()
    assert procedure.current_version.number == 2
    assert procedure.current_version.created_by == world.hannah
    unchanged = client.post(
        reverse("procedure_edit", args=[procedure.pk]),
        {
            "title": "Using BlueZone",
            "audience": "new_ccrr_staff",
            "body": "Step 1\nStep 2",
            "change_note": "x",
        },
    )
    assert "Nothing changed" in unchanged.content.decode()
    client.post(reverse("procedure_archive", args=[procedure.pk]), {"reason": "Replaced"})
    procedure.refresh_from_db()
    assert procedure.archived
    assert procedure.archive_reason == "Replaced"
    client.post(reverse("procedure_restore", args=[procedure.pk]))
    procedure.refresh_from_db()
    assert not procedure.archived
    history = client.get(reverse("procedure_history", args=[procedure.pk])).content.decode()
    assert "Step 2." in history
    assert "hannah" in history
    diff = client.get(reverse("procedure_version", args=[procedure.pk, 2])).content.decode()
    assert "<ins>Step 2</ins>" in diff


def test_search_and_audience_filter_on_the_list(as_, world):
    ProcedureFactory(title="Requesting a RACF ID", body="Send the 4052 and 4055 forms.")
    ProcedureFactory(title="Reporting a departing user", body="Within 2 working days.", ccrr=True)
    client = as_("alice")
    found = client.get(reverse("procedure_list"), {"q": "4055"}).content.decode()
    assert "Requesting a RACF ID" in found
    assert "departing" not in found
    filtered = client.get(
        reverse("procedure_list"), {"audience": "new_ccrr_staff"}
    ).content.decode()
    assert "Reporting a departing user" in filtered
    assert "RACF" not in filtered


def test_the_list_is_paginated(as_, world):
    for n in range(30):
        ProcedureFactory(title=f"Procedure {n:02d}")
    client = as_("alice")
    first = client.get(reverse("procedure_list")).content.decode()
    second = client.get(reverse("procedure_list"), {"page": 2}).content.decode()
    assert "Procedure 00" in first
    assert "Procedure 29" not in first
    assert "Procedure 29" in second
    assert "Page 2 of 2" in second


# --- Stored XSS ---------------------------------------------------------------------------------


# The site's own scripts, static files loaded by every page (base.html): not from the text.
OWN_SCRIPT = re.compile(r'<script src="/static/js/[\w.-]+\.js" defer></script>')


def _assert_inert(html: str) -> None:
    html = OWN_SCRIPT.sub("", html)
    assert "<script" not in html.lower().replace("&lt;script", "")
    assert not re.search(r"<[^>]+\son\w+\s*=", html, re.I)
    assert not re.search(r"(href|src)\s*=\s*[\"']?\s*(javascript|vbscript|data):", html, re.I)
    assert "<iframe" not in html.lower()


def test_hostile_markdown_and_title_stay_inert_on_every_page(as_, world):
    procedure = ProcedureFactory(title=EVIL_TITLE, body="safe start")
    ps.edit_procedure(
        procedure,
        by=Actor.of(world.hannah),
        title=EVIL_TITLE,
        body=EVIL_BODY,
        audience=ProcedureAudience.ALL,
        change_note='<img src=x onerror=alert("note")>',
    )
    client = as_("alice")
    for url in [
        reverse("procedure_list"),
        *_page_urls(procedure),
        reverse("procedure_version", args=[procedure.pk, 2]),
    ]:
        html = client.get(url).content.decode()
        _assert_inert(html)
        assert "&lt;script&gt;alert(&quot;title&quot;)&lt;/script&gt;" in html, url
    diff = client.get(reverse("procedure_version", args=[procedure.pk, 2])).content.decode()
    assert "<ins>&lt;script&gt;alert(1)&lt;/script&gt;</ins>" in diff
    assert "&lt;img src=x onerror=alert(&quot;note&quot;)&gt;" in diff
    staff = as_("hannah")
    for url in [
        reverse("procedure_edit", args=[procedure.pk]),
        reverse("procedure_detail", args=[procedure.pk]),
    ]:
        _assert_inert(staff.get(url).content.decode())


def test_hostile_text_stays_inert_on_the_link_page_and_in_the_report(
    client, as_, world, mailoutbox, django_capture_on_commit_callbacks
):
    ProcedureFactory(title=EVIL_TITLE, body=EVIL_BODY)
    with django_capture_on_commit_callbacks(execute=True):
        onboarding.send_packets([world.alice.pk], kind=onboarding.WELCOME)
    token = re.search(r"/procedures/acknowledge/#([\w-]+)", mailoutbox[0].body)[1]
    page = client.post(reverse("procedure_acknowledge_link"), {"code": token}, follow=True)
    _assert_inert(page.content.decode())
    _assert_inert(as_("hannah").get(reverse("acknowledgement_list")).content.decode())


# --- The acknowledgements report ----------------------------------------------------------------


@pytest.fixture
def sent(world, django_capture_on_commit_callbacks):
    """Two procedures sent to Pat's office and Otto's; Pat acknowledged the everyone one."""
    everyone = ProcedureFactory(title="Resetting a CCTS password")
    experts = ProcedureFactory(title="Escalating with the Problem Report Form", experts=True)
    with django_capture_on_commit_callbacks(execute=True):
        onboarding.send_welcome_packet_to_office(world.office, by=Actor.of(world.hannah))
        onboarding.send_welcome_packet_to_office(world.other_office, by=Actor.of(world.hannah))
    ProcedureAcknowledgement.objects.filter(
        person=world.pat, version=everyone.current_version
    ).update(acknowledged_at="2026-11-20T15:00:00Z", how=AcknowledgedHow.WEB)
    return {"everyone": everyone, "experts": experts}


def _cells(first: str, *numbers: int) -> str:
    """A row's cells after ``first``, whatever their attributes (data-label for phones)."""
    return re.escape(first) + "</td>" + "".join(rf"<td[^>]*>{n}</td>" for n in numbers)


def _people_rows(html: str) -> list[str]:
    section = html.split("<h2>People</h2>", 1)[1]
    return re.findall(r"<tr>\s*<td[^>]*>([^<]+)</td>", section)


@pytest.mark.parametrize(
    ("who", "status"), [(w, 200 if w in MANAGERS | {"pat", "alex", "otto"} else 403) for w in ROLES]
)
def test_who_reaches_the_acknowledgements_page(as_, sent, who, status):
    assert as_(who).get(reverse("acknowledgement_list")).status_code == status
    assert as_(who).get(reverse("acknowledgement_list"), {"format": "csv"}).status_code == status


def test_staff_see_everyone_and_filter_by_procedure_office_and_outstanding(as_, world, sent):
    client = as_("hannah")
    html = client.get(reverse("acknowledgement_list")).content.decode()
    assert set(_people_rows(html)) == {
        "Alice Agency",
        "Pat Primary",
        "Alex Alternate",
        "Otto Outsider",
    }
    by_office = client.get(
        reverse("acknowledgement_list"), {"office": world.other_office.pk}
    ).content.decode()
    assert set(_people_rows(by_office)) == {"Otto Outsider"}
    assert "Send welcome packet" in by_office
    by_agency = client.get(
        reverse("acknowledgement_list"), {"agency": world.office.agency_id}
    ).content.decode()
    assert "Otto Outsider" not in _people_rows(by_agency)
    outstanding = client.get(
        reverse("acknowledgement_list"), {"procedure": sent["everyone"].pk, "outstanding": "on"}
    ).content.decode()
    assert set(_people_rows(outstanding)) == {"Alice Agency", "Alex Alternate", "Otto Outsider"}
    # Counts per procedure: everyone 4 asked, 1 acknowledged; experts 3 asked (Pat, Alex, Otto).
    assert re.search(_cells("Resetting a CCTS password</a>", 4, 1, 3), html)
    assert re.search(_cells("Problem Report Form</a>", 3, 0, 3), html)


def test_a_local_expert_sees_only_their_own_agency(as_, world, sent):
    html = as_("otto").get(reverse("acknowledgement_list")).content.decode()
    assert set(_people_rows(html)) == {"Otto Outsider"}
    # Filtering by another agency's office is refused by the form, and shows nothing of it.
    forged = as_("otto").get(reverse("acknowledgement_list"), {"office": world.office.pk})
    assert "Alice Agency" not in forged.content.decode()
    rows = list(
        csv.reader(
            io.StringIO(
                as_("otto").get(reverse("acknowledgement_list"), {"format": "csv"}).content.decode()
            )
        )
    )
    assert {row[0] for row in rows[1:]} == {"Otto Outsider"}


def test_the_csv_neutralises_formulas(as_, world, sent):
    ProcedureFactory(title="+cmd|' /C calc'!A0")
    people = [
        PersonFactory(office=world.office, first_name='=HYPERLINK("http://evil")', last_name="x"),
        PersonFactory(office=world.office, first_name="@SUM(1)", last_name="y"),
    ]
    onboarding.send_packets([p.pk for p in people], kind=onboarding.WELCOME)
    response = as_("hannah").get(reverse("acknowledgement_list"), {"format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == onboarding.CSV_HEADER
    cells = [cell for row in rows[1:] for cell in row]
    assert '\'=HYPERLINK("http://evil") x' in cells
    assert "'@SUM(1) y" in cells
    assert "'+cmd|' /C calc'!A0" in cells
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)


def test_the_office_welcome_action_sends_and_says_how_many(
    as_, world, mailoutbox, django_capture_on_commit_callbacks
):
    ProcedureFactory()
    with django_capture_on_commit_callbacks(execute=True):
        response = as_("hannah").post(
            reverse("office_send_welcome", args=[world.office.pk]), follow=True
        )
    assert "Welcome packet sent to 3" in response.content.decode()
    assert sorted(m.to[0] for m in mailoutbox) == [
        "alex@example.org",
        "alice@example.org",
        "pat@example.org",
    ]


def test_the_resend_action_asks_the_audience_again(
    as_, world, mailoutbox, django_capture_on_commit_callbacks
):
    procedure = ProcedureFactory(experts=True)
    with django_capture_on_commit_callbacks(execute=True):
        response = as_("hannah").post(reverse("procedure_resend", args=[procedure.pk]), follow=True)
    assert "Sent to 3 people" in response.content.decode()
    assert sorted(m.to[0] for m in mailoutbox) == [
        "alex@example.org",
        "otto@example.org",
        "pat@example.org",
    ]


# --- Home panels --------------------------------------------------------------------------------


def test_home_panels_show_what_waits(as_, world, sent):
    staff_home = as_("hannah").get(reverse("home")).content.decode()
    assert "Procedures not yet acknowledged" in staff_home
    assert "Problem Report Form</a>: 3 of 3 not acknowledged" in staff_home
    pat_home = as_("pat").get(reverse("home")).content.decode()
    assert "Procedures to read" in pat_home
    assert "Escalating with the Problem Report Form" in pat_home
    assert (
        "Resetting a CCTS password"
        not in pat_home.split("Procedures to read", 1)[1].split("</section>", 1)[0]
    )


def test_nav_links(as_):
    assert (
        'href="/procedures/acknowledgements/"'
        not in as_("alice").get(reverse("home")).content.decode()
    )
    alice_home = as_("alice").get(reverse("home")).content.decode()
    assert ">Procedures</a>" in alice_home
    assert ">Acknowledgements</a>" not in alice_home
    assert ">Acknowledgements</a>" in as_("hannah").get(reverse("home")).content.decode()


def test_the_report_offers_only_the_procedures_and_offices_the_user_may_see(as_, world, sent):
    ProcedureFactory(title="Getting started at a Site", site=True)
    form = as_("otto").get(reverse("acknowledgement_list")).context["form"]
    assert "Getting started at a Site" not in [str(p) for p in form.fields["procedure"].queryset]
    assert set(form.fields["office"].queryset) == {world.other_office}
    assert set(form.fields["agency"].queryset) == {world.other_office.agency}


def test_list_pages_read_a_fixed_number_of_queries(as_, world, sent, django_assert_max_num_queries):
    for n in range(10):
        ProcedureFactory(title=f"Extra {n}")
        PersonFactory(office=world.office)
    onboarding.send_welcome_packet_to_office(world.office, by=Actor.of(world.hannah))
    client = as_("hannah")
    with django_assert_max_num_queries(20):
        assert client.get(reverse("acknowledgement_list")).status_code == 200
    with django_assert_max_num_queries(15):
        assert client.get(reverse("procedure_list")).status_code == 200
    with django_assert_max_num_queries(15):
        assert client.get(reverse("acknowledgement_list"), {"format": "csv"}).status_code == 200


def test_the_admin_shows_procedures_read_only(as_, sent):
    client = as_("ada")
    for name in ["procedure", "procedureacknowledgement"]:
        listing = client.get(reverse(f"admin:helpdesk_{name}_changelist"))
        assert listing.status_code == 200
        assert client.get(reverse(f"admin:helpdesk_{name}_add")).status_code == 403
    change = client.get(reverse("admin:helpdesk_procedure_change", args=[sent["everyone"].pk]))
    assert change.status_code == 200
    assert "Resetting a CCTS password" in change.content.decode()
    assert 'name="_save"' not in change.content.decode()
