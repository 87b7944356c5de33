"""The dashboards' figures through the API: the same sections, tables and counts as the
dashboard pages (``helpdesk.dashboards.page``), for the same roles, under the same filters."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from helpdesk.api.base import ApiView
from helpdesk.api.errors import field_errors
from helpdesk.api.tickets import problems
from helpdesk.dashboards import page as dash
from helpdesk.dashboards.filters import dashboard_filters
from helpdesk.dashboards.registry import FULL, MIS
from helpdesk.dashboards.tables import Table
from helpdesk.models import System, User


class RowOut(serializers.Serializer):
    label = serializers.CharField()
    values = serializers.ListField(child=serializers.IntegerField())


class TableOut(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    label_heading = serializers.CharField()
    columns = serializers.ListField(child=serializers.CharField())
    rows = RowOut(many=True)


class SectionOut(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    tables = TableOut(many=True)


class DashboardOut(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    sections = SectionOut(many=True)


def _table(table: Table) -> dict[str, object]:
    return {
        "key": table.key,
        "title": str(table.title),
        "label_heading": str(table.label_heading),
        "columns": [str(c) for c in table.columns],
        "rows": [
            {"label": str(row.label), "values": [cell.value for cell in row.cells]}
            for row in table.rows
        ],
    }


class DashboardFigures(ApiView):
    @extend_schema(
        operation_id="dashboard_figures",
        summary="Dashboard figures",
        description="The dashboard page's figures (`full`: help desk and administrators; "
        "`mis`: MIS), under its filters (the last weeks by default).",
        parameters=[
            OpenApiParameter("page", OpenApiTypes.STR, OpenApiParameter.PATH, enum=[FULL, MIS]),
            OpenApiParameter("start", OpenApiTypes.DATE),
            OpenApiParameter("end", OpenApiTypes.DATE),
            OpenApiParameter("agency", OpenApiTypes.INT),
            OpenApiParameter("system", OpenApiTypes.STR, enum=list(System.values)),
        ],
        responses={200: DashboardOut, **problems(400, 403, 404)},
    )
    def get(self, request: Request, page: str) -> Response:
        if page not in (FULL, MIS):
            raise exceptions.NotFound()
        user = request.user
        assert isinstance(user, User)
        dash.require_page(user, page)
        unknown = sorted(set(request.query_params) - {"start", "end", "agency", "system"})
        if unknown:
            raise exceptions.ValidationError({n: ["No such filter."] for n in unknown})
        form, filters = dashboard_filters(request.query_params)
        if form.is_bound and not form.is_valid():
            raise exceptions.ValidationError(field_errors(form.errors))
        shown = dash.build(user, page, filters)
        body = {
            "start": filters.start,
            "end": filters.end,
            "sections": [
                {
                    "key": item.section.key,
                    "title": str(item.section.title),
                    "tables": [_table(t) for t in item.tables],
                }
                for item in shown
            ],
        }
        return Response(DashboardOut(body).data)
