from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest

from welcomematch.accounts.models import AuditEvent, User


@admin.register(User)
class WelcomematchUserAdmin(UserAdmin):
    list_display = ("username", "get_full_name", "role", "programme", "is_active")
    list_filter = ("role", "programme", "is_active")
    fieldsets = (*(UserAdmin.fieldsets or ()), ("welcomematch", {"fields": ("role", "programme")}))


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "actor", "action", "object_type", "object_id")
    list_filter = ("action", "object_type")
    search_fields = ("object_id", "action")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False
