from django.urls import path

from . import health, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("healthz/cache", health.healthz_cache, name="healthz_cache"),
    path("healthz/broker", health.healthz_broker, name="healthz_broker"),
    path("healthz/worker", health.healthz_worker, name="healthz_worker"),
    path("audit/", views.audit_list, name="audit_list"),
    path("audit/verify/", views.audit_verify_chain, name="audit_verify"),
    path("audit/<int:pk>/", views.audit_detail, name="audit_detail"),
    path("jobs/", views.job_list, name="job_list"),
    path("jobs/<uuid:pk>/", views.job_detail, name="job_detail"),
    path("jobs/<uuid:pk>/file/", views.upload_job, name="upload_job"),
]
