"""Security forms through their services: every transition and guard, the PDF read back,
signed copies checked by content, reminders and expiry in time, the forms_on_file gate, and
signed copies arriving by email through the mail intake."""

from datetime import timedelta
from io import BytesIO

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from pypdf import PdfReader

from forms_4052_4055 import selectors
from forms_4052_4055 import services as fs
from forms_4052_4055.models import FormState, FormType, SecurityForm
from helpdesk.actor import Actor
from helpdesk.mail import intake
from helpdesk.models import AuditEvent, AuditKind, InboundMessage
from helpdesk.transitions import ConflictError
from tests.factories import PersonFactory
from tests.helpdesk.mail.messages import email_bytes
from tests.outgoing_mail import assert_ours, message_id_sent_to

PDF = b"%PDF-1.4\n% signed copy\n"


@pytest.fixture
def issue(django_capture_on_commit_callbacks):
    def run(person, systems=("ccms",), *, by, **kw) -> list[SecurityForm]:
        with django_capture_on_commit_callbacks(execute=True):
            return fs.issue_forms(person, list(systems), by=by, **kw).issued

    return run


def _form(world, issue, code="4052") -> SecurityForm:
    return next(
        f for f in issue(world.alice, by=Actor.of(world.hannah)) if f.form_type.code == code
    )


def _all_yes(form) -> dict[str, bool]:
    return dict.fromkeys(form.form_type.checklist, True)


def _filed(world, form) -> SecurityForm:
    fs.receive(form, by=Actor.of(world.hannah), name="signed.pdf", data=PDF)
    fs.verify(form, by=Actor.of(world.hannah), results=_all_yes(form))
    return fs.file_form(form, by=Actor.of(world.hannah))


# --- Issue ----------------------------------------------------------------------------------------


def test_the_local_expert_issues_the_forms_a_system_needs(world, issue, mailoutbox):
    forms = issue(world.alice, ["ccms"], by=Actor.of(world.pat.user))

    assert sorted(f.form_type.code for f in forms) == ["4052", "4055"]
    form = next(f for f in forms if f.form_type.code == "4052")
    assert form.state == FormState.ISSUED
    assert form.ccms_role == "CCAP caseworker"  # left blank: the default role
    assert form.reference.startswith(f"SF-{timezone.localdate().year}-")
    assert form.due_at.date() == (form.issued_at + timedelta(days=30)).date()
    assert len(mailoutbox) == 4  # two forms, a copy each to Alice and Pat (a Message-ID each)
    assert {m.to[0] for m in mailoutbox} == {"alice@example.org", "pat@example.org"}
    [(filename, pdf, mimetype)] = mailoutbox[0].attachments
    assert (filename, mimetype) == (f"{forms[0].reference}.pdf", "application/pdf")
    assert pdf.startswith(b"%PDF")
    assert mailoutbox[0].subject.startswith(f"[{forms[0].reference}] ")
    assert_ours(mailoutbox[0])
    assert AuditEvent.objects.filter(kind=AuditKind.CREATED, target_id=str(form.pk)).exists()


def test_the_pdf_carries_the_persons_details_and_the_reference_on_every_page(world, issue):
    form = _form(world, issue)

    reader = PdfReader(BytesIO(form.blank_pdf.read()))
    text = "\n".join(page.extract_text() for page in reader.pages)

    assert "Alice Agency" in text
    assert "Northern Lights CCR&R" in text
    assert "CCMS" in text
    assert "CCAP caseworker" in text
    assert all(form.reference in page.extract_text() for page in reader.pages)


def test_a_requested_ccms_role_is_printed(world, issue):
    form = next(
        f
        for f in issue(world.alice, by=Actor.of(world.hannah), ccms_role="CCR&R supervisor")
        if f.form_type.carries_ccms_role
    )

    assert form.ccms_role == "CCR&R supervisor"
    assert "CCR&R supervisor" in PdfReader(BytesIO(form.blank_pdf.read())).pages[0].extract_text()


def test_forms_outstanding_or_on_file_are_not_issued_again(world, issue):
    first = _form(world, issue)
    _filed(world, first)

    again = fs.issue_forms(world.alice, ["ccms"], by=Actor.of(world.hannah))

    assert [f.form_type.code for f in again.issued] == []
    assert {f.form_type.code for f in again.already} == {"4052", "4055"}


