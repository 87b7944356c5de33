"""Read-only resources of the API: notices, procedures and offices (with their local experts),
each scoped by its own page's getter (``notices_visible_to``, ``procedures_visible_to``,
``offices_visible_to``) and filtered by its page's form."""

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from helpdesk.api.base import ApiView
from helpdesk.api.pagination import encode_offset, offset_of
from helpdesk.api.tickets import checked, problems
from helpdesk.directory.permissions import offices_visible_to
from helpdesk.models import (
    LocalExpertDesignation,
    Notice,
    Office,
    Procedure,
    ProcedureAudience,
    System,
)
from helpdesk.notices import forms as nf
from helpdesk.notices.permissions import notices_visible_to
from helpdesk.procedures import forms as pf
from helpdesk.procedures import services as ps

PAGE_SIZE = 50


def _paged(request: Request, rows: QuerySet[Any], serializer: Any) -> Response:
    start = offset_of(request.query_params.get("cursor"))
    found = list(rows[start : start + PAGE_SIZE + 1])
    next_url = None
    if len(found) > PAGE_SIZE:
        params = request.query_params.copy()
        params["cursor"] = encode_offset(start + PAGE_SIZE)
        next_url = request.build_absolute_uri(f"{request.path}?{params.urlencode()}")
    return Response({"results": serializer(found[:PAGE_SIZE], many=True).data, "next": next_url})


def _only(request: Request, *names: str) -> Any:
    unknown = sorted(set(request.query_params) - {*names, "cursor"})
    if unknown:
        raise exceptions.ValidationError({n: [_("No such filter.")] for n in unknown})
    query = request.query_params.copy()
    query.pop("cursor", None)
    return query


CURSOR = OpenApiParameter("cursor", OpenApiTypes.STR)


# --- Notices ---------------------------------------------------------------------------------


class NoticeOut(serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True)
    systems = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Notice
        fields = [
            "id",
            "reference",
            "title",
            "systems",
            "severity",
            "audience",
            "state",
            "text",
            "starts_at",
            "expected_end_at",
            "published_at",
            "resolved_at",
            "version",
        ]
        read_only_fields = fields


def _page_of(item: type[serializers.Serializer]) -> type[serializers.Serializer]:
    return type(
        f"{item.__name__.removesuffix('Out')}Page",
        (serializers.Serializer,),
        {"results": item(many=True), "next": serializers.CharField(allow_null=True)},
    )


class NoticeList(ApiView):
    @extend_schema(
        operation_id="notices_list",
        summary="Notices of system problems",
        description="Those the notices page shows you: open ones by default.",
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, enum=["open", "resolved", "all"]),
            OpenApiParameter("system", OpenApiTypes.STR, enum=list(System.values)),
            CURSOR,
        ],
        responses={200: _page_of(NoticeOut), **problems(400)},
    )
    def get(self, request: Request) -> Response:
        cleaned = checked(nf.NoticeFilterForm(_only(request, "status", "system")))
        notices = notices_visible_to(request.user)
        status = cleaned.get("status") or "open"
        if status == "open":
            notices = notices.open()
        elif status == "resolved":
            notices = notices.filter(resolved_at__isnull=False)
        if cleaned.get("system"):
            notices = notices.about(cleaned["system"])
        return _paged(request, notices.order_by("-published_at", "-id"), NoticeOut)


class NoticeOne(ApiView):
    @extend_schema(
        operation_id="notices_read",
        summary="A notice",
        responses={200: NoticeOut, **problems(404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(NoticeOut(get_object_or_404(notices_visible_to(request.user), pk=pk)).data)


# --- Procedures ------------------------------------------------------------------------------


class ProcedureOut(serializers.ModelSerializer):
    title = serializers.CharField(source="current_version.title", read_only=True)
    version = serializers.IntegerField(source="current_version.number", read_only=True)
    updated_at = serializers.DateTimeField(source="current_version.created_at", read_only=True)

    class Meta:
        model = Procedure
        fields = ["id", "title", "audience", "version", "updated_at", "archived_at"]
        read_only_fields = fields


class ProcedureDetail(ProcedureOut):
    body = serializers.CharField(
        source="current_version.body", read_only=True, help_text="Markdown."
    )

    class Meta(ProcedureOut.Meta):
        fields = [*ProcedureOut.Meta.fields, "body"]
        read_only_fields = fields


class ProcedureList(ApiView):
    @extend_schema(
        operation_id="procedures_list",
        summary="The procedures library",
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR),
            OpenApiParameter("audience", OpenApiTypes.STR, enum=list(ProcedureAudience.values)),
            OpenApiParameter(
                "archived", OpenApiTypes.BOOL, description="Archived only (their managers)."
            ),
            CURSOR,
        ],
        responses={200: _page_of(ProcedureOut), **problems(400)},
    )
    def get(self, request: Request) -> Response:
        data = checked(pf.ProcedureSearchForm(_only(request, "q", "audience", "archived")))
        manager = ps.may_manage_procedures(request.user)
        procedures = ps.procedures_visible_to(request.user)
        if manager and data.get("archived"):
            procedures = procedures.exclude(archived_at=None)
        else:
            procedures = procedures.live()
        procedures = ps.search(
            procedures, text=data.get("q", ""), audience=data.get("audience", "")
        )
        return _paged(request, procedures.order_by("current_version__title", "pk"), ProcedureOut)


class ProcedureOne(ApiView):
    @extend_schema(
        operation_id="procedures_read",
        summary="A procedure",
        responses={200: ProcedureDetail, **problems(404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(ProcedureDetail(ps.get_procedure_for_user(request.user, pk)).data)


# --- Offices ---------------------------------------------------------------------------------


class ExpertOut(serializers.ModelSerializer):
    name = serializers.CharField(source="person.full_name", read_only=True)
    email = serializers.CharField(source="person.primary_email", read_only=True)
    phone = serializers.CharField(source="person.phone", read_only=True)

    class Meta:
        model = LocalExpertDesignation
        fields = ["role", "name", "email", "phone"]
        read_only_fields = fields


class OfficeOut(serializers.ModelSerializer):
    agency = serializers.CharField(source="agency.name", read_only=True)
    local_experts = ExpertOut(source="designations", many=True, read_only=True)

    class Meta:
        model = Office
        fields = ["id", "name", "agency", "city", "phone", "active", "local_experts"]
        read_only_fields = fields


def _offices(request: Request) -> QuerySet[Office]:
    return offices_visible_to(request.user).prefetch_related("designations__person")


class OfficeList(ApiView):
    @extend_schema(
        operation_id="offices_list",
        summary="Offices and their local experts",
        description="Every office for state staff; your own agency's for agency staff.",
        parameters=[CURSOR],
        responses={200: _page_of(OfficeOut), **problems(400)},
    )
    def get(self, request: Request) -> Response:
        _only(request)
        return _paged(request, _offices(request).order_by("agency__name", "name", "pk"), OfficeOut)


class OfficeOne(ApiView):
    @extend_schema(
        operation_id="offices_read",
        summary="An office and its local experts",
        responses={200: OfficeOut, **problems(404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(OfficeOut(get_object_or_404(_offices(request), pk=pk)).data)
