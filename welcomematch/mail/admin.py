from django.contrib import admin
from django.http import HttpRequest

from welcomematch.mail.models import OutgoingMessage


@admin.register(OutgoingMessage)
class OutgoingMessageAdmin(admin.ModelAdmin):
    list_display = ("created_at", "to", "subject", "language", "purpose", "sent_at", "attempts")
    list_filter = ("purpose", "language", "sent_at")
    search_fields = ("to", "subject")
    readonly_fields = [f.name for f in OutgoingMessage._meta.fields]

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
