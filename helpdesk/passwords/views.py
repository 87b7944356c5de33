"""The password reset page: the same answer at once for every address (``services``)."""

from secrets import token_hex

from django.contrib.auth.forms import PasswordResetForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_protect

from helpdesk.lib.throttle import Limit, limited, posted
from helpdesk.passwords import services


@csrf_protect
@limited(
    Limit("password_reset_per_address"), Limit("password_reset_per_email", key=posted("email"))
)
def password_reset(request: HttpRequest) -> HttpResponse:
    form = PasswordResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.request_reset(form.cleaned_data["email"], request_key=token_hex(8))
        return redirect("password_reset_done")
    return render(request, "registration/password_reset_form.html", {"form": form})
