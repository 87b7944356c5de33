"""Security forms under the retention rules (docs/retention.md): a form that is over (void,
superseded, expired, or filed and no longer valid) goes seven years after its filing or expiry,
with its signed copies on disk; an outstanding form or one on file stays whatever its age."""

from datetime import timedelta

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.utils import timezone

from forms_4052_4055 import services as fs
from forms_4052_4055.models import FormState, SecurityForm, SignedDocument
from helpdesk.actor import Actor
from helpdesk.retention.services import apply_retention, place_hold

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n% signed copy\n"


def _ago(years: float):
    return timezone.now() - timedelta(days=int(years * 366))


def _run(**kwargs):
    reports = apply_retention(by=Actor.system("test"), kinds=["security_forms"], **kwargs)
    return reports[0]


def _filed(world, years: float) -> SecurityForm:
    """A 4052 issued to Alice, signed, verified and filed ``years`` ago."""
    by = Actor.of(world.hannah)
    with time_machine.travel(_ago(years), tick=False):
        form = next(
            f
            for f in fs.issue_forms(world.alice, ["ccms"], by=by).issued
            if f.form_type.code == "4052"
        )
        fs.receive(form, by=by, name="signed.pdf", data=PDF)
        fs.verify(form, by=by, results=dict.fromkeys(form.form_type.checklist, True))
        return fs.file_form(form, by=by)


def test_a_void_form_filed_longer_ago_than_the_rule_goes_with_its_signed_copy(
    world, django_capture_on_commit_callbacks
):
    form = _filed(world, 8)
    fs.void_form(form, by=Actor.of(world.hannah), reason="Replaced on paper.")
    document = SignedDocument.objects.get(form=form)
    assert default_storage.exists(document.file.name)

    with django_capture_on_commit_callbacks(execute=True):
        report = _run()

    assert (report.due, report.done) == (1, 1)
    assert not SecurityForm.objects.filter(pk=form.pk).exists()
    assert not default_storage.exists(document.file.name)


def test_a_void_form_filed_within_the_rule_stays(world):
    form = _filed(world, 6)
    fs.void_form(form, by=Actor.of(world.hannah), reason="Replaced on paper.")

    assert _run().due == 0
    assert SecurityForm.objects.filter(pk=form.pk).exists()


def test_a_form_on_file_or_outstanding_stays_whatever_its_age(world):
    on_file = _filed(world, 9)  # the 4052 is valid until replaced
    with time_machine.travel(_ago(9), tick=False):
        fs.issue_forms(world.pat, ["ccms"], by=Actor.of(world.hannah))  # never returned
    outstanding = SecurityForm.objects.filter(person=world.pat)
    assert set(outstanding.values_list("state", flat=True)) == {FormState.ISSUED}

    assert _run().due == 0
    assert SecurityForm.objects.filter(pk=on_file.pk).exists()
    assert outstanding.count() == 2


def test_a_hold_on_the_person_or_their_agency_keeps_their_forms(world):
    form = _filed(world, 8)
    fs.void_form(form, by=Actor.of(world.hannah), reason="Replaced on paper.")
    hold = place_hold(by=Actor.of(world.ada), reason="Audit", agency=world.office.agency)

    report = _run()

    assert (report.due, report.kept_by_hold) == (0, 1)
    assert SecurityForm.objects.filter(pk=form.pk).exists()
    from helpdesk.retention.services import release_hold

    release_hold(hold, by=Actor.of(world.ada), note="Done.")
    assert _run().done == 1
