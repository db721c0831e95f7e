from django.urls import path

from . import views

app_name = "cases"

urlpatterns = [
    path("", views.workbench, name="workbench"),
    path("new/", views.application_new, name="new"),
    path("lookup/", views.lookup, name="lookup"),
    path("approvals/", views.approvals, name="approvals"),
    path("reviews/", views.reviews, name="reviews"),
    path("worklist/", views.worklist, name="worklist"),
    path("<int:pk>/", views.case_detail, name="detail"),
    path("<int:pk>/step/", views.case_step, name="step"),
    path("<int:pk>/decide/", views.case_decide, name="decide"),
    path("<int:pk>/print/acceptance/", views.print_acceptance, name="print_acceptance"),
    path("<int:pk>/print/decision/", views.print_decision, name="print_decision"),
    path("<int:pk>/print/form/", views.print_form, name="print_form"),
    path("items/<int:pk>/review/", views.item_review, name="item_review"),
    path("items/<int:pk>/appeal/", views.appeal_lodge, name="appeal_lodge"),
    path("appeals/<int:pk>/decide/", views.appeal_decide, name="appeal_decide"),
    path("public/", views.public_index, name="public_index"),
    path("public/<str:village_code>/", views.public_notices, name="public_notices"),
]
