from django.urls import path

from . import views

app_name = "indices"

urlpatterns = [
    path("", views.roster_page, name="roster"),
    path("aggregates/", views.aggregates_page, name="aggregates"),
    path("household/<int:pk>/", views.household_page, name="household"),
    path("models/", views.models_page, name="models"),
    path("models/<str:kind>/edit/", views.model_edit, name="model_edit"),
    path("models/<int:pk>/preview/", views.model_preview_page, name="model_preview"),
    path("models/<int:pk>/activate/", views.model_activate, name="model_activate"),
    path("run/", views.run_page, name="run"),
]
