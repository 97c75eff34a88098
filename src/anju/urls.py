from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from anju.api import api

handler400 = "anju.site.views.bad_request"
handler403 = "anju.site.views.permission_denied"
handler404 = "anju.site.views.page_not_found"
handler500 = "anju.site.views.server_error"

admin.site.site_header = settings.ANJU_SITE_NAME
admin.site.site_title = settings.ANJU_SITE_NAME

urlpatterns = [
    path("", include("anju.site.urls")),
    path("accounts/", include("anju.accounts.urls")),
    path("orgs/", include("anju.orgs.urls")),
    path("audit/", include("anju.audit.urls")),
    path("jobs/", include("anju.jobs.urls")),
    path("station/", include("anju.spaces.urls")),
    path("people/", include("anju.people.urls")),
    path("appeals/", include("anju.appeals.urls")),
    path("activities/", include("anju.activities.urls")),
    path("notices/", include("anju.bulletin.urls")),
    path("duty/", include("anju.duty.urls")),
    path("pairing/", include("anju.pairing.urls")),
    path("consult/", include("anju.consult.urls")),
    path("contributions/", include("anju.contributions.urls")),
    path("mediation/", include("anju.mediation.urls")),
    path("insights/", include("anju.insights.urls")),
    path("inbox/", include("anju.inbox.urls")),
    path("open311/v2/", include("anju.appeals.open311.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]
