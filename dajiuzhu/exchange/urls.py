from django.urls import path

from . import views

app_name = "exchange"

urlpatterns = [
    path("", views.clients, name="clients"),
    path("clients/<int:pk>/suspend/", views.suspend, name="suspend"),
    path("callbacks/<int:pk>/resend/", views.resend, name="resend"),
]
