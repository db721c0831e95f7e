from django.urls import path

from . import views

app_name = "employment"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("jobs/", views.job_list, name="jobs"),
    path("jobs/<int:pk>/", views.job_detail, name="job"),
    path("placements/<int:pk>/", views.placement_detail, name="placement"),
    path("courses/", views.course_list, name="courses"),
    path("courses/<int:pk>/", views.course_detail, name="course"),
    path("enrolments/<int:pk>/<slug:action>/", views.enrolment_action, name="enrolment_action"),
]
