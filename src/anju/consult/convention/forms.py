"""Forms of the convention pages: typed input only; the services hold the rules."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from anju.consult.models import AckMethod, AdoptionMethod, AmendmentKind
from anju.core.forms import DateInput


class CreateForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=100, initial="居民公约")
    preamble = forms.CharField(
        label=_("Preamble"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class ArticleForm(forms.Form):
    title = forms.CharField(label=_("Article title"), max_length=60)
    body = forms.CharField(label=_("Article text"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    position = forms.IntegerField(label=_("Insert as article number"), min_value=1, max_value=1000, required=False)
    article = forms.IntegerField(required=False, widget=forms.HiddenInput)


class CommentForm(forms.Form):
    article = forms.IntegerField(widget=forms.HiddenInput)
    body = forms.CharField(label=_("Your comment"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))
    household = forms.IntegerField(label=_("For the household"), required=False)


class AmendmentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=AmendmentKind.choices)
    article = forms.IntegerField(label=_("Article number"), required=False, min_value=1, max_value=1000)
    title = forms.CharField(label=_("Proposed title"), max_length=60, required=False)
    body = forms.CharField(
        label=_("Proposed text"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    rationale = forms.CharField(label=_("Why"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class DecideForm(forms.Form):
    accept = forms.TypedChoiceField(
        label=_("Decision"),
        choices=[("1", _("Accept")), ("0", _("Reject"))],
        coerce=lambda v: v == "1",
    )
    reason = forms.CharField(label=_("Reason (published)"), max_length=300)


class OpenCommentForm(forms.Form):
    until = forms.DateField(label=_("Comments until"), widget=DateInput)


class AdoptForm(forms.Form):
    method = forms.ChoiceField(label=_("Adopted by"), choices=AdoptionMethod.choices)
    decided_on = forms.DateField(label=_("Decided on"), widget=DateInput)
    eligible = forms.IntegerField(
        label=_("Representatives entitled (a meeting)"), min_value=0, max_value=1_000_000, required=False
    )
    present = forms.IntegerField(label=_("Took part"), min_value=0, max_value=1_000_000)
    in_favour = forms.IntegerField(label=_("In favour"), min_value=0, max_value=1_000_000)
    against = forms.IntegerField(label=_("Against"), min_value=0, max_value=1_000_000, initial=0)
    note = forms.CharField(label=_("Note (the meeting, the ballot)"), max_length=300, required=False)


class EnactForm(forms.Form):
    in_force_from = forms.DateField(label=_("In force from"), widget=DateInput, required=False)


class ReviseForm(forms.Form):
    change_note = forms.CharField(label=_("What the new version will change"), max_length=300, required=False)


class PaperForm(forms.Form):
    household = forms.IntegerField(widget=forms.HiddenInput)
    method = forms.ChoiceField(
        choices=[
            (AckMethod.PAPER_WORKER, AckMethod.PAPER_WORKER.label),
            (AckMethod.PAPER_CENTRAL, AckMethod.PAPER_CENTRAL.label),
        ]
    )
