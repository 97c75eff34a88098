from django.contrib import admin

from anju.core.admin import ReadOnlyAdmin
from anju.spaces.models import Booking, ClosedPeriod, OpeningHours, Series, Space, SpacePhoto, Station


@admin.register(Station)
class StationAdmin(ReadOnlyAdmin):
    list_display = ["name", "community"]


@admin.register(Space)
class SpaceAdmin(ReadOnlyAdmin):
    list_display = ["name", "station", "kind", "capacity", "bookable_by", "requires_approval"]
    list_filter = ["kind", "bookable_by", "requires_approval"]


@admin.register(SpacePhoto)
class SpacePhotoAdmin(ReadOnlyAdmin):
    list_display = ["space", "caption"]


@admin.register(OpeningHours)
class OpeningHoursAdmin(ReadOnlyAdmin):
    list_display = ["space", "weekday", "opens", "closes"]


@admin.register(ClosedPeriod)
class ClosedPeriodAdmin(ReadOnlyAdmin):
    list_display = ["station", "space", "starts_at", "ends_at", "reason"]


@admin.register(Series)
class SeriesAdmin(ReadOnlyAdmin):
    list_display = ["title", "space", "status", "reconfirm_by"]
    list_filter = ["status"]


@admin.register(Booking)
class BookingAdmin(ReadOnlyAdmin):
    list_display = ["space", "starts_at", "ends_at", "status", "title"]
    list_filter = ["status", "space"]
    date_hierarchy = "starts_at"
