from django.urls import path

from helpdesk.views import absences, directory, home

urlpatterns = [
    path("", home.home, name="home"),
    path("healthz", home.healthz, name="healthz"),
    path("directory/", directory.directory, name="directory"),
    path("directory/offices/<int:pk>/", directory.office_detail, name="office_detail"),
    path("absences/", absences.absence_list, name="absence_list"),
    path("absences/new/", absences.absence_new, name="absence_new"),
    path("absences/<int:pk>/cancel/", absences.absence_cancel, name="absence_cancel"),
]
