"""Publishing a notice mails people at once (issue 16, point 9): the form leads to a page that
says how many local experts will be emailed, counted by the rule the sending uses; only the POST
with that page's token publishes."""

import pytest
from django.urls import reverse

from helpdesk.lib.confirm import FIELD
from helpdesk.models import Notice, NoticeAudience, OutboundEmail, Severity, System
from helpdesk.notices.selectors import recipient_addresses
from tests.confirming import confirmation_page
from tests.factories import DesignationFactory, OfficeFactory
from tests.helpdesk.notices.test_notice_pages import publish

pytestmark = pytest.mark.django_db

FORM = {
    "title": "CCMS does not load",
    "systems": [System.CCMS],
    "severity": Severity.OUTAGE,
    "audience": NoticeAudience.ALL,
    "text": "Blank page after sign-in.",
}


def test_the_page_says_how_many_will_be_mailed_and_that_many_are(client, world, capture_on_commit):
    client.force_login(world.hannah)
    asked = confirmation_page(client, reverse("notice_new"), FORM)
    page = asked.content.decode()
    assert "3 local experts will be emailed now, one message each." in page
    for address in ("pat@example.org", "alex@example.org", "otto@example.org"):
        assert address in page
    assert '<button type="submit" class="danger" data-confirm>Publish and email 3 people' in page
    assert not Notice.objects.exists()
    with capture_on_commit(execute=True):
        response = client.post(reverse("notice_new"), {**FORM, FIELD: asked.context["token"]})
    assert response.status_code == 302
    notice = Notice.objects.get()
    assert notice.updates.get().recipients == 3
    assert len(recipient_addresses(notice)) == 3


@pytest.mark.parametrize("forged", ["", "1", "true"])
def test_a_direct_post_does_not_publish(client, world, forged):
    client.force_login(world.hannah)
    response = client.post(reverse("notice_new"), {**FORM, FIELD: forged})
    assert response.status_code == 200
    assert "helpdesk/confirm.html" in [t.name for t in response.templates]
    assert not Notice.objects.exists()
    assert not OutboundEmail.objects.exists()


def test_one_more_expert_since_the_page_asks_again(client, world):
    client.force_login(world.hannah)
    token = confirmation_page(client, reverse("notice_new"), FORM).context["token"]
    DesignationFactory(office=OfficeFactory(), person__email="new@example.org")
    response = client.post(reverse("notice_new"), {**FORM, FIELD: token})
    assert response.status_code == 200
    page = response.content.decode()
    assert "This changed since you looked" in page
    assert "4 local experts will be emailed now" in page
    assert not Notice.objects.exists()


def test_what_the_notice_lacks_is_said_before_asking(client, world):
    client.force_login(world.hannah)
    response = client.post(reverse("notice_new"), {**FORM, "audience": NoticeAudience.REGION})
    assert response.status_code == 200
    assert "notices/new.html" in [t.name for t in response.templates]
    assert "Choose at least one region." in response.content.decode()


def test_going_back_shows_the_form_as_filled_in(client, world):
    client.force_login(world.hannah)
    token = confirmation_page(client, reverse("notice_new"), FORM).context["token"]
    response = client.post(reverse("notice_new"), {**FORM, FIELD: token, "back": "1"})
    assert response.status_code == 200
    assert response.context["form"]["title"].value() == "CCMS does not load"
    assert not Notice.objects.exists()


def test_an_audience_of_some_agencies_counts_their_experts_only(client, world):
    client.force_login(world.hannah)
    form = {**FORM, "audience": NoticeAudience.AGENCY, "agencies": [world.office.agency.pk]}
    page = confirmation_page(client, reverse("notice_new"), form).content.decode()
    assert "2 local experts will be emailed now" in page
    assert "otto@example.org" not in page


def test_linking_no_ticket_is_said_on_the_notice_page(client, world):
    notice = publish(world)
    client.force_login(world.hannah)
    response = client.post(reverse("notice_link_tickets", args=[notice.pk]), {"tickets": []})
    assert response.status_code == 400
    assert response.context["link_form"].errors["tickets"]
