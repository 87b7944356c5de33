from django.urls import path

from helpdesk.search import views

urlpatterns = [path("search/", views.search_page, name="search")]
