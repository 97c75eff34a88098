from django.urls import path

from anju.consult.surveys import views

urlpatterns = [
    path("surveys/", views.survey_list, name="surveys"),
    path("surveys/new/", views.survey_new, name="survey_new"),
    path("surveys/<int:survey_id>/", views.survey, name="survey"),
    path("surveys/<int:survey_id>/answer/", views.survey_answer, name="survey_answer"),
    path("surveys/<int:survey_id>/questions/", views.question_add, name="survey_question_add"),
    path("surveys/<int:survey_id>/open/", views.survey_open, name="survey_open"),
    path("surveys/<int:survey_id>/close/", views.survey_close, name="survey_close"),
    path("surveys/<int:survey_id>/assist/", views.survey_assisted, name="survey_assisted"),
    path("surveys/<int:survey_id>/paper/", views.survey_paper, name="survey_paper"),
    path("surveys/<int:survey_id>/tally/", views.survey_tally, name="survey_tally"),
    path("surveys/<int:survey_id>/results/", views.survey_results, name="survey_results"),
    path("surveys/<int:survey_id>/results/export/", views.survey_results_export, name="survey_results_export"),
    path("surveys/<int:survey_id>/participation/", views.survey_participation, name="survey_participation"),
]
