"""Tickets through the API: the queues (the queue page's selector and filter form, cursor paged),
a ticket (ETag from its version), the Problem Report Form of a local expert, messages,
attachments, and every workflow action through the ticket services (the one transition path),
each with ``If-Match``. The same getters, forms and services as the pages: a refusal here is a
refusal there."""

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from escalation.workflow import Action
from helpdesk.api import serializers as s
from helpdesk.api.auth import api_actor
from helpdesk.api.base import ApiView, etag, if_match_version
from helpdesk.api.errors import field_errors
from helpdesk.api.pagination import page
from helpdesk.api.parsers import LimitedJSONParser
from helpdesk.directory.permissions import is_designated_expert_of, person_of
from helpdesk.directory.roles import Role, has_role
from helpdesk.models import Notice, Office, Ticket, User
from helpdesk.notices.permissions import notices_visible_to
from helpdesk.reports import services as reports
from helpdesk.reports.forms import ProblemReportForm
from helpdesk.tickets import forms as tf
from helpdesk.tickets import selectors
from helpdesk.tickets import services as svc
from helpdesk.tickets.permissions import available_actions, sees_internal_notes, tickets_visible_to
from helpdesk.tickets.services import ACTION_CALLS, ProblemReport

PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
# The queue a caller's list shows unless they name one: the first they may open.
DEFAULT_QUEUES = ("help_desk", "mis", "agency", "mine")


class Problem(serializers.Serializer):
    """RFC 9457 problem details."""

    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False
    )


def problems(*codes: int) -> dict[Any, Any]:
    """The documented refusals of an operation (401 and 429 are every operation's)."""
    return {
        (code, "application/problem+json"): OpenApiResponse(Problem, description=str(code))
        for code in sorted({401, 429, *codes})
    }


IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description="The ticket's ETag as you read it: 412 if it changed since, 428 without it.",
)
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="Sent again with the same body within 24 hours: the first answer, not a second "
    "action. Another body with the same key: 422.",
)
WRITE_PROBLEMS = (400, 403, 404, 409, 412, 413, 415, 422, 428)


def visible_ticket(request: Request, pk: int) -> Ticket:
    """The ticket if the caller may see it; a 404 otherwise (never a hint that it exists):
    the ticket page's getter."""
    return get_object_or_404(
        tickets_visible_to(request.user).select_related(
            "office__agency", "assignee", "local_expert", "reported_by", "mis_owner"
        ),
        pk=pk,
    )


def detail_response(request: Request, ticket: Ticket, *, status: int = 200) -> Response:
    actor = api_actor(request)
    actions = [str(a) for a in available_actions(actor, ticket)]
    body = s.TicketDetail(ticket, context={"actions": actions}).data
    headers = {"ETag": etag(ticket)}
    if status == 201:
        headers["Location"] = reverse("api_ticket", args=[ticket.pk])
    return Response(body, status=status, headers=headers)


def form_data(validated: dict[str, Any]) -> dict[str, Any]:
    """A validated API body as the page's form reads a POST (the radio's "yes"/"no")."""
    data: dict[str, Any] = {}
    for name, value in validated.items():
        if name == "can_duplicate":
            data[name] = "" if value is None else ("yes" if value else "no")
        elif value is None:
            data[name] = ""
        else:
            data[name] = value
    return data


def checked(form: forms.BaseForm) -> dict[str, Any]:
    """The page's form, valid, or a 400 naming each field's problem."""
    if not form.is_valid():
        raise exceptions.ValidationError(field_errors(form.errors))
    return form.cleaned_data


