"""django-q2 tasks of the security forms: thin, they load by id and call a service."""

from django.utils import timezone

from forms_4052_4055.models import SecurityForm
from forms_4052_4055.services import forms_sweep
from helpdesk import emails
from helpdesk.directory.selectors import acting_local_expert

WITH_BLANK_FORM = {"issued", "reminder", "returned"}


def send_form_email(kind: str, form_id: int, event: str = "") -> int:
    """Email the person (and their office's acting local expert) about their form: issued
    (with the pre-filled PDF), reminder, returned (with the reasons), expired. ``event``: when
    the change was saved (``services._email_on_commit``), so a retried task queues nothing new.
    Returns how many it goes to."""
    form = SecurityForm.objects.select_related("form_type", "person__office__agency").get(
        pk=form_id
    )
    recipients = [form.person.primary_email]
    expert = acting_local_expert(form.person.office)
    if expert is not None and expert.pk != form.person.pk:
        recipients.append(expert.primary_email)
    attachments = []
    if kind in WITH_BLANK_FORM and form.blank_pdf:
        pdf = emails.Attachment(f"{form.reference}.pdf", form.blank_pdf.name, "application/pdf")
        attachments.append(pdf)
    sent = emails.queue(
        f"form_{kind}",
        to=recipients,
        key=f"form:{form.pk}:{kind}:{event or f'{form.updated_at:%Y%m%dT%H%M%S%f}'}",
        context={"form": form, "now": timezone.now()},
        subject_prefix=f"[{form.reference}]",
        attachments=attachments,
    )
    return len(sent.recipients) if sent else 0


def forms_schedule() -> dict:
    """The daily pass: reminders before the due date, expiry after it."""
    return forms_sweep()


__all__ = ["forms_schedule", "send_form_email"]
