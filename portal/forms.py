import datetime as dt
from collections.abc import Iterator
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm
from django.core.exceptions import BadRequest
from django.db import models
from django.http import HttpRequest

from portal import locality, services
from portal.models import User
from portal.proxy import client_ip
from portal.roles import Role

ROLE_CHOICES = [(role.value, role.value) for role in Role]


class BadParameter(BadRequest):
    """A page asked for with a value it cannot show (``?fy=0``): a 400 saying what to do."""


# Financial years any page accepts (fy is the starting year: 2023 is 2023/24).
FY_EARLIEST, FY_LATEST = 1990, 2100


def financial_year_param(request: HttpRequest, name: str = "fy") -> int | None:
    """The financial year a page was asked for, None when not given; BadParameter when it is
    not a plausible year, so no page goes on to build dates from year 0 or 99999."""
    raw = request.GET.get(name, "").strip()
    if not raw:
        return None
    try:
        fy = int(raw)
    except ValueError:
        fy = None
    if fy is None or not FY_EARLIEST <= fy <= FY_LATEST:
        raise BadParameter(
            f"'{raw[:20]}' is not a financial year the portal holds. Give the year it starts "
            f"in, from {FY_EARLIEST} to {FY_LATEST}: for example ?{name}=2023 for 2023/24."
        )
    return fy


class GovukDateInput(forms.MultiWidget):
    """The GOV.UK date input: day, month and year boxes (``name_day``, ``name_month``,
    ``name_year``), never the browser's own date picker, whose look and keyboard use differ
    from browser to browser and which screen readers announce badly."""

    template_name = "portal/widgets/date_input.html"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        box = "govuk-input govuk-date-input__input"
        super().__init__(
            {
                part: forms.TextInput(attrs={"inputmode": "numeric", "class": f"{box} {width}"})
                for part, width in (
                    ("day", "govuk-input--width-2"),
                    ("month", "govuk-input--width-2"),
                    ("year", "govuk-input--width-4"),
                )
            },
            attrs,
        )

    def decompress(self, value: Any) -> list[Any]:
        if isinstance(value, dt.date):
            return [value.day, value.month, value.year]
        if isinstance(value, str) and value:
            try:
                day = dt.date.fromisoformat(value)
            except ValueError:
                return [None, None, None]
            return [day.day, day.month, day.year]
        return [None, None, None]

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        base = context["widget"]["attrs"].get("id")
        for suffix, sub in zip(
            self.widgets_names,  # type: ignore[attr-defined]
            context["widget"]["subwidgets"],
            strict=True,
        ):
            if base:
                sub["attrs"]["id"] = f"{base}{suffix}"  # id_end_date_day, as GOV.UK names them
        return context

    def id_for_label(self, id_: str) -> str:
        # The error summary and the legend point at the day box.
        return f"{id_}_day" if id_ else id_

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        parts = super().value_from_datadict(data, files, name)
        # A date posted whole (an API client, or a test) is still read.
        if not any(parts) and data.get(name):
            return data.get(name)
        return parts

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return name not in data and super().value_omitted_from_data(data, files, name)


class GovukDateField(forms.DateField):
    """A date typed in the GOV.UK date input, with the GOV.UK messages: what is missing or
    wrong, about this date by its name."""

    widget = GovukDateInput

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.pop("input_formats", None)
        super().__init__(*args, **kwargs)

    def _what(self) -> str:
        label = str(self.label or "the date")
        return label[0].lower() + label[1:]

    def to_python(self, value: Any) -> dt.date | None:
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            value = value.strip()
            if not value:
                return None
            # A date posted whole: 2024-03-27, or 27/03/2024 as people type it.
            try:
                if "/" in value:
                    day, month, year = value.split("/")
                    return dt.date(int(year), int(month), int(day))
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
            raise forms.ValidationError(
                f"Enter {self._what()} as a real date, like 27 3 2024", code="invalid"
            )
        parts = [str(p or "").strip() for p in (value or ["", "", ""])]
        if not any(parts):
            return None
        what = self._what()
        missing = [n for n, p in zip(("day", "month", "year"), parts, strict=True) if not p]
        if missing:
            raise forms.ValidationError(
                f"The {what} must include a {' and a '.join(missing)}", code="incomplete"
            )
        try:
            day, month, year = (int(p) for p in parts)
            if year < 1000:
                raise ValueError
            return dt.date(year, month, day)
        except ValueError:
            raise forms.ValidationError(
                f"The {what} must be a real date, like 27 3 2024", code="invalid"
            ) from None


class UploadField(forms.FileField):
    """A file to upload, with the GOV.UK messages when none or an empty one is chosen."""

    default_error_messages = {
        "required": "Select a file to upload",
        "empty": "The selected file is empty. Select a file with data in it",
        "invalid": "The selected file could not be read. Select the file again",
    }


def govuk_formfield(db_field: models.Field, **kwargs: Any) -> forms.Field | None:
    """A ModelForm's ``Meta.formfield_callback``: model dates as GOV.UK date inputs."""
    if isinstance(db_field, models.DateField) and not isinstance(db_field, models.DateTimeField):
        kwargs.setdefault("form_class", GovukDateField)
    return db_field.formfield(**kwargs)


