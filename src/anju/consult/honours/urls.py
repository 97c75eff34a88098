"""URLs of the honours (评比) pages (included by consult's URL list under ``honours/``)."""

from django.urls import path

from anju.consult.honours import paper, views

urlpatterns = [
    path("honours/", views.campaigns, name="honours"),
    path("honours/new/", views.create, name="honours_new"),
    path("honours/<int:campaign_id>/", views.detail, name="honours_detail"),
    path("honours/<int:campaign_id>/nominate", views.nominate, name="honours_nominate"),
    path("honours/<int:campaign_id>/nominees", views.nominee_search, name="honours_nominee_search"),
    path("honours/<int:campaign_id>/object", views.object_to, name="honours_object"),
    path("honours/<int:campaign_id>/step", views.step, name="honours_step"),
    path("honours/<int:campaign_id>/paper", paper.paper, name="honours_paper"),
    path("honours/nominations/<int:nomination_id>/score", views.score, name="honours_score"),
    path("honours/nominations/<int:nomination_id>/vote", views.vote, name="honours_vote"),
    path("honours/nominations/<int:nomination_id>/photo", views.photo, name="honours_photo"),
    path("honours/nominations/<int:nomination_id>/certificate", views.certificate, name="honours_certificate"),
    path("honours/objections/<int:objection_id>/answer", views.answer, name="honours_answer"),
]
