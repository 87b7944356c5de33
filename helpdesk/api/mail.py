"""Inbound mail for help desk staff through the API: the list (the page's filter form), one
message, its raw copy, and the quarantine's release and discard, through the mail intake's
own use cases (``helpdesk.mail.intake``). Who may: ``may_review_mail``, as on the pages."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from helpdesk.api.auth import api_actor
from helpdesk.api.base import ApiView
from helpdesk.api.errors import StrictSerializer
from helpdesk.api.pagination import encode_offset, offset_of
from helpdesk.api.parsers import LimitedJSONParser
from helpdesk.api.tickets import IDEMPOTENCY_KEY, checked, form_data, parsed, problems
from helpdesk.directory.permissions import may_review_mail
from helpdesk.mail import forms as mf
from helpdesk.mail import intake
from helpdesk.mail.parse import parse_message
from helpdesk.models import InboundMessage, InboundStatus, Outcome

PAGE_SIZE = 50


class InboundOut(serializers.ModelSerializer):
    ticket = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = InboundMessage
        fields = [
            "id",
            "received_at",
            "source",
            "status",
            "outcome",
            "quarantine_reason",
            "detail",
            "from_address",
            "from_name",
            "sender_proof",
            "subject",
            "sent_at",
            "size",
            "ticket",
            "decided_at",
            "decision_note",
        ]
        read_only_fields = fields


class InboundDetail(InboundOut):
    attachments = serializers.SerializerMethodField(
        help_text="How many files it carries: what a discard loses (send it back to discard)."
    )

    class Meta(InboundOut.Meta):
        fields = [*InboundOut.Meta.fields, "attachments"]
        read_only_fields = fields

    def get_attachments(self, inbound: InboundMessage) -> int:
        return len(parse_message(inbound.raw_bytes).attachments)


class InboundPage(serializers.Serializer):
    results = InboundOut(many=True)
    next = serializers.CharField(allow_null=True)


class ReleaseIn(StrictSerializer):
    office = serializers.IntegerField(
        required=False, allow_null=True, help_text="For a new report (default: the sender's)."
    )
    note = serializers.CharField(max_length=500, required=False, allow_blank=True)


class DiscardIn(StrictSerializer):
    reason = serializers.CharField(max_length=500, allow_blank=True, trim_whitespace=False)
    attachments = serializers.IntegerField(
        min_value=0,
        help_text="The message's number of attached files, as read: the page's confirmation "
        "step. A number that moved since is a 409, and nothing is discarded.",
    )


def _require_reviewer(request: Request) -> None:
    if not may_review_mail(request.user):
        raise PermissionDenied(_("Inbound mail is for help desk staff."))


def _inbound(pk: int) -> InboundMessage:
    return get_object_or_404(InboundMessage.objects.select_related("ticket", "decided_by"), pk=pk)


VIEWS = [value for value, _label in mf.InboundFilterForm.VIEWS]


class InboundList(ApiView):
    @extend_schema(
        operation_id="inbound_list",
        summary="Inbound mail (help desk)",
        description="The inbound mail page's list, newest first: the quarantine by default.",
        parameters=[
            OpenApiParameter("view", OpenApiTypes.STR, enum=VIEWS),
            OpenApiParameter("outcome", OpenApiTypes.STR, enum=list(Outcome.values)),
            OpenApiParameter("q", OpenApiTypes.STR),
            OpenApiParameter("cursor", OpenApiTypes.STR),
        ],
        responses={200: InboundPage, **problems(400, 403)},
    )
    def get(self, request: Request) -> Response:
        _require_reviewer(request)
        unknown = sorted(set(request.query_params) - {"view", "outcome", "q", "cursor"})
        if unknown:
            raise exceptions.ValidationError({n: [_("No such filter.")] for n in unknown})
        query = request.query_params.copy()
        query.pop("cursor", None)
        data = checked(mf.InboundFilterForm(query))
        rows = InboundMessage.objects.without_raw().select_related("ticket")
        rows = {
            "quarantine": rows.quarantined(),
            "failed": rows.filter(status=InboundStatus.FAILED),
            "pending": rows.pending(),
            "all": rows,
        }[data.get("view") or "quarantine"]
        if data.get("outcome"):
            rows = rows.filter(outcome=data["outcome"])
        if data.get("q"):
            rows = rows.filter(
                Q(from_address__icontains=data["q"]) | Q(subject__icontains=data["q"])
            )
        start = offset_of(request.query_params.get("cursor"))
        found = list(rows.order_by("-received_at", "-id")[start : start + PAGE_SIZE + 1])
        next_url = None
        if len(found) > PAGE_SIZE:
            params = request.query_params.copy()
            params["cursor"] = encode_offset(start + PAGE_SIZE)
            next_url = request.build_absolute_uri(f"{request.path}?{params.urlencode()}")
        body = {"results": InboundOut(found[:PAGE_SIZE], many=True).data, "next": next_url}
        return Response(body)


class InboundOne(ApiView):
    @extend_schema(
        operation_id="inbound_read",
        summary="An inbound message (help desk)",
        responses={200: InboundDetail, **problems(403, 404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        _require_reviewer(request)
        return Response(InboundDetail(_inbound(pk)).data)


class InboundRaw(ApiView):
    @extend_schema(
        operation_id="inbound_raw",
        summary="An inbound message as received (help desk)",
        responses={
            (200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY),
            **problems(403, 404),
        },
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        _require_reviewer(request)
        inbound = get_object_or_404(InboundMessage, pk=pk)
        response = HttpResponse(inbound.raw_bytes, content_type="application/octet-stream")
        response["Content-Disposition"] = f'attachment; filename="inbound-{inbound.pk}.eml"'
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response


class InboundRelease(ApiView):
    parser_classes = [LimitedJSONParser]

    @extend_schema(
        operation_id="inbound_release",
        summary="Release a quarantined message (help desk)",
        request=ReleaseIn,
        parameters=[IDEMPOTENCY_KEY],
        responses={200: InboundDetail, **problems(400, 403, 404, 409, 413, 415, 422)},
    )
    def post(self, request: Request, pk: int) -> Response:
        _require_reviewer(request)
        inbound = _inbound(pk)
        cleaned = checked(mf.ReleaseForm(form_data(parsed(ReleaseIn, request))))
        intake.release(
            inbound, by=api_actor(request), office=cleaned["office"], note=cleaned["note"]
        )
        return Response(InboundDetail(_inbound(pk)).data)


class InboundDiscard(ApiView):
    parser_classes = [LimitedJSONParser]

    @extend_schema(
        operation_id="inbound_discard",
        summary="Discard a quarantined message (help desk)",
        description="Cannot be undone: the message never becomes a ticket or a reply, and its "
        "sender is not told. Send `attachments` as read from the message (the page's "
        "confirmation step): 409 if it differs.",
        request=DiscardIn,
        parameters=[IDEMPOTENCY_KEY],
        responses={200: InboundDetail, **problems(400, 403, 404, 409, 413, 415, 422)},
    )
    def post(self, request: Request, pk: int) -> Response:
        _require_reviewer(request)
        inbound = _inbound(pk)
        body: dict[str, Any] = parsed(DiscardIn, request)
        cleaned = checked(mf.DiscardForm({"reason": body["reason"]}))
        files = len(parse_message(inbound.raw_bytes).attachments)
        if body["attachments"] != files:
            raise Confirm(files)
        intake.discard(inbound, by=api_actor(request), reason=cleaned["reason"])
        return Response(InboundDetail(_inbound(pk)).data)


class Confirm(exceptions.APIException):
    status_code = 409
    default_code = "confirm"

    def __init__(self, files: int) -> None:
        super().__init__(
            _(
                "This message carries %(files)d attached files, none of which will reach a "
                "ticket: send attachments=%(files)d to discard it."
            )
            % {"files": files}
        )
