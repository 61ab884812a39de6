"""One way to declare a route: credentials, role, rate tier, typed body/query, OpenAPI docs.

    @endpoint(bp, "POST", "/apps", access=ADMIN, body=AppIn, responses={201: AppOut})
    async def create_app(request, principal, body): ...

The wrapper authenticates (401/403), counts the rate-limit tier (429), parses and
validates the body and query (400/413), then calls the handler with them.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sanic import Blueprint, HTTPResponse, Request
from sanic_ext import openapi
from sanic_ext.extensions.openapi.definitions import Component, Parameter, RequestBody, Response

from api import audit
from api.auth import Access, Kind, authenticate
from core.errors import BadRequest, PayloadTooLarge
from pipelines import activity

API_MAX_BODY = 1024 * 1024  # API.md section 0
SDK_MAX_BODY = 256 * 1024
ROUTES: list[RouteInfo] = []  # every declared route, for docs and the isolation suite


class Body(BaseModel):
    """Base of request bodies: JSON types are not coerced; unknown keys are ignored."""

    model_config = ConfigDict(strict=True, extra="ignore", str_strip_whitespace=True)


class Query(BaseModel):
    """Base of query-string models: strings are converted to the declared types."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


# An app id in a body or query: out of the key's range is 400 (in a path, 404).
AppId = Annotated[int, Field(ge=1, le=2**31 - 1)]


class AppQuery(Query):
    """`?app_id=`: the app a route reads (another organisation's is 404)."""

    app_id: AppId = Field(description="the app (required)")


class OptionalAppQuery(Query):
    """`?app_id=` naming the app an object must belong to, when given."""

    app_id: int | None = Field(None, ge=1, le=2**31 - 1)


