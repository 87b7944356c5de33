"""The saved replies' forms (the page of each role's replies). They validate only."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from helpdesk.models import SavedReply


class SavedReplyForm(forms.ModelForm):
    class Meta:
        model = SavedReply
        fields = ["title", "body", "action", "active"]
        widgets = {"body": forms.Textarea(attrs={"rows": 6})}

    def __init__(self, *args: Any, owners: list[tuple[str, str]] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["action"].label = _("Then (optional)")
        if owners is not None and len(owners) > 1:
            # Staff of both roles say whose reply a new one is; an edit keeps its owner.
            self.fields["owner"] = forms.ChoiceField(choices=owners, label=_("For"))
