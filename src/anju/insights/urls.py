from django.urls import path

from anju.insights import views

app_name = "insights"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("communities/", views.compare, name="compare"),
    path("rows/<slug:section>/<slug:drill>/", views.rows, name="rows"),
    path("reports/", views.reports, name="reports"),
    path("reports/<int:report_id>/pdf/", views.report_pdf, name="report_pdf"),
]
