"""Forms of opinion collection, and the parsing of answers from a page: the resident's form (option ids from
radio buttons and check boxes) and the paper entry's (option numbers typed as on the printed form, "2" or "1 3")."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anju.consult.models import Question, Survey
from anju.consult.models.surveys import Per
from anju.consult.surveys.services import Answer
from anju.core.forms import DateInput
from anju.core.params import parse_int


class SurveyForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=120)
    description = forms.CharField(
        label=gettext_lazy("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    per = forms.ChoiceField(label=gettext_lazy("Who answers"), choices=Per.choices, initial=Per.HOUSEHOLD)
    topic = forms.TypedChoiceField(
        label=gettext_lazy("Topic"),
        coerce=int,
        required=False,
        empty_value=None,
        help_text=gettext_lazy("The topic (e.g. this month's 每月一题) the survey gathers opinions on, if any"),
    )

    def __init__(self, *args: Any, topics: Any = (), **kwargs: Any) -> None:
        """``topics``: those within the user's reach that a survey may belong to (selectors.topics_to_ask)."""
        super().__init__(*args, **kwargs)
        self.topics = list(topics)
        several = len({t.community_id for t in self.topics}) > 1
        self.fields["topic"].choices = [  # type: ignore[attr-defined]
            ("", "—"),
            *((t.pk, f"{t.title} · {t.community.name}" if several else t.title) for t in self.topics),
        ]

    def topic_picked(self) -> Any:
        """The topic chosen (one of ``topics``), or None."""
        wanted = self.cleaned_data.get("topic")
        return next((t for t in self.topics if t.pk == wanted), None)


class QuestionForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=Question.Kind.choices)
    text = forms.CharField(label=gettext_lazy("Question"), max_length=300)
    options = forms.CharField(
        label=gettext_lazy("Options, one a line"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    rating_max = forms.IntegerField(label=gettext_lazy("Highest rating"), min_value=2, max_value=10, initial=5)
    required = forms.BooleanField(label=gettext_lazy("An answer is needed"), required=False, initial=True)


class TallyForm(forms.Form):
    question = forms.TypedChoiceField(label=gettext_lazy("Question"), coerce=int)
    meeting_id = forms.TypedChoiceField(label=gettext_lazy("Meeting"), coerce=int, required=False, empty_value=None)
    meeting = forms.CharField(
        label=gettext_lazy("Or the meeting's name"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("For a meeting not planned here, e.g. 巷口板凳会"),
    )
    held_on = forms.DateField(label=gettext_lazy("Held on"), widget=DateInput())
    attendance = forms.IntegerField(label=gettext_lazy("Attendance (head count)"), min_value=1, max_value=100_000)

    def __init__(self, *args: Any, survey: Survey, meetings: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["meeting_id"].choices = [  # type: ignore[attr-defined]
            ("", "—"),
            *((m.pk, f"{m.title} · {timezone.localtime(m.starts_at):%Y-%m-%d}") for m in meetings),
        ]
        self.fields["question"].choices = [(q.pk, q.text) for q in survey.questions.all() if q.has_options]  # type: ignore[attr-defined]


def answers_from_form(questions: list[Question], data: Any) -> dict[int, Answer]:
    """The resident's (and the volunteer's) form: ``q<id>`` holds option ids, a rating or a text."""
    answers: dict[int, Answer] = {}
    for q in questions:
        key = f"q{q.pk}"
        if q.has_options:
            ids = [parse_int(v, minimum=1) for v in data.getlist(key)]
            answers[q.pk] = Answer(options=tuple(i if i is not None else -1 for i in ids))
        elif q.kind == Question.Kind.RATING:
            raw = data.get(key, "")
            rating = parse_int(raw, minimum=0, maximum=100) if raw else None
            answers[q.pk] = Answer(rating=0 if raw and rating is None else rating)  # 0: refused as out of range
        else:
            answers[q.pk] = Answer(text=str(data.get(key, ""))[:2000])
    return answers


_NUMBERS = re.compile(r"[\s,，、;；/]+")


def answers_from_paper(questions: list[Question], data: Any) -> dict[int, Answer]:
    """The paper entry: option numbers as printed on the form ("2", "1 3", "1,3"), a rating digit, a text.
    A number that is no option's raises a ValidationError keyed ``q<id>``."""
    answers: dict[int, Answer] = {}
    errors: dict[str, list[str]] = {}
    for q in questions:
        key = f"q{q.pk}"
        raw = str(data.get(key, "")).strip()
        if q.has_options:
            options = list(q.options.all())
            chosen: list[int] = []
            for part in (p for p in _NUMBERS.split(raw) if p):
                n = parse_int(part, minimum=1, maximum=len(options))
                if n is None:
                    errors[key] = [_("Type option numbers from 1 to %(n)d.") % {"n": len(options)}]
                    break
                chosen.append(options[n - 1].pk)
            answers[q.pk] = Answer(options=tuple(chosen))
        elif q.kind == Question.Kind.RATING:
            rating = parse_int(raw, minimum=0, maximum=100) if raw else None
            if raw and rating is None:
                errors[key] = [_("Give a rating from 1 to %(n)d.") % {"n": q.rating_max}]
            answers[q.pk] = Answer(rating=rating)
        else:
            answers[q.pk] = Answer(text=raw[:2000])
    if errors:
        raise ValidationError(errors)
    return answers
