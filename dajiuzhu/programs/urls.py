from django.urls import path

from . import views

app_name = "programs"
urlpatterns = [
    path("", views.item_list, name="item_list"),
    path("items/new/", views.item_edit, name="item_create"),
    path("items/<slug:code>/", views.item_detail, name="item_detail"),
    path("items/<slug:code>/edit/", views.item_edit, name="item_edit"),
    path("rules/check/", views.rule_check, name="rule_check"),
    path("standards/", views.standard_list, name="standard_list"),
    path("simulations/<int:pk>/", views.simulation_detail, name="simulation_detail"),
    path("screening/", views.screening, name="screening"),
]
