from django.urls import path

from anju.contributions import views

app_name = "contributions"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.project_new, name="project_new"),
    path("settings/", views.setting, name="setting"),
    path("report/", views.report, name="report"),
    path("projects/<int:project_id>/", views.project, name="project"),
    path("projects/<int:project_id>/edit/", views.project_edit, name="project_edit"),
    path("projects/<int:project_id>/contribute/", views.contribute, name="contribute"),
    path("projects/<int:project_id>/contributors/", views.contributor_search, name="contributor_search"),
    path("projects/<int:project_id>/spend/", views.spend, name="spend"),
    path("entries/<int:money_entry_id>/decide/", views.entry_decide, name="entry_decide"),
    path("entries/<int:money_entry_id>/reverse/", views.entry_reverse, name="entry_reverse"),
    path("entries/<int:money_entry_id>/invoice/", views.entry_invoice, name="entry_invoice"),
    path("items/<int:contribution_id>/reverse/", views.contribution_reverse, name="contribution_reverse"),
    path("items/<int:contribution_id>/thanks/", views.thanks, name="thanks"),
    path("items/<int:contribution_id>/receipt/", views.receipt, name="receipt"),
    path("items/<int:contribution_id>/evidence/", views.evidence, name="evidence"),
    path("public/<int:project_id>/", views.public, name="public"),
    path("public/<int:project_id>/excel/", views.public_excel, name="public_excel"),
    path("public/<int:project_id>/photos/<int:project_photo_id>/", views.photo, name="photo"),
]
