"""Input rules (issue 16, point 8): free text has a limit and a counter, phone numbers are real
and written one way, a "when did it happen" date is in a window the error states, and the report
form chooses no system for the reporter."""

import re
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from helpdesk.lib.inputs import DESCRIPTION_MAX, check_in_past_window, format_phone
from helpdesk.models import Ticket
from helpdesk.reports.forms import ReportForm
from tests.helpdesk import ticket_helpers as th

pytestmark = pytest.mark.django_db


def _field_block(page: str, field_id: str) -> str:
    match = re.search(rf'<p>\s*<label for="{field_id}">.*?</p>', page, re.S)
    assert match, f"no field {field_id}"
    return match.group(0)


def _problem_report(**overrides: object) -> dict[str, object]:
    report = th.problem_report()
    return {
        **{k: v for k, v in vars(report).items() if v is not None},
        "can_duplicate": "yes",
        "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        **overrides,
    }


# --- Phone numbers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ("2175550142", "(217) 555-0142"),
        ("217.555.0142", "(217) 555-0142"),
        ("+1 217 555 0142", "(217) 555-0142"),
        ("217-555-0142 x12", "(217) 555-0142 ext. 12"),
        ("+44 20 7946 0958", "+44 20 7946 0958"),
    ],
)
def test_a_phone_number_is_written_one_way(typed, written):
    assert format_phone(typed) == written


@pytest.mark.parametrize("typed", ["call me maybe", "555-0100", "12", "217-555-01420000"])
def test_what_is_not_a_phone_number_is_refused(typed):
    with pytest.raises(ValidationError, match="with its area code"):
        format_phone(typed)


def test_the_problem_report_refuses_a_bad_phone_next_to_it_and_keeps_it(client, world):
    client.force_login(world.pat.user)
    data = _problem_report(office=world.office.pk, contact_phone="call me maybe")
    response = client.post(reverse("problem_report_new"), data)
    assert response.status_code == 200
    block = _field_block(response.content.decode(), "id_contact_phone")
    assert "Enter a phone number with its area code" in block
    assert 'value="call me maybe"' in block
    assert not Ticket.objects.exists()


def test_the_problem_report_stores_the_phone_formatted(client, world):
    client.force_login(world.pat.user)
    data = _problem_report(
        office=world.office.pk, contact_phone="217.555.0142", secondary_phone="2175550199"
    )
    assert client.post(reverse("problem_report_new"), data).status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.contact_phone == "(217) 555-0142"
    assert ticket.secondary_phone == "(217) 555-0199"


# --- Dates ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["2099-01-01T09:00", "1999-06-01T09:00"])
def test_a_problem_cannot_have_happened_in_the_future_or_long_ago(client, world, typed):
    client.force_login(world.pat.user)
    data = _problem_report(office=world.office.pk, occurred_at=typed)
    response = client.post(reverse("problem_report_new"), data)
    assert response.status_code == 200
    block = _field_block(response.content.decode(), "id_occurred_at")
    today = timezone.localdate()
    start = today - timedelta(days=365)
    # The window, in words the person can act on.
    assert f"Enter a date between {start:%b}" in block
    assert f"{today.year}" in block
    assert typed in block
    assert not Ticket.objects.exists()


def test_the_window_edges():
    now = timezone.now()
    check_in_past_window(now)
    check_in_past_window(now - timedelta(days=364))
    check_in_past_window(now + timedelta(minutes=2))  # a computer clock a little ahead
    with pytest.raises(ValidationError):
        check_in_past_window(now + timedelta(hours=1))
    with pytest.raises(ValidationError):
        check_in_past_window(now - timedelta(days=366))
    with pytest.raises(ValidationError):
        check_in_past_window(timezone.localdate() + timedelta(days=1))
    check_in_past_window(date.today() - timedelta(days=30))


# --- Lengths --------------------------------------------------------------------------------------


def test_free_text_fields_carry_their_limit_for_the_counter_but_never_cut_a_paste(client, world):
    client.force_login(world.alice.user)
    page = client.get(reverse("report_problem")).content.decode()
    description = re.search(r"<textarea[^>]*name=\"description\"[^>]*>", page).group(0)
    assert f'data-max-length="{DESCRIPTION_MAX}"' in description
    assert "data-counter-text=" in description
    assert "maxlength" not in description
    assert "js/counter.js" in page


def test_a_too_long_description_comes_back_whole_with_the_limit(client, world):
    client.force_login(world.alice.user)
    description = "Steps: " + "y" * DESCRIPTION_MAX
    response = client.post(
        reverse("report_problem"),
        {
            "summary": "Long one",
            "system": "ccms",
            "who_affected": "just_me",
            "description": description,
        },
    )
    assert response.status_code == 200
    block = _field_block(response.content.decode(), "id_description")
    assert "characters or fewer" in block
    assert description in block
    assert not Ticket.objects.exists()


# --- No system chosen for the reporter ---------------------------------------------------------


def test_the_report_form_chooses_no_system(client, world):
    client.force_login(world.alice.user)
    page = client.get(reverse("report_problem")).content.decode()
    select = re.search(r'<select name="system".*?</select>', page, re.S).group(0)
    first = re.search(r"<option[^>]*>[^<]*</option>", select).group(0)
    assert 'value=""' in first
    assert "Choose the system" in first
    assert "selected" not in select.replace(first, "")
    form = ReportForm({"summary": "x", "who_affected": "just_me", "description": "y"})
    assert not form.is_valid()
    assert form.errors["system"] == ["Choose the system the problem is in."]


def test_the_problem_report_form_chooses_no_system_either(client, world):
    client.force_login(world.pat.user)
    page = client.get(reverse("problem_report_new")).content.decode()
    select = re.search(r'<select name="system".*?</select>', page, re.S).group(0)
    assert re.search(r'<option value="" selected>Choose the system</option>', select)
    assert select.count("selected") == 1


def _everyday_forms():
    from access.forms import DepartureForm, ReasonForm
    from helpdesk.mail.forms import DiscardForm, ReleaseForm
    from helpdesk.notices.forms import NoticeForm, NoticeResolveForm, NoticeUpdateForm
    from helpdesk.reports.forms import ProblemReportForm
    from helpdesk.tickets.forms import ACTION_FORMS, MessageForm

    yield from {form_class.__name__: form_class() for form_class in ACTION_FORMS.values()}.items()
    yield "MessageForm", MessageForm(staff=True)
    yield "ReportForm", ReportForm()
    yield "ProblemReportForm", ProblemReportForm()
    for form_class in (
        NoticeForm,
        NoticeUpdateForm,
        NoticeResolveForm,
        DepartureForm,
        ReasonForm,
        DiscardForm,
        ReleaseForm,
    ):
        yield form_class.__name__, form_class()


def test_every_free_text_box_of_the_everyday_forms_has_a_limit():
    from django import forms

    unlimited = [
        f"{name}.{field_name}"
        for name, form in _everyday_forms()
        for field_name, field in form.fields.items()
        if isinstance(field.widget, forms.Textarea) and not getattr(field, "max_length", None)
    ]
    assert unlimited == []
