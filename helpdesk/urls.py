from django.urls import include, path

from helpdesk.dashboards import views as dashboards
from helpdesk.directory import views as absences
from helpdesk.directory import views as directory
from helpdesk.home import views as home
from helpdesk.mail import views as mail
from helpdesk.notices import views as notices
from helpdesk.ops import views as ops
from helpdesk.procedures import views as procedures
from helpdesk.reports import views as reports
from helpdesk.tickets import views as tickets
from helpdesk.tickets import views_merge as merge
from helpdesk.tickets import views_replies as replies
from helpdesk.webhooks import views as webhooks

urlpatterns = [
    path("", home.home, name="home"),
    path("", include("helpdesk.search.urls")),
    path("healthz", home.healthz, name="healthz"),
    path("readyz", ops.readyz, name="readyz"),
    path("metrics", ops.metrics, name="metrics"),
    path("directory/", directory.directory, name="directory"),
    path("directory/offices/<int:pk>/", directory.office_detail, name="office_detail"),
    path(
        "directory/people/<int:pk>/reactivate/",
        directory.person_reactivate,
        name="person_reactivate",
    ),
    # The agency's staff list (its page: access.staff) and the help desk's review of it.
    path(
        "directory/staff/<int:office_pk>/add/",
        directory.staff_person_new,
        name="staff_person_new",
    ),
    path(
        "directory/staff/people/<int:pk>/edit/",
        directory.staff_person_edit,
        name="staff_person_edit",
    ),
    path(
        "directory/staff/<int:office_pk>/designation/",
        directory.designation_request_new,
        name="designation_request_new",
    ),
    path("directory/staff-changes/", directory.staff_changes, name="staff_changes"),
    path(
        "directory/staff-changes/<int:pk>/undo/",
        directory.staff_change_undo,
        name="staff_change_undo",
    ),
    path(
        "directory/designation-requests/",
        directory.designation_requests,
        name="designation_requests",
    ),
    path(
        "directory/designation-requests/<int:pk>/<slug:action>/",
        directory.designation_request_decide,
        name="designation_request_decide",
    ),
    path("absences/", absences.absence_list, name="absence_list"),
    path("absences/new/", absences.absence_new, name="absence_new"),
    path("absences/<int:pk>/cancel/", absences.absence_cancel, name="absence_cancel"),
    path("report/", reports.report_problem, name="report_problem"),
    path("problem-report/", reports.problem_report_new, name="problem_report_new"),
    path("queues/<slug:name>/", tickets.queue, name="queue"),
    path("queues/<slug:name>/bulk/", tickets.queue_bulk, name="queue_bulk"),
    path("queues/<slug:name>/filters/", tickets.saved_filter_create, name="saved_filter_create"),
    path(
        "queues/<slug:name>/filters/<int:pk>/delete/",
        tickets.saved_filter_delete,
        name="saved_filter_delete",
    ),
    path("tickets/<int:pk>/assign-to-me/", tickets.ticket_assign_me, name="ticket_assign_me"),
    path("tickets/<int:pk>/", tickets.ticket_detail, name="ticket_detail"),
    path("tickets/<int:pk>/escalate/", reports.escalate, name="ticket_escalate"),
    path("tickets/<int:pk>/act/<slug:action>/", tickets.ticket_action, name="ticket_action"),
    path("tickets/<int:pk>/messages/", tickets.ticket_message, name="ticket_message"),
    path("tickets/<int:pk>/update/<slug:what>/", tickets.ticket_update, name="ticket_update"),
    path(
        "tickets/<int:pk>/mis-owner/",
        tickets.ticket_take_ownership,
        name="ticket_take_ownership",
    ),
    path("tickets/<int:pk>/merge/", merge.ticket_merge, name="ticket_merge"),
    path("saved-replies/", replies.saved_reply_list, name="saved_reply_list"),
    path("saved-replies/<int:pk>/", replies.saved_reply_edit, name="saved_reply_edit"),
    path("mail/", mail.inbound_list, name="inbound_list"),
    path("mail/<int:pk>/", mail.inbound_detail, name="inbound_detail"),
    path("mail/<int:pk>/raw/", mail.inbound_raw, name="inbound_raw"),
    path("mail/<int:pk>/release/", mail.inbound_release, name="inbound_release"),
    path("mail/<int:pk>/discard/", mail.inbound_discard, name="inbound_discard"),
    path("mail/<int:pk>/reprocess/", mail.inbound_reprocess, name="inbound_reprocess"),
    path("notices/", notices.notice_list, name="notice_list"),
    path("notices/new/", notices.notice_new, name="notice_new"),
    path("notices/<int:pk>/", notices.notice_detail, name="notice_detail"),
    path("notices/<int:pk>/update/", notices.notice_update, name="notice_update"),
    path("notices/<int:pk>/resolve/", notices.notice_resolve, name="notice_resolve"),
    path("notices/<int:pk>/link/", notices.notice_link_tickets, name="notice_link_tickets"),
    path("tickets/<int:pk>/notice/", notices.ticket_notice, name="ticket_notice"),
    # Dashboards: the full one (help desk, administrators) and MIS's own, each with its CSV.
    path("dashboard/", dashboards.dashboard, name="dashboard"),
    path("dashboard/export.csv", dashboards.dashboard_csv, name="dashboard_csv"),
    path("dashboard/mis/", dashboards.mis_dashboard, name="mis_dashboard"),
    path("dashboard/mis/export.csv", dashboards.mis_dashboard_csv, name="mis_dashboard_csv"),
    path(
        "tickets/<int:pk>/attachments/<int:attachment_pk>/",
        tickets.attachment_download,
        name="attachment_download",
    ),
]

