from typing import Any

from django import forms
from django.contrib import admin

from welcomematch.intake.models import (
    Exclusion,
    GroupInvitation,
    GroupMember,
    Household,
    ImportMapping,
    ImportRun,
    Person,
    Postcode,
    WelcomeGroup,
)
from welcomematch.intake.services import ERR_OVERRIDE_REASON


class GroupMemberInline(admin.TabularInline):
    model = GroupMember
    extra = 0


class PersonInline(admin.TabularInline):
    model = Person
    extra = 0


class _OverrideNeedsReason(forms.ModelForm):
    """An override set in the admin needs a written reason, as it does on the intake pages."""

    override_field = ""

    def clean(self) -> dict[str, Any] | None:
        data = super().clean()
        level = self.cleaned_data.get(self.override_field)
        reason = str(self.cleaned_data.get(f"{self.override_field}_reason") or "").strip()
        if level is not None and not reason:
            self.add_error(f"{self.override_field}_reason", ERR_OVERRIDE_REASON)
        return data


class HouseholdAdminForm(_OverrideNeedsReason):
    override_field = "vulnerability_override"


class WelcomeGroupAdminForm(_OverrideNeedsReason):
    override_field = "capacity_override"


@admin.register(WelcomeGroup)
class WelcomeGroupAdmin(admin.ModelAdmin):
    form = WelcomeGroupAdminForm
    readonly_fields = ("capacity",)
    list_display = (
        "reference",
        "name",
        "city",
        "capacity",
        "capacity_override",
        "intake_completed_at",
    )
    list_filter = ("programme", "city")
    search_fields = ("reference", "name", "postcode")
    inlines = [GroupMemberInline]


@admin.register(Household)
class HouseholdAdmin(admin.ModelAdmin):
    form = HouseholdAdminForm
    readonly_fields = ("vulnerability",)
    list_display = (
        "reference",
        "city",
        "household_type",
        "vulnerability",
        "vulnerability_override",
    )
    list_filter = ("programme", "city", "household_type")
    search_fields = ("reference", "contact_name", "postcode")
    inlines = [PersonInline]


@admin.register(Postcode)
class PostcodeAdmin(admin.ModelAdmin):
    list_display = ("country", "code", "place", "municipality", "latitude", "longitude")
    search_fields = ("code", "place")


admin.site.register(Exclusion)


@admin.register(GroupInvitation)
class GroupInvitationAdmin(admin.ModelAdmin):
    list_display = ("group", "created_at", "expires_at", "revoked_at", "submitted_at")
    readonly_fields = ("token_hash", "answers")


@admin.register(ImportMapping)
class ImportMappingAdmin(admin.ModelAdmin):
    """Edit a programme's saved column mapping (header → question, or question/choice)."""

    list_display = ("programme", "kind", "updated_at")


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    list_display = ("programme", "kind", "status", "created_at", "committed_at")
    exclude = ("files",)
    readonly_fields = ("report",)
