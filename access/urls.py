from django.urls import path

from access import staff, views
from access.agency_reports import views as reports

AGENCY_MONTH = "reports/<int:agency_pk>/<int:year>/<int:month>"
AGENCY_QUARTER = "reports/<int:agency_pk>/<int:year>/q<int:quarter>"

urlpatterns = [
    path("reviews/", views.campaigns, name="review_campaigns"),
    path("reviews/<int:pk>/", views.campaign_detail, name="review_campaign"),
    path(
        "reviews/<int:pk>/items/<int:item_pk>/",
        views.decide,
        name="review_decide",
    ),
    path("report.csv", views.access_report, name="access_report"),
    path("reports/", reports.index, name="agency_reports"),
    path(f"{AGENCY_MONTH}/", reports.monthly, name="agency_report_monthly"),
    path(f"{AGENCY_MONTH}.csv", reports.monthly_csv, name="agency_report_monthly_csv"),
    path(f"{AGENCY_QUARTER}/reviews/", reports.reviews, name="agency_report_reviews"),
    path(f"{AGENCY_QUARTER}/reviews.csv", reports.reviews_csv, name="agency_report_reviews_csv"),
    path(f"{AGENCY_QUARTER}/departures/", reports.departures, name="agency_report_departures"),
    path(
        f"{AGENCY_QUARTER}/departures.csv",
        reports.departures_csv,
        name="agency_report_departures_csv",
    ),
    path("revocations/", views.revocations, name="revocations"),
    path("staff/", staff.staff_list, name="staff_list"),
    path("staff/<int:office_pk>/", staff.staff_list, name="staff_list_office"),
    path("people/<int:pk>/", views.person_access, name="person_access"),
    path("requests/<int:pk>/", views.request_detail, name="access_request"),
    path("requests/<int:pk>/reset/", views.reset_password, name="access_reset_password"),
    path("requests/<int:pk>/<slug:action>/", views.request_action, name="access_request_action"),
]
