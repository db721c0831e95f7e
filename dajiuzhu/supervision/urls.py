from django.urls import path

from . import views

app_name = "supervision"

urlpatterns = [
    path("", views.home, name="home"),
    path("public/<str:village_code>/", views.public_complaint, name="public_complaint"),
]
