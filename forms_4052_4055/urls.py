from django.urls import path

from forms_4052_4055 import views

urlpatterns = [
    path("", views.tracking, name="forms_tracking"),
    path("issue/", views.issue, name="forms_issue"),
    path("people/<int:pk>/", views.person_forms, name="person_forms"),
    path("<int:pk>/", views.form_detail, name="form_detail"),
    path("<int:pk>/form.pdf", views.blank_download, name="form_blank_pdf"),
    path("<int:pk>/upload/", views.form_upload, name="form_upload"),
    path("<int:pk>/verify/", views.form_verify, name="form_verify"),
    path("<int:pk>/file/", views.form_file, name="form_file"),
    path("<int:pk>/void/", views.form_void, name="form_void"),
    path(
        "<int:pk>/documents/<int:document_pk>/",
        views.document_download,
        name="form_document",
    ),
]
