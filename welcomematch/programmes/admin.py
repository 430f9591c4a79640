from django.contrib import admin

from welcomematch.programmes.models import Category, City, Programme


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "country", "max_distance_km")


@admin.register(City)
class CityAdmin(admin.ModelAdmin):
    list_display = ("name", "programme", "municipality_code")
    list_filter = ("programme",)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("kind", "code", "label_nl", "label_en", "order", "active")
    list_filter = ("kind", "active")
    list_editable = ("order", "active")
