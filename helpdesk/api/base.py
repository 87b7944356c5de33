"""What every API view shares: the body size limit, optimistic concurrency (ETag / If-Match) and
idempotent POSTs (``Idempotency-Key``). Views stay thin: parse, ask the feature's permission
getters and selectors, call one service, serialize."""

import hashlib
import json
import re
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from helpdesk.api.errors import (
    IdempotencyInProgress,
    IdempotencyMismatch,
    PayloadTooLarge,
    PreconditionFailed,
    PreconditionRequired,
)
from helpdesk.models import IdempotentRequest

IDEMPOTENCY_HEADER = "Idempotency-Key"
_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")  # visible ASCII, as the draft standard asks
_ETAG = re.compile(r'^(?:W/)?"(\d+)-(\d+)"$')
# Headers of the first answer that a replay repeats.
_REPLAYED_HEADERS = ("ETag", "Location")


def etag(record: models.Model) -> str:
    """A strong ETag from the record's id and ``version`` (bumped by every save on the
    transition path)."""
    return f'"{record.pk}-{record.version}"'  # type: ignore[attr-defined]


def if_match_version(request: Request, record: models.Model) -> int:
    """The version the client saw, from ``If-Match``: required on every change (428 without
    it), and it must be the record's ETag now (412 otherwise). ``*`` means "whatever it is"
    and is refused too: a client says which version it acts on."""
    header = request.headers.get("If-Match", "").strip()
    if not header:
        raise PreconditionRequired()
    current = etag(record)
    for candidate in (part.strip() for part in header.split(",")):
        match = _ETAG.match(candidate)
        if match and int(match.group(1)) == record.pk and candidate.lstrip("W/") == current:
            return int(match.group(2))
    raise PreconditionFailed()


class Replay(exceptions.APIException):
    """Raised before the handler when an Idempotency-Key's first answer is known."""

    def __init__(self, stored: IdempotentRequest) -> None:
        super().__init__()
        self.stored = stored


def _fingerprint(request: Request) -> str:
    """SHA-256 of what the request asks: its JSON body in one canonical form, or its form
    fields and the SHA-256 of each uploaded file."""
    parts: list[Any] = []
    data = request.data
    if hasattr(data, "lists"):
        parts = sorted((key, values) for key, values in data.lists())
    else:
        parts = [data]
    files = [
        (name, upload.name, hashlib.sha256(upload.read()).hexdigest())
        for name, upload in sorted(request.FILES.items())
    ]
    for upload in request.FILES.values():
        upload.seek(0)
    canonical = json.dumps([parts, files], sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


class ApiView(APIView):
    """The base of every API view."""

    # The largest body this view reads (multipart views raise it for their files).
    max_body: int | None = None
    # The scope a token needs, when not the method's default (read for GET, write else).
    scope: str | None = None

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().dispatch(request, *args, **kwargs)
        except Exception:
            claimed = getattr(self, "_idempotent", None)
            if claimed is not None:  # a bug, not an answer: a retry may act
                claimed.delete()
            raise

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        limit = self.max_body or settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        length = request.META.get("CONTENT_LENGTH") or "0"
        if not length.isdigit():
            raise exceptions.ParseError("Content-Length is not a number.")
        if int(length) > limit:
            raise PayloadTooLarge()
        super().initial(request, *args, **kwargs)
        self._idempotent: IdempotentRequest | None = None
        if request.method == "POST" and IDEMPOTENCY_HEADER in request.headers:
            self._claim_key(request)

    def _claim_key(self, request: Request) -> None:
        key = request.headers[IDEMPOTENCY_HEADER].strip()
        if not _KEY.match(key):
            raise exceptions.ValidationError(
                {IDEMPOTENCY_HEADER: ["Use 1 to 200 visible ASCII characters."]}
            )
        route = f"{request.method} {request.path}"
        fingerprint = _fingerprint(request)
        since = timezone.now() - timedelta(hours=settings.API_IDEMPOTENCY_HOURS)
        mine = IdempotentRequest.objects.filter(user=request.user, key=key, route=route)
        mine.filter(created_at__lt=since).delete()  # an expired key is free again
        try:
            with transaction.atomic():
                self._idempotent = IdempotentRequest.objects.create(
                    user=request.user, key=key, route=route, fingerprint=fingerprint, status=0
                )
        except IntegrityError:
            stored = mine.first()
            if stored is None:  # expired and deleted meanwhile: act
                return
            if stored.fingerprint != fingerprint:
                raise IdempotencyMismatch() from None
            if stored.status == 0:
                raise IdempotencyInProgress() from None
            raise Replay(stored) from None

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, Replay):
            stored = exc.stored
            headers = dict(stored.headers)
            content_type = headers.pop("Content-Type", "application/json").split(";")[0]
            response = Response(
                stored.body, status=stored.status, headers=headers, content_type=content_type
            )
            response["Idempotent-Replayed"] = "true"
            return response
        return super().handle_exception(exc)

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)
        claimed = getattr(self, "_idempotent", None)
        if claimed is not None:
            if response.status_code >= 500:
                claimed.delete()  # nothing was done for sure: a retry may act
            else:
                claimed.status = response.status_code
                claimed.body = getattr(response, "data", None)
                claimed.headers = {
                    h: response[h] for h in _REPLAYED_HEADERS if response.has_header(h)
                }
                # Set when rendered, after this: the type the view asked for (problem+json).
                claimed.headers["Content-Type"] = (
                    getattr(response, "content_type", None) or "application/json"
                )
                claimed.save(update_fields=["status", "body", "headers"])
        return response
