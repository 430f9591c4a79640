from django.contrib import admin

from welcomematch.intake.models import (
    Exclusion,
    GroupMember,
    Household,
    Person,
    Postcode,
    WelcomeGroup,
)


class GroupMemberInline(admin.TabularInline):
    model = GroupMember
    extra = 0


class PersonInline(admin.TabularInline):
    model = Person
    extra = 0


@admin.register(WelcomeGroup)
class WelcomeGroupAdmin(admin.ModelAdmin):
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
