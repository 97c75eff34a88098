from django.urls import path

from anju.orgs import views

app_name = "orgs"
urlpatterns = [
    path("", views.tree, name="tree"),
    path("units/<int:pk>/", views.unit_detail, name="unit"),
    path("units/<int:pk>/children/", views.unit_children, name="unit_children"),
    path("units/<int:pk>/add/", views.unit_add_child, name="unit_add_child"),
    path("units/<int:pk>/edit/", views.unit_update, name="unit_update"),
    path("departments/", views.departments, name="departments"),
    path("taskforces/", views.taskforces, name="taskforces"),
    path("taskforces/<int:pk>/", views.taskforce_detail, name="taskforce"),
    path(
        "taskforces/<int:pk>/members/<int:member_pk>/remove/",
        views.taskforce_remove_member,
        name="taskforce_remove_member",
    ),
]
