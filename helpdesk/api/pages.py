"""The account's API token page: make a token (its secret shown once, on the answer to the
POST, never again), see one's tokens, revoke one. Thin: a form validates, ``tokens`` writes."""

from datetime import datetime, time, timedelta

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from escalation.calendar import BUSINESS_TZ
from helpdesk.actor import Actor
from helpdesk.api import tokens
from helpdesk.auth.mfa import passed_second_factor
from helpdesk.lib.http import AuthenticatedHttpRequest
from helpdesk.models import ApiToken, TokenScope, User

DEFAULT_DAYS = 90


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=80,
        label=gettext_lazy("Name"),
        help_text=gettext_lazy("What uses it, e.g. “Agency ticket sync”."),
    )
    scope = forms.ChoiceField(label=gettext_lazy("Scope"), widget=forms.RadioSelect)
    expires_on = forms.DateField(
        label=gettext_lazy("Expires on"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("Required; at most a year away."),
    )

    def __init__(self, *args: object, user: User, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        scope = self.fields["scope"]
        assert isinstance(scope, forms.ChoiceField)
        scope.choices = [(s.value, s.label) for s in tokens.scopes_for(user)]
        scope.initial = TokenScope.READ
        self.fields["expires_on"].initial = timezone.localdate() + timedelta(days=DEFAULT_DAYS)

    def expires_at(self) -> datetime:
        """The end of the chosen day, Central time."""
        day = self.cleaned_data["expires_on"] + timedelta(days=1)
        return datetime.combine(day, time.min, tzinfo=BUSINESS_TZ)


@login_required
@never_cache
def token_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None, user=request.user)
    context: dict[str, object] = {"form": form, "max_days": settings.API_TOKEN_MAX_DAYS}
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                token, secret = tokens.create_token(
                    by=Actor.of(request.user),
                    name=form.cleaned_data["name"],
                    scope=form.cleaned_data["scope"],
                    expires_at=form.expires_at(),
                    second_factor_passed=passed_second_factor(request),
                )
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    form.add_error("expires_on" if field == "expires_at" else field, errors)
            else:
                context |= {"created": token, "secret": secret}
                context["form"] = TokenForm(user=request.user)
        if form.errors:
            status = 400
    context["tokens"] = tokens.tokens_of(request.user)
    return render(request, "api/tokens.html", context, status=status)


@login_required
@require_POST
def token_revoke(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    token = ApiToken.objects.filter(pk=pk, user=request.user).first()
    if token is None:
        raise Http404
    tokens.revoke_token(token, by=Actor.of(request.user))
    messages.success(request, _("Token %(prefix)s… revoked.") % {"prefix": token.prefix})
    return redirect("api_tokens")
