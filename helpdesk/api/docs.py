"""The API's docs page: every operation of the served schema, rendered on the server from that
schema (no Swagger UI or Redoc: their scripts come from a CDN, which the site's CSP refuses,
and a page of our own passes the same accessibility checks as every other)."""

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from drf_spectacular.generators import SchemaGenerator

METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    summary: str
    description: str
    parameters: list[dict[str, Any]] = field(default_factory=list)
    body: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)


@cache
def schema() -> dict[str, Any]:
    generated: dict[str, Any] = SchemaGenerator().get_schema(request=None, public=True)
    return generated


def _body_fields(operation: dict[str, Any], components: dict[str, Any]) -> list[str]:
    content = operation.get("requestBody", {}).get("content", {})
    for media in content.values():
        ref = media.get("schema", {}).get("$ref", "")
        component = components.get(ref.rsplit("/", 1)[-1], {})
        required = set(component.get("required", []))
        return [
            f"{name}{' *' if name in required else ''}" for name in component.get("properties", {})
        ]
    return []


def operations() -> list[Operation]:
    spec = schema()
    components = spec.get("components", {}).get("schemas", {})
    found = []
    for path, item in spec.get("paths", {}).items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            found.append(
                Operation(
                    method=method.upper(),
                    path=path,
                    summary=operation.get("summary", operation.get("operationId", "")),
                    description=operation.get("description", ""),
                    parameters=[
                        {"name": p["name"], "in": p["in"], "required": p.get("required", False)}
                        for p in operation.get("parameters", [])
                    ],
                    body=_body_fields(operation, components),
                    statuses=sorted(operation.get("responses", {})),
                )
            )
    return found


@login_required
def api_docs(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "api/docs.html",
        {"operations": operations(), "info": schema().get("info", {})},
    )
