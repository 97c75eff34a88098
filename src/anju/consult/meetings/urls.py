from django.urls import path

from anju.consult.meetings import views

urlpatterns = [
    path("meetings/new/", views.meeting_new, name="meeting_new"),
    path("meetings/<int:meeting_id>/", views.meeting, name="meeting"),
    path("meetings/<int:meeting_id>/checkin/", views.checkin, name="checkin"),
    path("meetings/<int:meeting_id>/invite/", views.meeting_act, {"step": "invite"}, name="meeting_invite"),
    path("meetings/<int:meeting_id>/minutes/", views.meeting_act, {"step": "minutes"}, name="meeting_minutes"),
    path("meetings/<int:meeting_id>/decisions/", views.meeting_act, {"step": "decision"}, name="meeting_decision"),
    path("meetings/<int:meeting_id>/publish/", views.meeting_act, {"step": "publish"}, name="meeting_publish"),
    path("meetings/<int:meeting_id>/cancel/", views.meeting_act, {"step": "cancel"}, name="meeting_cancel"),
    path("decisions/<int:decision_id>/done/", views.decision_done, name="decision_done"),
]
