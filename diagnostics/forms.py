from __future__ import annotations

from typing import Any

from django import forms

from diagnostics.framework_files import Framework as FrameworkSpec
from diagnostics.framework_files import Theme
from diagnostics.models import Answer, Framework, Organisation
from diagnostics.services import EVIDENCE_MAX_CHARS
from portal.forms import UploadField

INPUT = {"class": "govuk-input"}
KIND_CHOICES = Organisation.Kind.choices


def _framework_choices(frameworks: list[Framework]) -> list[tuple[str, str]]:
    return [(str(f.pk), f"{f.short_title} (version {f.version})") for f in frameworks]


class StartForm(forms.Form):
    framework = forms.ChoiceField(
        label="Which self-assessment?",
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a self-assessment"},
    )
    round_label = forms.CharField(
        label="Name this round (optional)",
        max_length=100,
        required=False,
        help_text="For example '2025 baseline'. Left blank, the month and year are used.",
        widget=forms.TextInput(attrs=INPUT),
    )

    def __init__(self, *args: Any, frameworks: list[Framework], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.frameworks = {str(f.pk): f for f in frameworks}
        self.fields["framework"].choices = _framework_choices(frameworks)  # type: ignore[attr-defined]

    def chosen(self) -> Framework:
        return self.frameworks[self.cleaned_data["framework"]]


class InviteForm(StartForm):
    email = forms.EmailField(
        label="Email address of the officer to invite",
        max_length=254,
        widget=forms.EmailInput(attrs={**INPUT, "spellcheck": "false", "autocomplete": "off"}),
        error_messages={
            "required": "Enter the email address of the officer to invite",
            "invalid": "Enter an email address in the correct format, like name@example.gov.uk",
        },
    )
    organisation_name = forms.CharField(
        label="Their organisation",
        max_length=200,
        widget=forms.TextInput(attrs=INPUT),
        error_messages={"required": "Enter the name of their organisation"},
    )
    organisation_kind = forms.ChoiceField(
        label="What kind of organisation is it?",
        choices=KIND_CHOICES,
        widget=forms.RadioSelect,
        initial=Organisation.Kind.COUNCIL,
        error_messages={"required": "Choose what kind of organisation it is"},
    )
    field_order = ["email", "organisation_name", "organisation_kind", "framework"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["round_label"]


class InviteeStartForm(forms.Form):
    respondent_name = forms.CharField(
        label="Your full name",
        max_length=200,
        widget=forms.TextInput(attrs={**INPUT, "autocomplete": "name"}),
        error_messages={"required": "Enter your full name"},
    )


class PublicStartForm(forms.Form):
    respondent_kind = forms.ChoiceField(
        label="Which best describes your organisation?",
        choices=KIND_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what kind of organisation you are answering for"},
    )


class UploadForm(forms.Form):
    MAX_BYTES = 5 * 1024 * 1024
    file = UploadField(
        label="Upload the completed spreadsheet",
        help_text="The .xlsx file downloaded from this page, with your answers in it.",
        error_messages={"required": "Choose the spreadsheet to upload"},
        widget=forms.ClearableFileInput(attrs={"class": "govuk-file-upload", "accept": ".xlsx"}),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise forms.ValidationError("The spreadsheet must be smaller than 5 MB")
        return upload


def level_field(code: str) -> str:
    return f"level-{code}"


def evidence_field(code: str) -> str:
    return f"evidence-{code}"


class ThemeForm(forms.Form):
    """One theme's questions: a level (radios) and an evidence note for each."""

    def __init__(
        self,
        *args: Any,
        spec: FrameworkSpec,
        theme: Theme,
        answers: dict[str, Answer],
        **kwargs: Any,
    ) -> None:
        initial: dict[str, str] = {}
        for question in theme.questions:
            answer = answers.get(question.code)
            initial[level_field(question.code)] = (answer.level_code or "") if answer else ""
            initial[evidence_field(question.code)] = answer.evidence if answer else ""
        kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        self.spec = spec
        self.theme = theme
        choices = [("", "Not answered yet"), *((lv.code, lv.name) for lv in spec.levels)]
        for question in theme.questions:
            self.fields[level_field(question.code)] = forms.ChoiceField(
                label=question.text,
                choices=choices,
                required=False,
                error_messages={
                    "invalid_choice": f"Choose a level for {question.code} from the list"
                },
            )
            self.fields[evidence_field(question.code)] = forms.CharField(
                label=f"Evidence for {question.code} (optional)",
                required=False,
                max_length=EVIDENCE_MAX_CHARS,
                widget=forms.Textarea(attrs={"rows": 3}),
                error_messages={
                    "max_length": f"Evidence for {question.code} must be "
                    f"{EVIDENCE_MAX_CHARS} characters or fewer"
                },
            )

    def answers(self) -> dict[str, tuple[str | None, str]]:
        return {
            question.code: (
                self.cleaned_data[level_field(question.code)] or None,
                self.cleaned_data[evidence_field(question.code)],
            )
            for question in self.theme.questions
        }

    def questions(self) -> list[dict[str, Any]]:
        """What the template needs to draw each question as GOV.UK radios with hints."""
        rows = []
        for question in self.theme.questions:
            name = level_field(question.code)
            current = self[name].value() or ""
            options = [
                {
                    "value": level.code,
                    "label": level.name,
                    "id": f"{name}-{level.code}",
                    "hint": question.descriptors[level.code],
                    "checked": current == level.code,
                }
                for level in self.spec.levels
            ]
            rows.append(
                {
                    "question": question,
                    "name": name,
                    "options": options,
                    "none_id": f"{name}-none",
                    "none_checked": current == "",
                    "errors": self.errors.get(name, []),
                    "evidence": self[evidence_field(question.code)],
                }
            )
        return rows

    def error_links(self) -> list[tuple[str, str]]:
        """(anchor, message) for the error summary, each linked to its field."""
        links: list[tuple[str, str]] = []
        for name, errors in self.errors.items():
            if name.startswith("level-"):
                first = self.spec.levels[0].code
                anchor = f"{name}-{first}"
            else:
                anchor = f"id_{name}"
            links.extend((anchor, str(error)) for error in errors)
        return links
