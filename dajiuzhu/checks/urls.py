from django.urls import path

from . import views

app_name = "checks"

urlpatterns = [
    path("deliveries/", views.deliveries, name="deliveries"),
    path("deliveries/<int:pk>/", views.delivery_detail, name="delivery"),
    path("deliveries/<int:pk>/errors.csv", views.delivery_errors, name="delivery_errors"),
    path("templates/<slug:data_type>.csv", views.template_download, name="template"),
    path("reports/", views.reports, name="reports"),
    path("reports/<int:pk>/", views.report_detail, name="report"),
    path("reports/<int:pk>/decide/", views.report_decide, name="report_decide"),
    path("households/<int:household_id>/verify/", views.household_verify, name="verify"),
    path("batch/", views.batch, name="batch"),
    path("batch/<uuid:job_id>/", views.batch_detail, name="batch_detail"),
]
