from django.urls import path

from helpdesk.views import absences, dashboards, directory, home, mail, tickets

urlpatterns = [
    path("", home.home, name="home"),
    path("healthz", home.healthz, name="healthz"),
    path("directory/", directory.directory, name="directory"),
    path("directory/offices/<int:pk>/", directory.office_detail, name="office_detail"),
    path("absences/", absences.absence_list, name="absence_list"),
    path("absences/new/", absences.absence_new, name="absence_new"),
    path("absences/<int:pk>/cancel/", absences.absence_cancel, name="absence_cancel"),
    path("report/", tickets.report_problem, name="report_problem"),
    path("problem-report/", tickets.problem_report_new, name="problem_report_new"),
    path("queues/<slug:name>/", tickets.queue, name="queue"),
    path("tickets/<int:pk>/", tickets.ticket_detail, name="ticket_detail"),
    path("tickets/<int:pk>/escalate/", tickets.escalate, name="ticket_escalate"),
    path("tickets/<int:pk>/act/<slug:action>/", tickets.ticket_action, name="ticket_action"),
    path("tickets/<int:pk>/messages/", tickets.ticket_message, name="ticket_message"),
    path("tickets/<int:pk>/update/<slug:what>/", tickets.ticket_update, name="ticket_update"),
    path("mail/", mail.inbound_list, name="inbound_list"),
    path("mail/<int:pk>/", mail.inbound_detail, name="inbound_detail"),
    path("mail/<int:pk>/raw/", mail.inbound_raw, name="inbound_raw"),
    path("mail/<int:pk>/release/", mail.inbound_release, name="inbound_release"),
    path("mail/<int:pk>/discard/", mail.inbound_discard, name="inbound_discard"),
    path("mail/<int:pk>/reprocess/", mail.inbound_reprocess, name="inbound_reprocess"),
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