def set_fields(
    body: BaseModel, nullable: frozenset[str], what: str, exclude: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """The fields a partial update set; null clears a `nullable` field and is 400 for any other (those
    columns always hold a value)."""
    data = body.model_dump(exclude_unset=True, exclude=set(exclude))
    nulls = sorted(k for k, v in data.items() if v is None and k not in nullable)
    if nulls:
        raise BadRequest(f"Invalid {what}", {k: "cannot be null" for k in nulls})
    return data


class ErrorOut(BaseModel):
    error: str
    details: dict[str, Any] | None = None


@dataclass(frozen=True)
class RouteInfo:
    method: str
    path: str
    name: str
    access: Access
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    action: str | None


def _size(n: int) -> str:
    return f"{n // 1024 // 1024} MiB" if n % (1024 * 1024) == 0 else f"{n // 1024} KiB"


def validation_details(exc: ValidationError) -> dict[str, str]:
    """pydantic errors as field path -> message."""
    details: dict[str, str] = {}
    for err in exc.errors(include_url=False):
        path = ".".join(str(p) for p in err["loc"]) or "body"
        details.setdefault(path, err["msg"])
    return details


def _nul_path(value: Any, path: str = "") -> str | None:
    """The dotted path of the first string (or key) in `value` holding a NUL character, else None."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    items: Any = (
        value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    )
    for key, item in items:
        here = f"{path}.{key}" if path else str(key)
        if isinstance(key, str) and "\x00" in key:
            return here
        found = _nul_path(item, here)
        if found is not None:
            return found
    return None


def parse_body(request: Request, model: type[BaseModel]) -> BaseModel:
    """The request's JSON body validated by `model` (400 with details)."""
    raw = request.body or b""
    try:
        data = orjson.loads(raw) if raw.strip() else {}
    except orjson.JSONDecodeError:
        raise BadRequest("Invalid JSON body") from None
    if not isinstance(data, dict):
        raise BadRequest("JSON body must be an object")
    # PostgreSQL cannot store NUL in text or jsonb; in valid JSON it can only be written \u0000.
    nul = _nul_path(data) if b"\\u0000" in raw else None
    if nul is not None:
        raise BadRequest("Invalid request body", {nul or "body": "must not contain NUL characters"})
    try:
        # JSON mode: strict about JSON types, yet enums and datetimes come from strings.
        return model.model_validate_json(raw if raw.strip() else b"{}")
    except ValidationError as exc:
        raise BadRequest("Invalid request body", validation_details(exc)) from None


def parse_query(request: Request, model: type[BaseModel]) -> BaseModel:
    """The query string validated by `model` (400 with details)."""
    data: dict[str, Any] = {}
    for key, values in request.args.items():
        field = model.model_fields.get(key)
        is_list = field is not None and getattr(field.annotation, "__origin__", None) is list
        data[key] = values if is_list else values[-1]
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise BadRequest("Invalid query parameters", validation_details(exc)) from None


def _schema_ref(model: type[BaseModel] | None) -> Any:
    if model is None:
        return {}
    return {"application/json": {"schema": Component(model)}}


PATH_PARAM = re.compile(r"<([^:>]+)(?::([^>]+))?>")
INTEGER_PATH_TYPES = {"int", "id", "bigid"}  # sanic-ext documents only the built-in int as an integer

SECURITY = {Kind.user: "bearer", Kind.sdk: "sdkKey", Kind.orgkey: "apiKey", Kind.operator: "adminToken"}


def _document(
    handler: Callable[..., Any],
    *,
    path: str,
    access: Access,
    body: type[BaseModel] | None,
    query: type[BaseModel] | None,
    responses: dict[int, type[BaseModel] | str | None],
    summary: str,
    description: str | None,
    tag: str,
) -> Callable[..., Any]:
    """Attach the OpenAPI operation; returns the function to register (sanic-ext may wrap it)."""
    docs: list[Response] = []
    for status, model in responses.items():
        if isinstance(model, str):  # a non-JSON media type, e.g. text/csv or text/event-stream
            docs.append(Response({model: {"schema": {"type": "string"}}}, status=status, description=model))
        elif status >= 400:
            docs.append(Response(_schema_ref(model or ErrorOut), status=status, description="Error"))
        else:
            docs.append(Response(_schema_ref(model), status=status, description="Success"))
    errors = {
        400: "Invalid parameters",
        429: "Rate limited",
        503: "A dependency (database, Redis, queue) is down",
    }
    if body is not None:
        errors[413] = "Request body too large"
    if access.kind is not Kind.public:
        errors.update({401: "Missing or invalid credentials", 403: "Not allowed", 404: "Not found"})
    for status, text in errors.items():
        if status not in responses:
            docs.append(Response(_schema_ref(ErrorOut), status=status, description=text))
    parameters = [
        Parameter(name, int if label in INTEGER_PATH_TYPES else str, location="path", required=True)
        for name, label in PATH_PARAM.findall(path)
    ]
    if query is not None:
        for name, field in query.model_fields.items():
            annotation = field.annotation
            schema_type = {int: int, float: float, bool: bool}.get(annotation, str)  # type: ignore[call-overload]
            parameters.append(
                Parameter(
                    name,
                    schema_type,
                    location="query",
                    required=field.is_required(),
                    description=field.description or "",
                )
            )
    return openapi.definition(
        summary=summary,
        description=description,
        tag=tag,
        body=RequestBody(_schema_ref(body), required=True) if body is not None else None,
        response=docs,
        parameter=parameters or None,
        secured=SECURITY.get(access.kind),
    )(handler)


def endpoint(
    bp: Blueprint,
    method: str,
    path: str,
    *,
    access: Access,
    responses: dict[int, type[BaseModel] | str | None],
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    max_body: int | None = None,
    summary: str | None = None,
    action: str | None = None,
    body_doc: type[BaseModel] | None = None,
) -> Callable[[Callable[..., Awaitable[HTTPResponse]]], Callable[..., Awaitable[HTTPResponse]]]:
    """Register `fn(request, principal, [body], [query], **path_params)` on `bp`.

    `action` (`<resource>.<verb>`) names the activity-log entry written after each
    successful call; every mutating route of users must have one. `body_doc` documents
    a body the handler validates itself (hot paths parse with msgspec).
    """
    if max_body is None:
        max_body = SDK_MAX_BODY if access.kind in (Kind.sdk, Kind.orgkey) else API_MAX_BODY
    if action is None and method in audit.MUTATING and access.kind is Kind.user:
        raise ValueError(f"{method} {path}: mutating user routes name their activity action")

    def decorator(fn: Callable[..., Awaitable[HTTPResponse]]) -> Callable[..., Awaitable[HTTPResponse]]:
        async def handler(request: Request, **path_params: Any) -> HTTPResponse:
            if len(request.body or b"") > max_body:
                raise PayloadTooLarge(f"Request body too large (limit {_size(max_body)})")
            principal = await authenticate(request, access)
            request.ctx.principal = principal
            kwargs: dict[str, Any] = dict(path_params)
            if body is not None:
                kwargs["body"] = parse_body(request, body)
            if query is not None:
                kwargs["query"] = parse_query(request, query)
            if action is None:
                return await fn(request, principal, **kwargs)
            who = audit.actor(request, principal)
            if who is None:  # a caller of no organisation yet (register, accept-invite): legacy path
                response = await fn(request, principal, **kwargs)
            else:
                # The pipeline writes the entry in the change's own transaction (activity.record_change);
                # a handler that did not is recorded after its response (the legacy path).
                with activity.acting(who, action) as pending:
                    response = await fn(request, principal, **kwargs)
                if pending.recorded:
                    return response
            await audit.record(request, principal, action, response, path_params)
            return response

        handler.__name__ = fn.__name__
        handler.__qualname__ = fn.__qualname__
        handler.__doc__ = fn.__doc__
        documented = _document(
            handler,
            path=path,
            access=access,
            body=body or body_doc,
            query=query,
            responses=responses,
            summary=summary or (fn.__doc__ or fn.__name__).strip().splitlines()[0],
            description=fn.__doc__,
            tag=bp.name,
        )
        bp.add_route(documented, path, methods=[method], name=fn.__name__)
        prefix = bp.url_prefix or ""
        ROUTES.append(
            RouteInfo(
                method, prefix + path, f"{bp.name}.{fn.__name__}", access, body or body_doc, query, action
            )
        )
        return fn

    return decorator
