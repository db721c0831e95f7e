from django.contrib import admin

from .models import Callback, Client, IdentifierType, PersonIdentifier, Subscription


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    list_display = ("name", "client_id", "department", "region_prefix", "is_active")
    readonly_fields = ("secret_hash", "user", "suspended_at")
    exclude = ()


@admin.register(IdentifierType)
class IdentifierTypeAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "department", "builtin")


admin.site.register(PersonIdentifier)
admin.site.register(Subscription)


@admin.register(Callback)
class CallbackAdmin(admin.ModelAdmin):
    list_display = ("created_at", "client", "action", "status", "attempts", "last_error")
    list_filter = ("status", "action")
