from django.urls import path

from . import views

app_name = "credit"

urlpatterns = [
    path("", views.record_list, name="list"),
    path("<int:pk>/", views.record_detail, name="detail"),
    path("<int:pk>/notices/<int:notice_pk>/", views.notice_print, name="notice"),
    path("<int:pk>/appeal/", views.appeal_file, name="appeal"),
    path("<int:pk>/appeals/<int:appeal_pk>/decide/", views.appeal_decide, name="appeal_decide"),
    path("<int:pk>/lift/", views.record_lift, name="lift"),
    path("<int:pk>/answer/", views.record_answer, name="answer"),
    path("<int:pk>/decide/", views.record_decide, name="decide"),
]
