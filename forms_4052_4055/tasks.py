"""django-q2 tasks of the security forms: thin, they load by id and call a service."""

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import timezone

from forms_4052_4055.models import SecurityForm
from forms_4052_4055.services import forms_sweep
from helpdesk.directory.selectors import acting_local_expert
from helpdesk.emails import automatic_headers, new_message_id
from helpdesk.models import OutboundEmail

WITH_BLANK_FORM = {"issued", "reminder", "returned"}


def send_form_email(kind: str, form_id: int) -> int:
    """Email the person (and their office's acting local expert) about their form: issued
    (with the pre-filled PDF), reminder, returned (with the reasons), expired."""
    form = SecurityForm.objects.select_related("form_type", "person__office__agency").get(
        pk=form_id
    )
    recipients = [form.person.primary_email]
    expert = acting_local_expert(form.person.office)
    if expert is not None and expert.pk != form.person.pk and expert.primary_email:
        recipients.append(expert.primary_email)
    recipients = [r for r in dict.fromkeys(recipients) if r]
    if not recipients:
        return 0
    context = {"form": form, "site_url": settings.SITE_URL, "now": timezone.now()}
    subject = " ".join(render_to_string(f"emails/form_{kind}-subject.txt", context).split())
    subject = f"[{form.reference}] {subject}"
    body = render_to_string(f"emails/form_{kind}-body.txt", context)
    message_id = new_message_id(f"form{form.pk}")
    email = EmailMessage(
        subject,
        body,
        settings.DEFAULT_FROM_EMAIL,
        recipients,
        headers={"Message-ID": message_id, **automatic_headers(replied=False)},
    )
    if kind in WITH_BLANK_FORM and form.blank_pdf:
        with form.blank_pdf.open("rb") as pdf:
            email.attach(f"{form.reference}.pdf", pdf.read(), "application/pdf")
    OutboundEmail.objects.create(
        kind=f"form_{kind}", message_id=message_id, recipients=recipients, subject=subject
    )
    email.send()
    OutboundEmail.objects.filter(message_id=message_id).update(sent_at=timezone.now())
    return len(recipients)


def forms_schedule() -> dict:
    """The daily pass: reminders before the due date, expiry after it."""
    return forms_sweep()


__all__ = ["forms_schedule", "send_form_email"]
