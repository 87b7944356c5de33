"""The saved replies' forms (the page of each role's replies). They validate only."""

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from helpdesk.models import REPLY_ACTIONS, SavedReply


class SavedReplyForm(forms.ModelForm):
    class Meta:
        model = SavedReply
        fields = ["title", "body", "action", "active"]
        widgets = {"body": forms.Textarea(attrs={"rows": 6})}

    def __init__(self, *args: Any, owners: list[tuple[str, str]] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        action = self.fields["action"]
        action.label = _("Then (optional)")
        cast(forms.ChoiceField, action).choices = [
            ("", _("Nothing more: only the message")),
            *((a.value, a.label) for a in REPLY_ACTIONS),
        ]
        if owners is not None and len(owners) > 1:
            # Staff of both roles say whose reply a new one is; an edit keeps its owner.
            self.fields["owner"] = forms.ChoiceField(choices=owners, label=_("For"))