def parsed(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


# --- The queues ----------------------------------------------------------------------------------

# The form's declared fields (an instance would read the help desk staff at import).
_FILTER_FIELDS = tf.QueueFilterForm.base_fields
_FILTER_NAMES = tuple(_FILTER_FIELDS)


def _parameter(name: str, field: forms.Field) -> OpenApiParameter:
    kind: Any = OpenApiTypes.STR
    enum: list[Any] | None = None
    if isinstance(field, forms.BooleanField):
        kind = OpenApiTypes.BOOL
    elif isinstance(field, forms.DateField):
        kind = OpenApiTypes.DATE
    elif isinstance(field, forms.ModelChoiceField):
        kind = OpenApiTypes.INT
    elif isinstance(field, forms.TypedChoiceField) and name == "tier":
        kind, enum = OpenApiTypes.INT, [3, 4]
    elif isinstance(field, forms.ChoiceField) and name != "assignee":
        choices: Any = field.choices
        enum = [str(value) for value, _label in choices if value != ""]
    return OpenApiParameter(name, kind, OpenApiParameter.QUERY, enum=enum)


LIST_PARAMETERS = [
    OpenApiParameter(
        "queue",
        OpenApiTypes.STR,
        OpenApiParameter.QUERY,
        enum=list(selectors.QUEUES),
        description="Which queue (default: the first of help_desk, mis, agency, mine you may "
        "open). Filters other than status apply to the help_desk, mis and agency queues.",
    ),
    OpenApiParameter("cursor", OpenApiTypes.STR, OpenApiParameter.QUERY),
    OpenApiParameter(
        "page_size", OpenApiTypes.INT, OpenApiParameter.QUERY, description="1 to 100 (25)."
    ),
    *(_parameter(name, field) for name, field in _FILTER_FIELDS.items()),
]


def _queue_of(request: Request) -> str:
    name = request.query_params.get("queue", "")
    if not name:
        name = next((q for q in DEFAULT_QUEUES if selectors.may_open(request.user, q)), "")
        if not name:
            raise PermissionDenied(_("No queue is for your role."))
    if name not in selectors.QUEUES:
        raise exceptions.ValidationError({"queue": [_("There is no such queue.")]})
    if not selectors.may_open(request.user, name):
        raise PermissionDenied(_("This queue is not for your role."))
    return name


def _page_size(request: Request) -> int:
    raw = request.query_params.get("page_size", "")
    if not raw:
        return PAGE_SIZE
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_PAGE_SIZE:
        raise exceptions.ValidationError({"page_size": [_("A whole number from 1 to 100.")]})
    return int(raw)


class TicketList(ApiView):
    parser_classes = [LimitedJSONParser]

    @extend_schema(
        operation_id="tickets_list",
        summary="A queue's tickets",
        description="The queue page's tickets and filters (open work by default, newest first), "
        "one page at a time: follow `next` until it is null.",
        parameters=LIST_PARAMETERS,
        responses={200: s.TicketPage, **problems(400, 403)},
    )
    def get(self, request: Request) -> Response:
        name = _queue_of(request)
        spec = selectors.QUEUES[name]
        form_class = tf.QueueFilterForm if spec.filters else tf.QueueStatusForm
        allowed = {"queue", "cursor", "page_size", *_FILTER_NAMES}
        unknown = sorted(set(request.query_params) - allowed)
        if unknown:
            raise exceptions.ValidationError({n: [_("No such filter.")] for n in unknown})
        query = request.query_params.copy()
        for extra in ("queue", "cursor", "page_size"):
            query.pop(extra, None)
        if not spec.filters and set(query) - {"status"}:
            raise exceptions.ValidationError(
                {n: [_("This queue has no such filter.")] for n in sorted(set(query) - {"status"})}
            )
        cleaned = checked(form_class(query))
        size = _page_size(request)
        tickets = selectors.tickets_in(request.user, name).select_related(
            "office__agency", "assignee"
        )
        tickets = selectors.filtered(tickets, cleaned, user=request.user)
        sort = cleaned.get("sort") or "newest"
        rows, cursor = page(tickets, sort, request.query_params.get("cursor"), size)
        next_url = None
        if cursor:
            params = request.query_params.copy()
            params["cursor"] = cursor
            next_url = request.build_absolute_uri(f"{request.path}?{params.urlencode()}")
        return Response({"results": s.TicketListItem(rows, many=True).data, "next": next_url})

    @extend_schema(
        operation_id="tickets_report",
        summary="Report a problem (local experts)",
        description="The Problem Report Form, as a local expert sends it from the web: the "
        "ticket reaches the help desk with its tracking number.",
        request=s.ProblemReportIn,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: s.TicketDetail, **problems(400, 403, 409, 413, 415, 422)},
    )
    def post(self, request: Request) -> Response:
        user = request.user
        assert isinstance(user, User)
        offices = _my_offices(user)
        data = parsed(s.ProblemReportIn, request)
        if "office" not in data and offices.count() == 1:
            first = offices.first()
            assert first is not None
            data["office"] = first.pk
        form = ProblemReportForm(
            form_data(data), offices=offices, notices=list(notices_visible_to(user).open())
        )
        cleaned = checked(form)
        filed = reports.report_from_web(
            _report_from(cleaned),
            by=api_actor(request),
            office=cleaned["office"],
            notice=_notice(cleaned),
        )
        return detail_response(request, visible_ticket(request, filed.ticket.pk), status=201)


