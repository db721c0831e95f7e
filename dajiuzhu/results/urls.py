from django.urls import path

from . import views

app_name = "results"

urlpatterns = [
    path("", views.record_list, name="records"),
    path("households/<int:pk>/", views.household_history, name="household"),
    path("deliveries/", views.delivery_list, name="deliveries"),
    path("deliveries/<int:pk>/", views.delivery_detail, name="delivery"),
    path("payments/", views.batch_list, name="batches"),
    path("payments/<int:pk>/", views.batch_detail, name="batch"),
    path("payments/<int:pk>/<slug:action>/", views.batch_action, name="batch_action"),
    path("recoveries/", views.recovery_list, name="recoveries"),
    path("report/", views.monthly_report, name="report"),
    path("outcomes/", views.outcome_list, name="outcomes"),
]
