"""URLs of the registry import pages (upload, progress, error report), under /registry/import/."""

from django.urls import path

from . import views_import

urlpatterns = [
    path("", views_import.import_upload, name="import_upload"),
    path("template.<str:fmt>", views_import.import_template, name="import_template"),
    path("<uuid:pk>/", views_import.import_status, name="import_status"),
    path("<uuid:pk>/report/", views_import.import_report, name="import_report"),
]
