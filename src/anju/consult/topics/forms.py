from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class ProposalForm(forms.Form):
    title = forms.CharField(label=_("What do you propose?"), max_length=200)
    body = forms.CharField(
        label=_("Why, and what would help"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )


class TopicForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}), required=False)