@pytest.mark.parametrize("who", ["otto", "alice", "mike"])
def test_only_the_help_desk_or_the_agencys_local_expert_issues(world, who):
    user = {"otto": world.otto.user, "alice": world.alice.user, "mike": world.mike}[who]

    with pytest.raises(PermissionDenied):
        fs.issue_forms(world.alice, ["ccms"], by=Actor.of(user))
    assert not SecurityForm.objects.exists()


def test_an_inactive_form_type_is_not_issued_and_an_administrator_can_add_one(world, issue):
    FormType.objects.create(
        code="IVR-1",
        title="IVR billing line access",
        systems=["ivr"],
        checklist=["Signed by the provider"],
    )

    forms = issue(world.alice, ["ivr"], by=Actor.of(world.hannah))

    assert [f.form_type.code for f in forms] == ["IVR-1"]


# --- The machine ----------------------------------------------------------------------------------


def test_receive_verify_file(world, issue):
    form = _form(world, issue)

    document = fs.receive(form, by=Actor.of(world.hannah), name="../../scan.PDF", data=PDF)
    form.refresh_from_db()
    assert form.state == FormState.RECEIVED
    assert document.original_name == "scan.pdf"
    fs.verify(form, by=Actor.of(world.hannah), results=_all_yes(form))
    form.refresh_from_db()
    assert form.state == FormState.VERIFIED
    fs.file_form(form, by=Actor.of(world.hannah))
    form.refresh_from_db()
    assert form.state == FormState.FILED
    assert form.valid_until is None  # 4052 stays valid until replaced
    kinds = AuditEvent.objects.for_object(form).values_list("kind", flat=True)
    assert list(kinds).count(AuditKind.TRANSITION) == 3


def test_a_failed_check_returns_the_form_with_the_reasons(
    world, issue, mailoutbox, django_capture_on_commit_callbacks
):
    form = _form(world, issue)
    fs.receive(form, by=Actor.of(world.hannah), name="signed.pdf", data=PDF)
    results = _all_yes(form) | {"Signed by the agency's authorising official": False}
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        fs.verify(form, by=Actor.of(world.hannah), results=results, note="Page 2 is missing.")

    form.refresh_from_db()
    assert form.state == FormState.RETURNED
    assert form.returned_reasons == [
        "Signed by the agency's authorising official",
        "Page 2 is missing.",
    ]
    email = next(
        m for m in mailoutbox if m.to == ["alice@example.org"]
    )  # one copy per recipient (issue 14: a Message-ID each)
    assert "Signed by the agency's authorising official" in email.body
    fs.receive(form, by=Actor.of(world.hannah), name="corrected.pdf", data=PDF)  # back again
    form.refresh_from_db()
    assert form.state == FormState.RECEIVED


def test_every_checklist_item_must_be_answered(world, issue):
    form = _form(world, issue)
    fs.receive(form, by=Actor.of(world.hannah), name="signed.pdf", data=PDF)

    with pytest.raises(ValidationError):
        fs.verify(form, by=Actor.of(world.hannah), results={})


@pytest.mark.parametrize("who", ["pat", "ada", "mike"])
def test_only_help_desk_staff_verify_and_file(world, issue, who):
    form = _form(world, issue)
    fs.receive(
        form, by=Actor.of(world.pat.user), name="signed.pdf", data=PDF
    )  # the expert may upload
    user = {"pat": world.pat.user, "ada": world.ada, "mike": world.mike}[who]

    with pytest.raises(PermissionDenied):
        fs.verify(form, by=Actor.of(user), results=_all_yes(form))
    fs.verify(form, by=Actor.of(world.hannah), results=_all_yes(form))
    with pytest.raises(PermissionDenied):
        fs.file_form(form, by=Actor.of(user))


def test_a_local_expert_of_another_agency_cannot_upload(world, issue):
    form = _form(world, issue)

    with pytest.raises(PermissionDenied):
        fs.receive(form, by=Actor.of(world.otto.user), name="signed.pdf", data=PDF)


def test_steps_out_of_order_are_conflicts(world, issue):
    form = _form(world, issue)

    with pytest.raises(ConflictError):
        fs.file_form(form, by=Actor.of(world.hannah))
    with pytest.raises(ConflictError):
        fs.verify(form, by=Actor.of(world.hannah), results=_all_yes(form))


def test_filing_a_newer_form_supersedes_the_older(world, issue):
    old = _filed(world, _form(world, issue))
    newer = SecurityForm.objects.create(
        reference=fs.next_reference(),
        form_type=old.form_type,
        person=world.alice,
        systems=["ccms"],
        due_at=timezone.now() + timedelta(days=30),
    )

    _filed(world, newer)

    old.refresh_from_db()
    assert old.state == FormState.SUPERSEDED
    assert old.superseded_by == newer


