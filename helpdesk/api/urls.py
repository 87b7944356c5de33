"""The routes of /api/v1/ (config.urls includes them under that prefix)."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView

from helpdesk.api import docs, tickets
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
    # Anything else under /api/v1/: a problem+json 404, not the site's HTML page.
    re_path(r"^.*$", not_found),
]
