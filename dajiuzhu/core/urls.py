from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("audit/", views.audit_list, name="audit_list"),
    path("audit/verify/", views.audit_verify_chain, name="audit_verify"),
    path("audit/<int:pk>/", views.audit_detail, name="audit_detail"),
    path("jobs/", views.job_list, name="job_list"),
    path("jobs/<uuid:pk>/", views.job_detail, name="job_detail"),
]
