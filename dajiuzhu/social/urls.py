from django.urls import path

from . import views

app_name = "social"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("organisations/", views.organisation_list, name="organisations"),
    path("organisations/<int:pk>/", views.organisation_detail, name="organisation"),
    path("projects/", views.project_list, name="projects"),
    path("projects/<int:pk>/", views.project_detail, name="project"),
    path("projects/<int:pk>/settlements/<str:month>.xlsx", views.settlement_xlsx, name="settlement_xlsx"),
    path("projects/<int:pk>/<slug:action>/", views.project_action, name="project_action"),
    path("orders/", views.order_list, name="orders"),
    path("orders/new/", views.order_new, name="order_new"),
    path("orders/<int:pk>/", views.order_detail, name="order"),
    path("orders/<int:pk>/visit/", views.visit_new, name="visit_new"),
    path("orders/<int:pk>/<slug:action>/", views.order_action, name="order_action"),
    path("visits/<int:pk>/photos/<int:photo>/", views.visit_photo, name="visit_photo"),
    path("visits/<int:pk>/rate/", views.visit_rate, name="visit_rate"),
    path("callbacks/<int:pk>/", views.callback_record, name="callback"),
    path("alerts/<int:alert_pk>/refer/", views.alert_refer, name="alert_refer"),
    path("volunteers/", views.volunteer_list, name="volunteers"),
    path("wishes/", views.wish_list, name="wishes"),
    path("wishes/<int:pk>/<slug:action>/", views.wish_action, name="wish_action"),
    path("wishes/public/", views.wishes_public, name="wishes_public"),
]