def _my_offices(user: User) -> QuerySet[Office]:
    """The offices the caller is a local expert of (the Problem Report Form page's rule)."""
    me = person_of(user)
    if me is None or not has_role(user, Role.LOCAL_EXPERT):
        raise PermissionDenied(_("Only local experts send the Problem Report Form."))
    return Office.objects.filter(designations__person=me).select_related("agency")


def _report_from(cleaned: dict[str, Any]) -> ProblemReport:
    fields = ProblemReport.__dataclass_fields__
    return ProblemReport(**{k: v for k, v in cleaned.items() if k in fields})


def _notice(cleaned: dict[str, Any]) -> Notice | None:
    notice = cleaned.get("notice")
    return notice if isinstance(notice, Notice) else None


# --- One ticket ----------------------------------------------------------------------------------


class TicketDetailView(ApiView):
    @extend_schema(
        operation_id="tickets_read",
        summary="A ticket",
        description="With the actions you may take now; its ETag is what `If-Match` sends back.",
        responses={200: s.TicketDetail, **problems(404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return detail_response(request, visible_ticket(request, pk))


class ActionView(ApiView):
    """One workflow action (``action``), through the ticket page's form and service."""

    parser_classes = [LimitedJSONParser]
    action: Action

    def act(self, request: Request, pk: int) -> Response:
        ticket = visible_ticket(request, pk)
        version = if_match_version(request, ticket)
        body = parsed(s.ACTION_BODIES[self.action], request)
        form = tf.ACTION_FORMS[self.action](form_data(body) | {"version": version})
        cleaned = checked(form)
        ACTION_CALLS[self.action](ticket, api_actor(request), cleaned, version)
        return detail_response(request, visible_ticket(request, pk))


def path_name(action: Action) -> str:
    return str(action.value).replace("_", "-")


def _action_view(action: Action) -> type[ActionView]:
    def post(self: ActionView, request: Request, pk: int) -> Response:
        return self.act(request, pk)

    post = extend_schema(
        operation_id=f"tickets_{action.value}",
        summary=str(action.label),
        description=f"The ticket page's “{action.label}”, through the one transition path.",
        request=s.ACTION_BODIES[action],
        parameters=[IF_MATCH, IDEMPOTENCY_KEY],
        responses={200: s.TicketDetail, **problems(*WRITE_PROBLEMS)},
    )(post)
    name = "".join(part.title() for part in action.value.split("_")) + "View"
    return type(name, (ActionView,), {"action": action, "post": post})


ACTION_VIEWS = {action: _action_view(action) for action in ACTION_CALLS}


class EscalateView(ApiView):
    """A local expert completes an agency user's report into the Problem Report Form and sends it
    to the help desk (the escalate page)."""

    parser_classes = [LimitedJSONParser]

    @extend_schema(
        operation_id="tickets_escalate",
        summary="Escalate to the help desk (local experts)",
        request=s.EscalateIn,
        parameters=[IF_MATCH, IDEMPOTENCY_KEY],
        responses={200: s.TicketDetail, **problems(*WRITE_PROBLEMS)},
    )
    def post(self, request: Request, pk: int) -> Response:
        ticket = visible_ticket(request, pk)
        if not is_designated_expert_of(request.user, ticket.office_id):
            raise PermissionDenied(_("Only a local expert of this office escalates its problems."))
        version = if_match_version(request, ticket)
        data = parsed(s.EscalateIn, request)
        notices = list(notices_visible_to(request.user).open())
        cleaned = checked(ProblemReportForm(form_data(data), notices=notices))
        reports.report_from_web(
            _report_from(cleaned),
            by=api_actor(request),
            office=ticket.office,
            from_ticket=ticket,
            expected_version=version,
            notice=_notice(cleaned),
        )
        return detail_response(request, visible_ticket(request, pk))


# --- Messages and attachments ------------------------------------------------------------------


class MessageList(ApiView):
    parser_classes = [LimitedJSONParser, MultiPartParser]

    @property
    def max_body(self) -> int:  # type: ignore[override]
        # A message with its files: each file up to the attachment limit, a few per message.
        return settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 5 * settings.ATTACHMENT_MAX_BYTES

    @extend_schema(
        operation_id="tickets_messages_list",
        summary="A ticket's messages",
        description="Oldest first; internal notes only for help desk and MIS staff.",
        responses={200: s.MessageOut(many=True), **problems(404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        ticket = visible_ticket(request, pk)
        messages = ticket.messages.order_by("created_at", "id").prefetch_related("attachments")
        if not sees_internal_notes(request.user):
            messages = messages.filter(internal=False)
        return Response(s.MessageOut(messages, many=True).data)

    @extend_schema(
        operation_id="tickets_messages_add",
        summary="Add a message (with files)",
        description="A reply or an internal note, as on the ticket page; send files as "
        "multipart/form-data (`files`, repeated), checked as the page checks them. A local "
        "expert's reply to a ticket waiting on them is the information asked for.",
        request={
            "application/json": s.MessageIn,
            "multipart/form-data": s.MessageIn,
        },
        parameters=[IDEMPOTENCY_KEY],
        responses={201: s.MessageOut, **problems(400, 403, 404, 409, 413, 415, 422)},
    )
    def post(self, request: Request, pk: int) -> Response:
        ticket = visible_ticket(request, pk)
        staff = sees_internal_notes(request.user)
        body = parsed(s.MessageIn, request)
        # Who may write an internal note is the service's rule (a 403 for anyone else).
        internal = bool(body.get("internal"))
        uploads = request.FILES.getlist("files") if hasattr(request.FILES, "getlist") else []
        form = tf.MessageForm(
            {"body": body["body"], "internal": internal}, {"files": uploads}, staff=staff
        )
        cleaned = checked(form)
        files = [(upload.name, upload.read()) for upload in cleaned["files"]]
        try:
            message = svc.post_message(
                ticket, by=api_actor(request), body=cleaned["body"], internal=internal, files=files
            )
        except ValidationError as error:
            raise exceptions.ValidationError({"files": error.messages}) from None
        message = ticket.messages.prefetch_related("attachments").get(pk=message.pk)
        return Response(s.MessageOut(message).data, status=201)


class AttachmentList(ApiView):
    @extend_schema(
        operation_id="tickets_attachments_list",
        summary="A ticket's files",
        responses={200: s.AttachmentOut(many=True), **problems(404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        ticket = visible_ticket(request, pk)
        files = ticket.attachments.order_by("created_at", "id")
        if not sees_internal_notes(request.user):
            files = files.filter(internal=False)
        return Response(s.AttachmentOut(files, many=True).data)


class AttachmentDownload(ApiView):
    @extend_schema(
        operation_id="tickets_attachments_download",
        summary="Download a file",
        responses={
            (200, "*/*"): OpenApiResponse(OpenApiTypes.BINARY),
            **problems(404),
        },
    )
    def get(self, request: Request, pk: int, attachment_pk: int) -> FileResponse:
        ticket = visible_ticket(request, pk)
        attachment = get_object_or_404(ticket.attachments, pk=attachment_pk)
        if attachment.internal and not sees_internal_notes(request.user):
            raise exceptions.NotFound()
        response = FileResponse(
            attachment.file.open("rb"),
            as_attachment=True,
            filename=attachment.original_name,
            content_type=attachment.content_type,
        )
        # Never rendered by the browser, whatever it holds (as the ticket page serves it).
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response
