"""The shapes of the API: what a ticket looks like, and what each request body may hold (types
and lengths, for the schema and the first check). No business rule lives here: the bodies are
then validated by the same Django forms the pages use, and acted on by the same services."""

from typing import Any

from rest_framework import serializers

from escalation.workflow import Action, Priority, TicketKind, TicketState
from helpdesk.api.errors import StrictSerializer
from helpdesk.lib.inputs import DESCRIPTION_MAX, MESSAGE_MAX, NOTE_MAX, SUMMARY_MAX
from helpdesk.models import System, Ticket, TicketAttachment, TicketMessage, WhoAffected

# --- What the API answers ----------------------------------------------------------------------


class OfficeRef(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    agency = serializers.CharField(source="agency.name")


class UserRef(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.SerializerMethodField()

    def get_name(self, user: Any) -> str:
        return str(user.get_full_name() or user.get_username())


class TicketListItem(serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True)
    tier = serializers.IntegerField(read_only=True, allow_null=True)
    office = OfficeRef(read_only=True)
    assignee = UserRef(read_only=True, allow_null=True)

    class Meta:
        model = Ticket
        fields = [
            "id",
            "reference",
            "tracking_number",
            "state",
            "tier",
            "kind",
            "priority",
            "system",
            "summary",
            "office",
            "assignee",
            "mis_reference",
            "created_at",
            "updated_at",
            "submitted_at",
            "response_due_at",
            "resolution_due_at",
            "version",
        ]
        read_only_fields = fields


class TicketDetail(TicketListItem):
    actions = serializers.SerializerMethodField()
    # Blank when not given: a plain string, not the schema's "email" format.
    contact_email = serializers.CharField(read_only=True)
    secondary_email = serializers.CharField(read_only=True)

    class Meta(TicketListItem.Meta):
        fields = [
            *TicketListItem.Meta.fields,
            "description",
            "who_affected",
            "contact_name",
            "contact_phone",
            "contact_email",
            "secondary_name",
            "secondary_phone",
            "secondary_email",
            "occurred_at",
            "can_duplicate",
            "security_group",
            "ccms_screen",
            "system_other",
            "steps_taken",
            "expected_result",
            "incomplete_fields",
            "resolution",
            "mis_resolution",
            "rejection_reason",
            "resolved_at",
            "closed_at",
            "actions",
        ]
        read_only_fields = fields

    def get_actions(self, ticket: Ticket) -> list[str]:
        """The actions the caller may take now (the ticket page's buttons)."""
        available: list[str] = self.context.get("actions", [])
        return available


class TicketPage(serializers.Serializer):
    results = TicketListItem(many=True)
    next = serializers.CharField(allow_null=True, help_text="The next page's URL, or null.")


class AttachmentOut(serializers.ModelSerializer):
    class Meta:
        model = TicketAttachment
        fields = ["id", "original_name", "content_type", "size", "sha256", "internal", "created_at"]
        read_only_fields = fields


class MessageOut(serializers.ModelSerializer):
    attachments = AttachmentOut(many=True, read_only=True)

    class Meta:
        model = TicketMessage
        fields = ["id", "author_label", "body", "internal", "source", "created_at", "attachments"]
        read_only_fields = fields


# --- What the API takes ------------------------------------------------------------------------


def _text(max_length: int, *, required: bool = True, help_text: str = "") -> serializers.CharField:
    """A text field: its type and length here; whether a blank one will do is the page's
    form's to say (with its own message)."""
    return serializers.CharField(
        max_length=max_length,
        required=required,
        allow_blank=True,
        trim_whitespace=False,
        help_text=help_text,
    )


class ProblemReportIn(StrictSerializer):
    """The Problem Report Form (helpdesk.reports.forms.ProblemReportForm decides what is
    required of which kind of report)."""

    office = serializers.IntegerField(
        required=False, help_text="One of your offices; needed when you serve several."
    )
    kind = serializers.ChoiceField(choices=TicketKind.choices, required=False)
    summary = _text(SUMMARY_MAX)
    system = serializers.ChoiceField(choices=System.choices)
    system_other = serializers.CharField(max_length=100, required=False, allow_blank=True)
    description = _text(DESCRIPTION_MAX)
    who_affected = serializers.ChoiceField(choices=WhoAffected.choices, required=False)
    contact_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    contact_phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    contact_email = serializers.CharField(max_length=254, required=False, allow_blank=True)
    secondary_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    secondary_phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    secondary_email = serializers.CharField(max_length=254, required=False, allow_blank=True)
    occurred_at = serializers.DateTimeField(required=False, allow_null=True)
    can_duplicate = serializers.BooleanField(required=False, allow_null=True)
    security_group = serializers.CharField(max_length=100, required=False, allow_blank=True)
    ccms_screen = serializers.CharField(max_length=150, required=False, allow_blank=True)
    steps_taken = serializers.CharField(
        max_length=DESCRIPTION_MAX, required=False, allow_blank=True
    )
    expected_result = serializers.CharField(
        max_length=DESCRIPTION_MAX, required=False, allow_blank=True
    )
    notice = serializers.IntegerField(
        required=False, allow_null=True, help_text="An open notice this is the same problem as."
    )


class EscalateIn(ProblemReportIn):
    """An agency user's report completed into the Problem Report Form (its office is the
    report's)."""

    office = None  # type: ignore[assignment]


class MessageIn(StrictSerializer):
    body = _text(MESSAGE_MAX)
    internal = serializers.BooleanField(
        required=False, default=False, help_text="An internal note (help desk and MIS only)."
    )
    files = serializers.ListField(
        child=serializers.FileField(), required=False, help_text="multipart/form-data only."
    )


class ResolutionIn(StrictSerializer):
    resolution = _text(NOTE_MAX)


class ReasonIn(StrictSerializer):
    reason = _text(NOTE_MAX)


class NoteIn(StrictSerializer):
    note = _text(NOTE_MAX, required=False)


class QuestionIn(StrictSerializer):
    question = _text(NOTE_MAX, help_text="Sent to the local expert.")


class AnswerIn(StrictSerializer):
    answer = _text(NOTE_MAX)


class AssignIn(StrictSerializer):
    assignee = serializers.IntegerField(help_text="The id of an active help desk user.")


class EscalateToMisIn(StrictSerializer):
    note = _text(NOTE_MAX, help_text="What the help desk found and tried.")
    mis_reference = serializers.CharField(
        max_length=50, required=False, allow_blank=True, help_text="MIS's own ticket number."
    )


ACTION_BODIES: dict[Action, type[StrictSerializer]] = {
    Action.RESOLVE_LOCALLY: ResolutionIn,
    Action.ASSIGN: AssignIn,
    Action.ESCALATE_TO_MIS: EscalateToMisIn,
    Action.REQUEST_INFO: QuestionIn,
    Action.PROVIDE_INFO: AnswerIn,
    Action.REPORT_MIS_RESOLUTION: ResolutionIn,
    Action.RESOLVE: ResolutionIn,
    Action.REOPEN: NoteIn,
    Action.CLOSE: NoteIn,
    Action.REJECT: ReasonIn,
    Action.WITHDRAW: ReasonIn,
}

STATES = [value for value, _label in TicketState.choices]
PRIORITIES = [value for value, _label in Priority.choices]
