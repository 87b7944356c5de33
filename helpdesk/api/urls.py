"""The routes of /api/v1/ (config.urls includes them under that prefix)."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView

from helpdesk.api import dashboard, docs, mail, reads, tickets
from helpdesk.api.errors import not_found

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("docs/", docs.api_docs, name="api_docs"),
    path("tickets/", tickets.TicketList.as_view(), name="api_tickets"),
    path("tickets/<int:pk>/", tickets.TicketDetailView.as_view(), name="api_ticket"),
    path("tickets/<int:pk>/escalate/", tickets.EscalateView.as_view(), name="api_ticket_escalate"),
    path("tickets/<int:pk>/messages/", tickets.MessageList.as_view(), name="api_ticket_messages"),
    path(
        "tickets/<int:pk>/attachments/",
        tickets.AttachmentList.as_view(),
        name="api_ticket_attachments",
    ),
    path(
        "tickets/<int:pk>/attachments/<int:attachment_pk>/",
        tickets.AttachmentDownload.as_view(),
        name="api_ticket_attachment",
    ),
    *(
        path(
            f"tickets/<int:pk>/{tickets.path_name(action)}/",
            view.as_view(),
            name=f"api_ticket_{action.value}",
        )
        for action, view in tickets.ACTION_VIEWS.items()
    ),
    path("inbound/", mail.InboundList.as_view(), name="api_inbound"),
    path("inbound/<int:pk>/", mail.InboundOne.as_view(), name="api_inbound_one"),
    path("inbound/<int:pk>/raw/", mail.InboundRaw.as_view(), name="api_inbound_raw"),
    path("inbound/<int:pk>/release/", mail.InboundRelease.as_view(), name="api_inbound_release"),
    path("inbound/<int:pk>/discard/", mail.InboundDiscard.as_view(), name="api_inbound_discard"),
    path("notices/", reads.NoticeList.as_view(), name="api_notices"),
    path("notices/<int:pk>/", reads.NoticeOne.as_view(), name="api_notice"),
    path("procedures/", reads.ProcedureList.as_view(), name="api_procedures"),
    path("procedures/<int:pk>/", reads.ProcedureOne.as_view(), name="api_procedure"),
    path("offices/", reads.OfficeList.as_view(), name="api_offices"),
    path("offices/<int:pk>/", reads.OfficeOne.as_view(), name="api_office"),
    path("dashboard/<slug:page>/", dashboard.DashboardFigures.as_view(), name="api_dashboard"),
    # Anything else under /api/v1/: a problem+json 404, not the site's HTML page.
    re_path(r"^.*$", not_found),
]