def test_void_needs_a_reason(world, issue):
    form = _form(world, issue)

    with pytest.raises(ValidationError):
        fs.void_form(form, by=Actor.of(world.hannah), reason=" ")
    fs.void_form(form, by=Actor.of(world.hannah), reason="Issued to the wrong person.")

    form.refresh_from_db()
    assert form.state == FormState.VOID


# --- Signed copies are checked by content --------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("signed.pdf", b"<html><script>alert(1)</script></html>"),
        ("signed.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
        ("signed.pdf", b""),
        ("signed.exe", b"MZ\x90\x00"),
    ],
)
def test_uploads_are_refused_by_content(world, issue, name, data):
    form = _form(world, issue)

    with pytest.raises(ValidationError):
        fs.receive(form, by=Actor.of(world.hannah), name=name, data=data)
    form.refresh_from_db()
    assert form.state == FormState.ISSUED
    assert not form.documents.exists()


def test_oversized_uploads_are_refused(world, issue, settings):
    settings.SECURITY_FORM_MAX_BYTES = 1000
    form = _form(world, issue)

    with pytest.raises(ValidationError, match="limit"):
        fs.receive(form, by=Actor.of(world.hannah), name="big.pdf", data=PDF + b"0" * 2000)


@pytest.mark.parametrize(
    "magic", [b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe0", b"GIF89a", b"II*\x00"]
)
def test_images_of_signed_forms_are_accepted(world, issue, magic):
    form = _form(world, issue)

    document = fs.receive(form, by=Actor.of(world.hannah), name="photo", data=magic + b"\x00" * 64)

    assert document.content_type.startswith("image/")


# --- Reminders and expiry ------------------------------------------------------------------------


def test_reminders_before_the_due_date_then_expiry(
    world, issue, mailoutbox, django_capture_on_commit_callbacks
):
    form = _form(world, issue)
    issued = form.issued_at

    def sweep(days):
        mailoutbox.clear()
        with (
            time_machine.travel(issued + timedelta(days=days)),
            django_capture_on_commit_callbacks(execute=True),
        ):
            return fs.forms_sweep()

    assert sweep(10) == {"reminded": 0, "expired": 0}
    assert sweep(24)["reminded"] == 2  # 6 days left: both forms of the person are reminded
    assert "Reminder" in mailoutbox[0].subject
    assert sweep(25)["reminded"] == 0  # once per threshold
    assert sweep(29.5)["reminded"] == 2  # the last day
    assert sweep(31) == {"reminded": 0, "expired": 2}
    form.refresh_from_db()
    assert form.state == FormState.EXPIRED
    assert "expired" in mailoutbox[0].subject
    assert sweep(32) == {"reminded": 0, "expired": 0}


def test_a_received_form_does_not_expire(world, issue):
    form = _form(world, issue)
    fs.receive(form, by=Actor.of(world.hannah), name="signed.pdf", data=PDF)

    with time_machine.travel(form.issued_at + timedelta(days=40)):
        fs.forms_sweep()

    form.refresh_from_db()
    assert form.state == FormState.RECEIVED


# --- The gate -------------------------------------------------------------------------------------


def test_forms_on_file_answers_what_is_filed_and_what_is_missing(world, issue):
    forms = {f.form_type.code: f for f in issue(world.alice, by=Actor.of(world.hannah))}

    assert [t.code for t in selectors.forms_on_file(world.alice, "ccms").missing] == [
        "4052",
        "4055",
    ]
    _filed(world, forms["4052"])

    gate = selectors.forms_on_file(world.alice, "ccms")
    assert [f.reference for f in gate.filed] == [forms["4052"].reference]
    assert [t.code for t in gate.missing] == ["4055"]
    assert not gate.complete
    _filed(world, forms["4055"])
    assert selectors.forms_on_file(world.alice, "ccms").complete
    assert selectors.forms_on_file(world.alice, "ivr").complete  # nothing required


def test_an_expired_yearly_attestation_is_missing(world, issue):
    FormType.objects.filter(code="HIPAA-TRAINING").update(active=True)
    form = next(
        f
        for f in issue(world.alice, by=Actor.of(world.hannah))
        if f.form_type.code == "HIPAA-TRAINING"
    )
    _filed(world, form)
    form.refresh_from_db()
    assert form.valid_until is not None

    later = form.filed_at + timedelta(days=366)
    assert "HIPAA-TRAINING" in [
        t.code for t in selectors.forms_on_file(world.alice, "ccms", later).missing
    ]
    assert "HIPAA-TRAINING" not in [
        t.code for t in selectors.forms_on_file(world.alice, "ccms").missing
    ]


def test_superseded_and_void_forms_do_not_count(world, issue):
    form = _filed(world, _form(world, issue))

    fs.void_form(form, by=Actor.of(world.hannah), reason="Signed by the wrong official.")

    assert "4052" in [t.code for t in selectors.forms_on_file(world.alice, "ccms").missing]


# --- Signed copies by email -----------------------------------------------------------------------


def _a_reply_to_our_mail(address: str) -> dict[str, str]:
    """Headers of a reply to a message we sent ``address``: what proves the sender."""
    return {"In-Reply-To": message_id_sent_to(address)}


def test_finding_an_unproven_signed_copy_is_held_not_filed(world, issue):
    """Filing a copy moves the form on: a From nobody proved (no aligned DMARC pass, not a
    reply to our mail) is held for the help desk, even from the person's own address."""
    form = _form(world, issue)
    raw = email_bytes(
        sender="alice@example.org",
        subject=f"Signed form {form.reference}",
        body="Attached.",
        attachments=[("scan.pdf", "application/pdf", PDF)],
    )

    result = intake.ingest(raw, source="pipe")

    form.refresh_from_db()
    assert result.outcome == "quarantined"
    assert "not proven" in result.inbound.detail
    assert form.state == FormState.ISSUED


def test_a_signed_copy_emailed_with_the_reference_is_received(world, issue):
    form = _form(world, issue)
    raw = email_bytes(
        sender="alice@example.org",
        subject=f"Signed form {form.reference}",
        body="Attached.",
        attachments=[("scan.pdf", "application/pdf", PDF)],
        headers=_a_reply_to_our_mail("alice@example.org"),
    )

    result = intake.ingest(raw, source="pipe")

    form.refresh_from_db()
    assert result.outcome == "handled"
    assert form.state == FormState.RECEIVED
    assert form.documents.get().source == "email"


def test_the_reference_in_the_file_name_is_enough(world, issue):
    form = _form(world, issue)
    raw = email_bytes(
        sender="pat@example.org",
        subject="scans",
        body="Here.",
        attachments=[(f"{form.reference}.pdf", "application/pdf", PDF)],
        headers=_a_reply_to_our_mail("pat@example.org"),
    )

    intake.ingest(raw, source="pipe")

    form.refresh_from_db()
    assert form.state == FormState.RECEIVED


def test_an_emailed_copy_that_is_not_a_pdf_or_image_files_nothing(world, issue):
    form = _form(world, issue)
    raw = email_bytes(
        subject=f"Signed {form.reference}",
        body="Here.",
        attachments=[("signed.pdf", "application/pdf", b"<html>not a pdf</html>")],
        headers=_a_reply_to_our_mail("pat@example.org"),
    )

    result = intake.ingest(raw, source="pipe")

    form.refresh_from_db()
    assert form.state == FormState.ISSUED
    assert "nothing filed" in InboundMessage.objects.get(pk=result.inbound.pk).detail


def test_a_person_can_be_issued_forms_with_no_login(world, issue):
    newcomer = PersonFactory(office=world.office, first_name="Nia", last_name="New")

    forms = issue(newcomer, by=Actor.of(world.pat.user))

    assert len(forms) == 2


def test_an_emailed_copy_from_a_stranger_is_held_for_review(world, issue):
    form = _form(world, issue)
    raw = email_bytes(
        sender="stranger@elsewhere.example",
        subject=f"Signed {form.reference}",
        body="Here.",
        attachments=[("scan.pdf", "application/pdf", PDF)],
    )

    result = intake.ingest(raw, source="pipe")

    form.refresh_from_db()
    assert result.outcome == "quarantined"
    assert result.inbound.quarantine_reason == "needs_review"
    assert form.state == FormState.ISSUED


def test_references_follow_each_other_and_restart_each_year(db):
    # Not only on PostgreSQL: the sequence is the same on every database.
    references = [fs.next_reference(2026) for _ in range(3)] + [fs.next_reference(2027)]

    assert references == ["SF-2026-00001", "SF-2026-00002", "SF-2026-00003", "SF-2027-00001"]
