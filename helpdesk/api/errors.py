"""Every refusal of the API as RFC 9457 problem details (``application/problem+json``): ``type``,
``title``, ``status``, ``detail`` and, for invalid input, ``errors``: each field's messages.

Whatever a client sends, the answer is a 4xx, never a 5xx: malformed JSON and wrong types are
400, a field the operation does not take is 400 (named in ``errors``), a body over
``DATA_UPLOAD_MAX_MEMORY_SIZE`` is 413 (read from Content-Length before the body is), the
one ``ConflictError`` of the transition path is 409, a stale ``If-Match`` 412, a missing one
428, and an ``Idempotency-Key`` sent again with another body 422."""

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.forms.utils import ErrorDict
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from helpdesk.transitions import ConflictError

PROBLEM = "application/problem+json"
TYPE_BASE = "/api/v1/problems/"
NON_FIELD = "non_field_errors"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = gettext_lazy("Someone acted first: nothing was changed.")
    default_code = "conflict"


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = gettext_lazy(
        "The record changed since you read it (If-Match no longer matches its ETag). "
        "Nothing was changed: read it again and retry."
    )
    default_code = "stale"


class PreconditionRequired(exceptions.APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = gettext_lazy(
        "This change needs an If-Match header with the record's ETag, as read."
    )
    default_code = "if_match_required"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = gettext_lazy("The request body is too large.")
    default_code = "too_large"


class IdempotencyMismatch(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = gettext_lazy(
        "This Idempotency-Key was used with another request body: use a new key."
    )
    default_code = "idempotency_key_reused"


class IdempotencyInProgress(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = gettext_lazy("A request with this Idempotency-Key is still being handled.")
    default_code = "idempotency_key_in_progress"


TITLES = {
    400: gettext_lazy("Invalid request"),
    401: gettext_lazy("Not signed in"),
    403: gettext_lazy("Not allowed"),
    404: gettext_lazy("Not found"),
    405: gettext_lazy("Method not allowed"),
    406: gettext_lazy("Not acceptable"),
    409: gettext_lazy("Conflict"),
    412: gettext_lazy("Precondition failed"),
    413: gettext_lazy("Request too large"),
    415: gettext_lazy("Unsupported media type"),
    422: gettext_lazy("Unprocessable request"),
    428: gettext_lazy("Precondition required"),
    429: gettext_lazy("Too many requests"),
}


def problem(
    status_code: int,
    detail: str,
    *,
    code: str = "",
    errors: Mapping[str, list[str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": TYPE_BASE + (code or str(status_code)),
        "title": str(TITLES.get(status_code, _("Error"))),
        "status": status_code,
        "detail": detail,
    }
    if errors:
        body["errors"] = dict(errors)
    response = Response(body, status=status_code, content_type=PROBLEM, headers=headers)
    return response


def field_errors(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail, or a Django form's errors, as one flat map of field paths
    ("occurred_at", "files.0") to their messages."""
    if isinstance(detail, ErrorDict):
        return {
            (NON_FIELD if name == "__all__" else name): [str(m) for m in messages]
            for name, messages in detail.items()
        }
    if isinstance(detail, Mapping):
        flat: dict[str, list[str]] = {}
        for name, value in detail.items():
            key = f"{prefix}.{name}" if prefix else str(name)
            flat |= field_errors(value, key)
        return flat
    if isinstance(detail, list) and detail and all(isinstance(d, Mapping | list) for d in detail):
        flat = {}
        for index, value in enumerate(detail):
            flat |= field_errors(value, f"{prefix}.{index}" if prefix else str(index))
        return flat
    messages = detail if isinstance(detail, list) else [detail]
    return {prefix or NON_FIELD: [str(m) for m in messages]}


def _django_validation(error: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {
            (NON_FIELD if name == "__all__" else name): [str(m) for m in messages]
            for name, messages in error.message_dict.items()
        }
    return {NON_FIELD: [str(m) for m in error.messages]}


def problem_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's exception handler: each known refusal as its problem; anything else is a bug and
    left to Django (a 500, and a test that fails)."""
    set_rollback()
    if isinstance(exc, exceptions.ValidationError):
        errors = field_errors(exc.detail)
        return problem(400, _("Some fields are not valid."), code="invalid", errors=errors)
    if isinstance(exc, DjangoValidationError):
        errors = _django_validation(exc)
        detail = " ".join(m for messages in errors.values() for m in messages)
        return problem(400, detail, code="invalid", errors=errors)
    if isinstance(exc, ConflictError):
        return problem(409, str(exc), code="conflict")
    if isinstance(exc, Http404):
        return problem(404, _("There is nothing here, or nothing you may see."), code="not_found")
    if isinstance(exc, DjangoPermissionDenied):
        detail = str(exc) or _("You may not do that.")
        return problem(403, detail, code="forbidden")
    if isinstance(exc, RequestDataTooBig):
        return problem(413, str(PayloadTooLarge.default_detail), code="too_large")
    if isinstance(exc, exceptions.APIException):
        headers: dict[str, str] = {}
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            # DRF's view puts the WWW-Authenticate header on the exception's response itself.
            authenticate = getattr(exc, "auth_header", None)
            if authenticate:
                headers["WWW-Authenticate"] = authenticate
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            headers["Retry-After"] = str(int(exc.wait))
        detail = exc.detail
        text = str(detail) if not isinstance(detail, list | dict) else _("Invalid request.")
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else ""
        return problem(exc.status_code, text, code=str(code), headers=headers)
    return None


@csrf_exempt  # nothing is done: a POST to nowhere is a 404 too, not the CSRF page
def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Any path under /api/v1/ that names no operation."""
    body = {
        "type": TYPE_BASE + "not_found",
        "title": str(TITLES[404]),
        "status": 404,
        "detail": _("There is no such operation: see /api/v1/schema/."),
    }
    return JsonResponse(body, status=404, content_type=PROBLEM)


class StrictSerializer(serializers.Serializer):
    """A request body: only the fields the operation takes. An unknown field is refused (400,
    named in ``errors``): a client's typo must not be silently dropped."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            known = {name for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(str(key) for key in data if key not in known)
            if unknown:
                raise exceptions.ValidationError(
                    {name: [_("This operation takes no such field.")] for name in unknown}
                )
        return super().to_internal_value(data)
