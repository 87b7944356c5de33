from django.urls import path

from access import staff, views

urlpatterns = [
    path("reviews/", views.campaigns, name="review_campaigns"),
    path("reviews/<int:pk>/", views.campaign_detail, name="review_campaign"),
    path(
        "reviews/<int:pk>/items/<int:item_pk>/",
        views.decide,
        name="review_decide",
    ),
    path("report.csv", views.access_report, name="access_report"),
    path("revocations/", views.revocations, name="revocations"),
    path("staff/", staff.staff_list, name="staff_list"),
    path("staff/<int:office_pk>/", staff.staff_list, name="staff_list_office"),
    path("people/<int:pk>/", views.person_access, name="person_access"),
    path("requests/<int:pk>/", views.request_detail, name="access_request"),
    path("requests/<int:pk>/reset/", views.reset_password, name="access_reset_password"),
    path("requests/<int:pk>/<slug:action>/", views.request_action, name="access_request_action"),
]
