from django.contrib import admin

from anju.core.admin import ReadOnlyAdmin
from anju.spaces.models import Space, Station


@admin.register(Station)
class StationAdmin(ReadOnlyAdmin):
    list_display = ["name", "community"]


@admin.register(Space)
class SpaceAdmin(ReadOnlyAdmin):
    list_display = ["name", "station", "kind", "capacity", "bookable_by"]
    list_filter = ["kind", "bookable_by"]
