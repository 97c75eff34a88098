from django.urls import path

from anju.appeals import views
from anju.appeals.config import views as views_config
from anju.appeals.intake import views as views_intake
from anju.appeals.rates import views as views_rates
from anju.appeals.requesters import views as requester_views
from anju.appeals.whistles import views as views_whistles
from anju.appeals.worklist import views as views_worklist

app_name = "appeals"
urlpatterns = [
    path("", views_worklist.appeal_list, name="list"),
    path("export/", views_worklist.appeal_export, name="export"),
    path("bulk/", views_worklist.appeal_bulk, name="bulk"),
    path("new/", views_intake.appeal_new, name="new"),
    path("report/", views_intake.appeal_report, name="report"),
    path("report/poster/", views_intake.report_poster, name="report_poster"),
    path("progress/", views_intake.appeal_progress, name="progress"),
    path("rates/", views_rates.rates, name="rates"),
    path("inbox/", views.inbox, name="inbox"),
    path("holidays/", views_config.holidays, name="holidays"),
    path("config/", views_config.index, name="config"),
    path("config/categories/", views_config.categories, name="config_categories"),
    path("config/categories/new/", views_config.category_new, name="config_category_new"),
    path("config/categories/<int:pk>/", views_config.category_edit, name="config_category"),
    path("config/categories/<int:pk>/active/", views_config.category_active, name="config_category_active"),
    path("config/categories/<int:pk>/delete/", views_config.category_delete, name="config_category_delete"),
    path("config/routes/", views_config.routes, name="config_routes"),
    path("config/publication/", views_config.publication, name="config_publication"),
    path("config/routes/<int:pk>/remove/", views_config.route_remove, name="config_route_remove"),
    path("config/sla/", views_config.sla, name="config_sla"),
    path("config/sla/<int:pk>/", views_config.sla_edit, name="config_sla_edit"),
    path("config/sla/<int:pk>/remove/", views_config.sla_remove, name="config_sla_remove"),
    path("config/satisfaction/", views_config.satisfaction, name="config_satisfaction"),
    path("config/satisfaction/<int:pk>/", views_config.satisfaction_edit, name="config_satisfaction_edit"),
    path("checkin/<str:token>/", views_whistles.checkin_code, name="checkin_qr"),
    path("residents/", requester_views.resident_search, name="resident_search"),
    path("<int:pk>/", views.appeal_detail, name="detail"),
    path("<int:pk>/print/", views.appeal_print, name="print"),
    path("<int:pk>/act/", views.appeal_act, name="act"),
    path("<int:pk>/follow/", views.appeal_follow, name="follow"),
    path("<int:pk>/whistle/", views_whistles.whistle_blow, name="whistle"),
    path("<int:pk>/photos/<int:photo_pk>/", views.photo, name="photo"),
    path("<int:pk>/summons/<int:summons_pk>/checkin/", views_whistles.summons_checkin, name="checkin"),
    path("<int:pk>/summons/<int:summons_pk>/rate/", views_whistles.summons_rate, name="rate"),
    path("<int:pk>/summons/<int:summons_pk>/confirm/", views_whistles.summons_confirm, name="confirm_arrival"),
    path("<int:pk>/whistles/<int:whistle_pk>/code/", views_whistles.whistle_code, name="whistle_code"),
    path(
        "<int:pk>/whistles/<int:whistle_pk>/code.<str:fmt>",
        views_whistles.whistle_code_image,
        name="whistle_code_image",
    ),
    path("<int:pk>/reveal/", requester_views.contact_reveal, name="reveal"),
    path("<int:pk>/reveal-text/", requester_views.text_reveal, name="reveal_text"),
    path("<int:pk>/requester/", requester_views.requester_link, name="requester_link"),
]
