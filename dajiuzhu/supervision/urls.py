from django.urls import path

from . import views

app_name = "supervision"

urlpatterns = [
    path("", views.home, name="home"),
    path("steps/", views.steps, name="steps"),
    path("evaluation/", views.evaluation_page, name="evaluation"),
    path("regions/<str:code>/", views.region, name="region"),
    path("settings/", views.settings_page, name="settings"),
    path("spotchecks/", views.spot_list, name="spotchecks"),
    path("spotchecks/<int:pk>/", views.spot_detail, name="spotcheck"),
    path("complaints/", views.complaint_list, name="complaints"),
    path("complaints/<int:pk>/", views.complaint_detail, name="complaint"),
    path("training/", views.training_page, name="training"),
    path("training/manage/", views.training_admin, name="training_admin"),
    path("exams/<int:pk>/start/", views.exam_start, name="exam_start"),
    path("attempts/<int:pk>/", views.attempt, name="attempt"),
    path("public/<str:village_code>/", views.public_complaint, name="public_complaint"),
]
