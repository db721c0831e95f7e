from django.urls import include, path

from . import views

app_name = "registry"
urlpatterns = [
    path("", views.household_search, name="household_search"),
    path("new/", views.household_create, name="household_create"),
    path("lookup/", views.person_lookup, name="person_lookup"),
    path("<int:pk>/", views.household_detail, name="household_detail"),
    path("<int:pk>/edit/", views.household_edit, name="household_edit"),
    path("<int:pk>/facts/", views.household_facts, name="household_facts"),
    path("<int:pk>/members/add/", views.member_add, name="member_add"),
    path("<int:pk>/members/<int:person_pk>/move/", views.member_move, name="member_move"),
    path("<int:pk>/members/<int:person_pk>/facts/", views.member_facts, name="member_facts"),
    path("<int:pk>/members/<int:person_pk>/death/", views.member_death, name="member_death"),
    path("people/<int:pk>/identity/", views.person_identity, name="person_identity"),
    path("import/", include("dajiuzhu.registry.import_urls")),
]
