"""掌上办 at /m/ (mounted in config/urls.py: a short address residents can type)."""

from django.urls import path

from . import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("sw.js", views.service_worker, name="service_worker"),
    path("offline/", views.offline, name="offline"),
    path("sign-in/", views.sign_in, name="sign_in"),
    path("sign-in/code/", views.sign_in_code, name="sign_in_code"),
    path("sign-out/", views.sign_out, name="sign_out"),
    path("what-could-we-get/", views.estimate, name="estimate"),
    path("apply/<slug:code>/", views.apply, name="apply"),
    path("apply/<slug:code>/sign/", views.apply_sign, name="apply_sign"),
    path("cases/<int:pk>/", views.case_detail, name="case"),
    path("cases/<int:pk>/appeal/<int:item_pk>/", views.appeal, name="appeal"),
    path("requests/<int:pk>/upload/", views.request_upload, name="request_upload"),
    path("documents/<int:pk>/", views.document, name="document"),
    path("notices/", views.notices, name="notices"),
    path("change/", views.change, name="change"),
    path("messages/", views.inbox, name="inbox"),
    path("village/", views.village, name="village"),
    path("village/new/", views.village_new, name="village_new"),
    path("township/", views.township, name="township"),
    path("township/<int:pk>/", views.township_detail, name="township_detail"),
    path("staff/documents/<int:pk>/", views.staff_document, name="staff_document"),
    path("staff/cases/<int:case_id>/", views.staff_case, name="staff_case"),
    path("staff/households/<int:pk>/", views.staff_household, name="staff_household"),
]
