from django.urls import path

from anju.people import views
from anju.people.invitations import views as invitations

app_name = "people"
urlpatterns = [
    path("", views.residents, name="residents"),
    path("residents/new/", views.resident_create, name="resident_create"),
    path("residents/add/", views.resident_new, name="resident_new"),
    path("residents/<int:pk>/", views.resident_detail, name="resident"),
    path("residents/<int:pk>/edit/", views.resident_edit, name="resident_edit"),
    path("residents/<int:pk>/archive/", views.resident_archive, name="resident_archive"),
    path("residents/<int:pk>/reveal/", views.resident_reveal, name="resident_reveal"),
    path("residents/<int:pk>/invite/", invitations.invitation_issue, name="invitation_issue"),
    path("invitations/<int:pk>/revoke/", invitations.invitation_revoke, name="invitation_revoke"),
    path("invite/<str:token>/", invitations.invite_open, name="invite_open"),
    path("invite/<str:token>/code/", invitations.invite_code, name="invite_code"),
    path("households/", views.households, name="households"),
    path("households/new/", views.household_create, name="household_create"),
    path("households/<int:pk>/", views.household_detail, name="household"),
    path("households/<int:pk>/archive/", views.household_archive, name="household_archive"),
    path("import/", views.import_start, name="import"),
    path("import/template.xlsx", views.import_template, name="import_template"),
    path("import/<int:pk>/", views.import_batch, name="import_batch"),
    path("import/<int:pk>/progress/", views.import_progress, name="import_progress"),
    path("import/<int:pk>/commit/", views.import_commit, name="import_commit"),
    path("export/", views.export, name="export"),
    path("tags/", views.tags, name="tags"),
]
