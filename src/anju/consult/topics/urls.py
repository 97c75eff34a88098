from django.urls import path

from anju.consult.topics import views

urlpatterns = [
    path("", views.home, name="home"),
    path("topics/<int:topic_id>/", views.topic, name="topic"),
    path("proposals/new/", views.proposal_new, name="proposal_new"),
    path("proposals/<int:proposal_id>/support/", views.proposal_support, name="proposal_support"),
    path("desk/", views.desk, name="desk"),
    path("desk/topics/new/", views.topic_new, name="topic_new"),
    path("desk/candidates/suggest/", views.candidates_suggest, name="candidates_suggest"),
    path("desk/candidates/<int:candidate_id>/", views.candidate_decide, name="candidate_decide"),
]
