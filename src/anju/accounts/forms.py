from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from anju.access.roles import Role
from anju.orgs.models import Department, OrgUnit


class LoginForm(forms.Form):
    username = forms.CharField(
        label=_("Username or mobile number"),
        max_length=60,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Password"),
        max_length=200,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class MobileForm(forms.Form):
    """One field on a phone screen: the mobile number a code goes to."""

    mobile = forms.CharField(
        label=_("Mobile number"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"inputmode": "tel", "autocomplete": "tel", "autofocus": True, "class": "code-input"}
        ),
    )


class CodeForm(forms.Form):
    """One field on a phone screen: the six digits from the SMS, on the phone's numeric keypad."""

    code = forms.CharField(
        label=_("Code from the SMS"),
        max_length=12,
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "pattern": "[0-9０-９ ]*",
                "autofocus": True,
                "class": "code-input",
            }
        ),
    )


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(
        label=_("Current password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    new_password = forms.CharField(
        label=_("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 10 characters; not a common password; not only digits."),
    )
    new_password_again = forms.CharField(
        label=_("New password again"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("new_password") and data.get("new_password") != data.get("new_password_again"):
            self.add_error("new_password_again", _("The two new passwords differ."))
        return data


class UserCreateForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=40)
    display_name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=60)
    mobile = forms.CharField(label=_("Mobile number"), max_length=20, required=False)
    password = forms.CharField(
        label=_("Initial password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    unit = forms.ModelChoiceField(label=_("Org unit"), queryset=OrgUnit.objects.none())
    department = forms.ModelChoiceField(
        label=_("Department"),
        queryset=Department.objects.none(),
        required=False,
        help_text=_("Only for a department liaison."),
    )

    def __init__(self, *args: object, units: object, departments: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]
        self.fields["department"].queryset = departments  # type: ignore[attr-defined]


class UserUpdateForm(forms.Form):
    """An administrator edits an account. The current mobile number and email address are shown masked,
    so an empty field keeps them; a box clears them."""

    display_name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=60)
    mobile = forms.CharField(
        label=_("Mobile number"), max_length=20, required=False, help_text=_("Leave empty to keep the current one.")
    )
    clear_mobile = forms.BooleanField(label=_("Remove the mobile number"), required=False)
    email = forms.CharField(
        label=_("Email address"),
        max_length=254,
        required=False,
        help_text=_("Leave empty to keep the current one."),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    clear_email = forms.BooleanField(label=_("Remove the email address"), required=False)


class ProfileForm(forms.Form):
    """One's own details on "My account". Validation is the service's (the same messages as the API)."""

    display_name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=60)
    email = forms.CharField(
        label=_("Email address"),
        max_length=254,
        required=False,
        help_text=_("Optional. Notices can also reach you by email."),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "inputmode": "email"}),
    )
    preferred_language = forms.ChoiceField(
        label=_("Language"),
        choices=settings.LANGUAGES,
        help_text=_("Used for the pages and for the notices sent to you."),
    )
    notify_by_email = forms.BooleanField(
        label=_("Also send my notices by email"),
        required=False,
        help_text=_("Only when an email address is set. Your inbox always gets every notice."),
    )


class GrantForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    unit = forms.ModelChoiceField(label=_("Org unit"), queryset=OrgUnit.objects.none())
    department = forms.ModelChoiceField(
        label=_("Department"),
        queryset=Department.objects.none(),
        required=False,
        help_text=_("Only for a department liaison."),
    )

    def __init__(self, *args: object, units: object, departments: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]
        self.fields["department"].queryset = departments  # type: ignore[attr-defined]


class DisableForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)


class PasswordResetForm(forms.Form):
    password = forms.CharField(
        label=_("New password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Token name"), max_length=60, help_text=_("What the token is for."))
    days = forms.IntegerField(label=_("Valid for (days)"), min_value=1, max_value=366, initial=90)
