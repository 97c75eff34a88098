from django.contrib import admin

from anju.core.admin import ReadOnlyAdmin
from anju.pairing.models import Cadence, Care, CentralHousehold, DigestSent, Pairing, Visit


@admin.register(CentralHousehold)
class CentralHouseholdAdmin(ReadOnlyAdmin):
    list_display = ["household", "community", "area", "capacity", "is_active"]


@admin.register(Pairing)
class PairingAdmin(ReadOnlyAdmin):
    list_display = ["household", "central", "started_at", "ended_at"]


@admin.register(Care)
class CareAdmin(ReadOnlyAdmin):
    list_display = ["household", "level", "set_at"]


@admin.register(Cadence)
class CadenceAdmin(ReadOnlyAdmin):
    list_display = ["community", "level", "every", "unit"]


@admin.register(Visit)
class VisitAdmin(ReadOnlyAdmin):
    list_display = ["household", "visited_on", "method", "condition", "follow_up"]


@admin.register(DigestSent)
class DigestSentAdmin(ReadOnlyAdmin):
    list_display = ["central", "week", "due", "sent_at"]
