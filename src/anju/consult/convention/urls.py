"""URLs of the convention pages (included by consult's URL list under ``convention/``)."""

from django.urls import path

from anju.consult.convention import views

urlpatterns = [
    path("convention/", views.mine, name="convention_mine"),
    path("convention/manage/", views.manage, name="convention_manage"),
    path("convention/v/<int:version_id>/", views.detail, name="convention_detail"),
    path("convention/v/<int:version_id>/comment", views.comment, name="convention_comment"),
    path("convention/v/<int:version_id>/amend", views.propose, name="convention_propose"),
    path("convention/v/<int:version_id>/acknowledge", views.acknowledge, name="convention_acknowledge"),
    path("convention/v/<int:version_id>/article", views.article_save, name="convention_article"),
    path("convention/v/<int:version_id>/article/remove", views.article_remove, name="convention_article_remove"),
    path("convention/v/<int:version_id>/step", views.step, name="convention_step"),
    path("convention/v/<int:version_id>/revise", views.revise, name="convention_revise"),
    path("convention/v/<int:version_id>/diff", views.diff, name="convention_diff"),
    path("convention/v/<int:version_id>/coverage", views.coverage, name="convention_coverage"),
    path("convention/v/<int:version_id>/paper", views.paper, name="convention_paper"),
    path("convention/v/<int:version_id>/poster", views.poster, name="convention_poster"),
    path("convention/v/<int:version_id>/booklet", views.booklet, name="convention_booklet"),
    path("convention/amendments/<int:amendment_id>/decide", views.decide, name="convention_decide"),
]