class SignInForm(forms.Form):
    """Email and password, with a pause after repeated failures (per address and per client)."""

    email = forms.EmailField(
        label="Email address",
        widget=forms.EmailInput(
            attrs={"autocomplete": "username", "spellcheck": "false", "class": "govuk-input"}
        ),
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(
            attrs={"autocomplete": "current-password", "class": "govuk-input"}
        ),
    )

    # Email addresses are compared without regard to case; passwords are not.
    INVALID = "Enter a correct email address and password. The password is case-sensitive."

    def __init__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        self.request = request
        self.user_cache: User | None = None
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        email, password = data.get("email"), data.get("password")
        if not email or not password:
            return data
        ip = client_ip(self.request)
        if services.sign_in_locked(email=email, client_ip=ip):
            minutes = max(1, settings.SIGN_IN_LOCKOUT_SECONDS // 60)
            raise forms.ValidationError(
                f"Too many failed sign-in attempts. Wait {minutes} minutes and try again, or "
                "reset your password with 'Forgotten your password?'.",
                code="locked",
            )
        user = authenticate(self.request, email=email.lower(), password=password)
        if user is None or not user.is_active:
            services.sign_in_failed(email=email, client_ip=ip)
            raise forms.ValidationError(self.INVALID, code="invalid")
        services.sign_in_succeeded(email=email, client_ip=ip)
        self.user_cache = user
        return data

    def get_user(self) -> User | None:
        return self.user_cache


class PasswordResetRequestForm(PasswordResetForm):
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        error_messages={
            "required": "Enter your email address",
            "invalid": "Enter an email address in the correct format, like name@example.gov.uk",
        },
        widget=forms.EmailInput(
            attrs={"autocomplete": "email", "spellcheck": "false", "class": "govuk-input"}
        ),
    )

    def get_users(self, email: str) -> Iterator[User]:
        # Accounts added on the Users page have no password yet: this is how people set their
        # first one, so an account without a usable password is included (Django leaves it out).
        yield from User.objects.filter(email__iexact=email.strip(), is_active=True)


class NewPasswordForm(SetPasswordForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        required = {"new_password1": "Enter a new password", "new_password2": "Enter it again"}
        for name, message in required.items():
            self.fields[name].error_messages["required"] = message
            self.fields[name].widget.attrs.update(
                {"class": "govuk-input", "autocomplete": "new-password"}
            )


class UserCreateForm(forms.Form):
    email = forms.EmailField(
        label="Email address", widget=forms.EmailInput(attrs={"class": "govuk-input"})
    )
    full_name = forms.CharField(
        label="Full name",
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"class": "govuk-input"}),
    )
    role = forms.ChoiceField(label="Role", choices=ROLE_CHOICES, widget=forms.RadioSelect)

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("A user with this email address already exists.")
        return email


class UserRolesForm(forms.Form):
    roles = forms.MultipleChoiceField(
        label="Roles", choices=ROLE_CHOICES, required=False, widget=forms.CheckboxSelectMultiple
    )
    active = forms.BooleanField(label="Can sign in", required=False)


class HomeAreaForm(forms.Form):
    """The home area: its local authority districts, one a line, and the region around it.
    Names are checked against the postcode district lookup, the one that places postcodes."""

    local_authorities = forms.CharField(
        label="Local authority districts in the home area",
        help_text=(
            "One a line, named as the postcode district lookup names them, for example "
            "Preston or South Ribble."
        ),
        widget=forms.Textarea(
            attrs={
                "class": "govuk-textarea",
                "rows": 12,
                "spellcheck": "false",
                "aria-describedby": "id_local_authorities-hint",
            }
        ),
    )
    region = forms.ChoiceField(
        label="Region",
        help_text="Suppliers elsewhere in this region count as rest of region.",
        widget=forms.Select(attrs={"class": "govuk-select", "aria-describedby": "id_region-hint"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        region = self.fields["region"]
        assert isinstance(region, forms.ChoiceField)
        region.choices = [("", "Choose a region")] + [(name, name) for name in locality.regions()]

    def full_clean(self) -> None:
        super().full_clean()
        for name in self.errors:  # the error message is read with the field, as its hint is
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["aria-describedby"] = f"id_{name}-hint id_{name}-error"

    def clean_local_authorities(self) -> list[str]:
        known = {name.casefold(): name for name in locality.local_authorities()}
        lines = [line.strip() for line in self.cleaned_data["local_authorities"].splitlines()]
        names = [line for line in lines if line]
        unknown = [name for name in names if name.casefold() not in known]
        if unknown:
            shown = ", ".join(f"'{name[:60]}'" for name in unknown[:5])
            more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
            raise forms.ValidationError(
                f"The postcode district lookup has no local authority called {shown}{more}. "
                "Check the spelling against the list below the box, or remove the line."
            )
        if not names:
            raise forms.ValidationError("Enter at least one local authority district.")
        return sorted({known[name.casefold()] for name in names})
