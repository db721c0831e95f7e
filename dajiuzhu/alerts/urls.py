from django.urls import path

from . import views

app_name = "alerts"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("<int:pk>/", views.alert_detail, name="detail"),
    path("county/", views.overview, name="overview"),
    path("scan/", views.scan_now, name="scan"),
    path("disasters/", views.disasters, name="disasters"),
    path("rules/", views.rules, name="rules"),
]
