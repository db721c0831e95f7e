"""Read-only admin views of cases (every change goes through the audited services and pages)."""

from django.contrib import admin

from .models import Appeal, Case, CaseEvent, CaseItem, PublicNotice, Revocation, WorklistEntry


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = ("number", "household", "channel", "status", "region_code", "accepted_region_code", "created_at")
    list_filter = ("status", "channel")
    search_fields = ("number",)


@admin.register(CaseItem)
class CaseItemAdmin(ReadOnlyAdmin):
    list_display = ("case", "item", "status", "amount", "effective_from", "review_due")
    list_filter = ("status", "path")
    raw_id_fields = ("case", "household", "covered")


for model in (CaseEvent, Revocation, Appeal, PublicNotice, WorklistEntry):
    admin.site.register(model, ReadOnlyAdmin)
