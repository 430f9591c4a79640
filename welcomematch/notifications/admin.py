from django.contrib import admin
from django.http import HttpRequest

from welcomematch.notifications.models import Notice


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "key", "messages", "unreached")
    list_filter = ("kind",)
    search_fields = ("key",)
    readonly_fields = [f.name for f in Notice._meta.fields]

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
