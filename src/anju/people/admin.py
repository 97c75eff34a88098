from django.contrib import admin

from anju.core.admin import ReadOnlyAdmin
from anju.people.models import Household, ImportBatch, Resident, Tag

SEALED = ["mobile_sealed", "mobile_index", "id_number_sealed", "id_number_index"]


@admin.register(Tag)
class TagAdmin(ReadOnlyAdmin):
    list_display = ["name", "community", "is_active"]


@admin.register(Household)
class HouseholdAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "community", "is_central", "status"]
    list_filter = ["status", "is_central"]


@admin.register(Resident)
class ResidentAdmin(ReadOnlyAdmin):
    # The label is masked; sealed values and keyed hashes are never shown here.
    list_display = ["__str__", "community", "relation", "status"]
    list_filter = ["status"]
    exclude = [*SEALED, "name", "name_pinyin", "name_initials"]


@admin.register(ImportBatch)
class ImportBatchAdmin(ReadOnlyAdmin):
    list_display = ["filename", "community", "status", "created_at"]
    exclude = ["file_sealed"]
