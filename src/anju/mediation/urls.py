from django.urls import path

from anju.mediation import views

app_name = "mediation"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.case_new, name="new"),
    path("stats/", views.stats, name="stats"),
    path("cases/<int:case_id>/", views.case, name="case"),
    path("cases/<int:case_id>/mediators/", views.mediators, name="mediators"),
    path("cases/<int:case_id>/risk/", views.risk, name="risk"),
    path("cases/<int:case_id>/sessions/", views.session_new, name="session_new"),
    path("cases/<int:case_id>/sessions/<int:session_id>/", views.session, name="session"),
    path("cases/<int:case_id>/agreement/", views.agreement, name="agreement"),
    path("cases/<int:case_id>/agreement/print/", views.agreement_print, name="agreement_print"),
    path("cases/<int:case_id>/no-agreement/", views.no_agreement, name="no_agreement"),
    path("cases/<int:case_id>/refer/", views.refer, name="refer"),
    path("cases/<int:case_id>/follow-ups/<int:follow_up_id>/", views.follow_up, name="follow_up"),
    path("cases/<int:case_id>/reopen/", views.reopen, name="reopen"),
]
