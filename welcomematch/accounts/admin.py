from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from welcomematch.accounts.models import AuditEvent, Role, User

ERR_ROLE_REQUIRED = _("Choose the role this account has in the programme.")
ERR_PROGRAMME_REQUIRED = _(
    "Choose the programme this account works in: an account without a programme sees nothing."
)
ERR_CITY_OUTSIDE_PROGRAMME = _("Choose only cities of the account's programme.")

#: Roles an administrator can give on the add form (an account with "no access yet" is useless).
ASSIGNABLE_ROLES = [(value, label) for value, label in Role.choices if value != Role.NONE]


def _check_scope(form: forms.ModelForm, *, require: bool) -> None:
    data = form.cleaned_data
    programme = data.get("programme")
    if require and not data.get("role"):
        form.add_error("role", ERR_ROLE_REQUIRED)
    if require and programme is None:
        form.add_error("programme", ERR_PROGRAMME_REQUIRED)
    cities = data.get("cities")
    if cities and (programme is None or any(c.programme_id != programme.pk for c in cities)):
        form.add_error("cities", ERR_CITY_OUTSIDE_PROGRAMME)


class UserAddForm(UserCreationForm):
    """The admin's "Add user" form: it asks for the role and the programme (and cities)."""

    role = forms.ChoiceField(label=_("role"), choices=[("", "---------"), *ASSIGNABLE_ROLES])

    class Meta(UserCreationForm.Meta):  # type: ignore[name-defined]
        model = User
        fields = ("username", "role", "programme", "cities")

    def clean(self) -> dict[str, Any] | None:
        data = super().clean()
        _check_scope(self, require=True)
        return data


class UserEditForm(UserChangeForm):
    def clean(self) -> dict[str, Any] | None:
        data = super().clean()
        _check_scope(self, require=False)
        return data


@admin.register(User)
class WelcomematchUserAdmin(UserAdmin):
    form = UserEditForm
    add_form = UserAddForm
    list_display = ("username", "get_full_name", "role", "programme", "is_active")
    list_filter = ("role", "programme", "is_active")
    filter_horizontal = ("groups", "user_permissions", "cities")
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        ("welcomematch", {"fields": ("role", "programme", "cities")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "password1", "password2", "role", "programme", "cities"),
            },
        ),
    )


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