# --- The procedures library ---------------------------------------------------------------------
urlpatterns += [
    path("procedures/", procedures.procedure_list, name="procedure_list"),
    path("procedures/new/", procedures.procedure_new, name="procedure_new"),
    path("procedures/<int:pk>/", procedures.procedure_detail, name="procedure_detail"),
    path("procedures/<int:pk>/edit/", procedures.procedure_edit, name="procedure_edit"),
    path("procedures/<int:pk>/archive/", procedures.procedure_archive, name="procedure_archive"),
    path("procedures/<int:pk>/restore/", procedures.procedure_restore, name="procedure_restore"),
    path("procedures/<int:pk>/resend/", procedures.procedure_resend, name="procedure_resend"),
    path("procedures/<int:pk>/history/", procedures.procedure_history, name="procedure_history"),
    path(
        "procedures/<int:pk>/versions/<int:number>/",
        procedures.procedure_version,
        name="procedure_version",
    ),
    path(
        "procedures/<int:pk>/acknowledge/",
        procedures.procedure_acknowledge,
        name="procedure_acknowledge",
    ),
    path(
        "procedures/acknowledge/",
        procedures.acknowledge_link,
        name="procedure_acknowledge_link",
    ),
    path(  # links mailed before the token moved to the URL's fragment
        "procedures/acknowledge/<str:token>/",
        procedures.acknowledge_link_with_token_in_path,
        name="procedure_acknowledge_link_with_token_in_path",
    ),
    path(
        "procedures/acknowledgements/",
        procedures.acknowledgement_list,
        name="acknowledgement_list",
    ),
    path(
        "procedures/offices/<int:pk>/send-welcome/",
        procedures.office_send_welcome,
        name="office_send_welcome",
    ),
]

# --- Webhooks (administrators) ------------------------------------------------------------------
urlpatterns += [
    path("webhooks/", webhooks.webhook_list, name="webhook_list"),
    path("webhooks/new/", webhooks.webhook_new, name="webhook_new"),
    path("webhooks/<int:pk>/", webhooks.webhook_edit, name="webhook_edit"),
    path("webhooks/<int:pk>/pause/", webhooks.webhook_pause, name="webhook_pause"),
    path("webhooks/<int:pk>/resume/", webhooks.webhook_resume, name="webhook_resume"),
    path("webhooks/<int:pk>/delete/", webhooks.webhook_delete, name="webhook_delete"),
    path("webhooks/<int:pk>/deliveries/", webhooks.webhook_deliveries, name="webhook_deliveries"),
    path(
        "webhooks/<int:pk>/deliveries/<int:delivery_pk>/resend/",
        webhooks.webhook_resend,
        name="webhook_resend",
    ),
]
