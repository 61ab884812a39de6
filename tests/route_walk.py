"""Every /api/v4 route of the app, discovered from its router, and requests to it aimed at one org's objects.

The tenant-isolation suite (tests/api/test_isolation.py) walks these. A new route is walked
automatically; a new path parameter or body/query id field must be mapped in ID_PARAMS (or
SCOPED_VALUES) below, and the object it names created in tests/isolation.py `build_org`.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from api.auth import Access, Kind
from api.routing import PATH_PARAM, ROUTES, RouteInfo
from core.models import ROLE_RANK, Role

if TYPE_CHECKING:
    from tests.isolation import OrgData

PREFIX = "/api/v4"
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Router entries under /api/v4 that are not API routes of an organisation (the published document).
NOT_API_ROUTES = {("GET", "/api/v4/openapi.json")}

# Objects an organisation owns: path parameter or body/query field name -> that object's id in `org`.
# A request carrying one of these of another org must be refused (API.md section 0: 404).
# A new route naming another object: create one in tests/isolation.py build_org, then map it here.
ID_PARAMS: dict[str, Callable[[OrgData], Any]] = {
    "org_id": lambda org: org.org_id,
    "app_id": lambda org: org.app_id,
    "user_id": lambda org: org.viewer.user_id,
    "member_id": lambda org: org.viewer.user_id,
    "job_id": lambda org: org.job_id,
    "device_id": lambda org: org.device_id,
    "flag_id": lambda org: org.extra["flag_id"],
    "experiment_id": lambda org: org.extra["experiment_id"],
    "segment_id": lambda org: org.extra["segment_id"],
    "custom_segment_id": lambda org: org.extra["segment_id"],
    "dashboard_id": lambda org: org.extra["dashboard_id"],
    "alert_id": lambda org: org.extra["alert_id"],
    "conversation_id": lambda org: org.extra["conversation_id"],
    "report_id": lambda org: org.extra["report_id"],
    "webhook_id": lambda org: org.extra["webhook_id"],
    "notification_id": lambda org: org.extra["notification_id"],
    # Platform objects only operators change (no org credential opens their routes): one per org all the same,
    # so the walk has a real id to aim at. A blog post is a draft (public reads of it are 404 like any
    # other org's object); a dead letter is named by a message id.
    "post_id": lambda org: org.extra["post_id"],
    "slug": lambda org: org.extra["post_slug"],
    "dead_letter_id": lambda org: org.extra["dead_letter_id"],
    # "<object>_id": lambda org: org.extra["<object>_id"],   <- future objects go here
}

# Names that identify something inside an app or org, legitimately reused by other orgs (the same
# android_id or package in two orgs are two different objects): filled with `org`'s value, not refused.
SCOPED_VALUES: dict[str, Callable[[OrgData], Any]] = {
    "android_id": lambda org: org.android_id,
    "package_name": lambda org: org.package_name,
    "event_id": lambda org: str(uuid.uuid4()),
    "project_id": lambda org: "isolation-project",  # a Firebase project, outside the platform
    "product_id": lambda org: "isolation-product",  # an in-app product of the store, outside the platform
}

# Query values that keep the walk fast (heavy routes answer 202 at once instead of waiting).
QUERY_VALUES: dict[str, Any] = {"wait": 0}

# Candidate strings for fields with a pattern: the first one the pattern and length accept is used.
PATTERN_CANDIDATES = [
    "x",
    "isolation",
    "com.example.isolation",
    "#4F46E5",
    "DE",
    "app.create",
    "v1",
    "tier1",
    "2026-01-01",
    "https://example.com/isolation",
]
# Enum choices by field name; others take the first value. Roles ask for the least privilege, so that a
# business rule (only owners grant owner) cannot refuse the call before a missing role check would show.
ENUM_CHOICES: dict[str, str] = {"role": "viewer"}
STRING_HINTS: dict[str, str] = {
    "password": "correct-horse-battery",
    "url": "https://example.com/isolation",
    "country": "DE",
    "currency": "USD",
    "color": "#4F46E5",
}


@dataclass(frozen=True)
class RouteCase:
    """One (method, path) of the router with its declaration."""

    method: str
    path: str  # as declared: /api/v4/apps/<app_id:id>
    info: RouteInfo

    @property
    def access(self) -> Access:
        return self.info.access

    @property
    def mutating(self) -> bool:
        return self.method in MUTATING

    @property
    def short(self) -> str:
        """`PUT /apps/<app_id:id>`: how reports and the allowed lists name a route."""
        return f"{self.method} {self.path.removeprefix(PREFIX)}"

    @property
    def path_params(self) -> list[str]:
        return [name for name, _ in PATH_PARAM.findall(self.path)]

    def id_fields(self) -> set[str]:
        """Names of id-like fields anywhere in the body and query models."""
        names: set[str] = set()
        for model in (self.info.body, self.info.query):
            if model is not None:
                names |= {n for n in _property_names(model.model_json_schema()) if _id_like(n)}
        return names

    def carries_owned_ids(self) -> bool:
        """Whether a request built for an org names objects that org owns (path, body or query)."""
        return bool(self.path_params) or any(_id_key(n) in ID_PARAMS for n in self.id_fields())

    def unmapped(self) -> list[str]:
        """Path parameters and id fields the suite cannot fill (extend ID_PARAMS / SCOPED_VALUES)."""
        missing = [f"path parameter <{p}>" for p in self.path_params if p not in ID_PARAMS]
        missing += [
            f"field {n!r}"
            for n in sorted(self.id_fields())
            if _id_key(n) not in ID_PARAMS and _id_key(n) not in SCOPED_VALUES
        ]
        return missing


def _id_like(name: str) -> bool:
    return name == "id" or name.endswith(("_id", "_ids"))


def _id_key(name: str) -> str:
    """`custom_segment_ids` -> `custom_segment_id` (a list of them is filled with the one id)."""
    return name[:-1] if name.endswith("_ids") else name


def _property_names(schema: dict[str, Any]) -> set[str]:
    names: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "properties" and isinstance(value, dict):
                    names.update(value)
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(schema)
    return names


def discover_routes() -> list[RouteCase]:
    """Every (method, path) the app's router serves under /api/v4, with its `endpoint` declaration.

    Raises AssertionError naming the routes the suite cannot walk (not declared through
    api.routing.endpoint, or with ids the suite cannot fill).
    """
    import structlog
    from sanic import Sanic

    from api.app import create_app

    # create_app configures logging for a server process; give the test process its own back afterwards.
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    saved_structlog = structlog.get_config()
    app = create_app()
    try:
        served = {
            (method.upper(), "/" + route.path.lstrip("/"))
            for route in app.router.routes
            for method in route.methods
            if method.upper() not in ("HEAD", "OPTIONS")
        }
    finally:
        Sanic.unregister_app(app)
        root.handlers[:], root.level = saved_handlers, saved_level
        structlog.configure(**saved_structlog)
        structlog.contextvars.clear_contextvars()
    declared = {(r.method, r.path): r for r in ROUTES}
    cases, problems = [], []
    for method, path in sorted(served):
        if not path.startswith(PREFIX + "/") or (method, path) in NOT_API_ROUTES:
            continue
        info = declared.get((method, path))
        if info is None:
            problems.append(f"{method} {path}: not declared through api.routing.endpoint (access unknown)")
            continue
        case = RouteCase(method, path, info)
        if case.unmapped():
            problems.append(
                f"{case.short}: cannot fill {', '.join(case.unmapped())} - map it in "
                "tests/route_walk.py ID_PARAMS (an object of the org) or SCOPED_VALUES"
            )
            continue
        cases.append(case)
    assert not problems, "Routes the isolation suite cannot walk:\n" + "\n".join(problems)
    return cases


# --- requests aimed at one org's objects ----------------------------------------------------------------


def request_path(case: RouteCase, target: OrgData) -> str:
    """The route's path relative to /api/v4, parameters filled with `target`'s ids."""

    def fill(match: re.Match[str]) -> str:
        return str(ID_PARAMS[match.group(1)](target))

    return PATH_PARAM.sub(fill, case.path).removeprefix(PREFIX)


def request_body(case: RouteCase, target: OrgData) -> dict[str, Any] | None:
    """A valid-looking body for the route's model, every id field naming `target`'s objects."""
    if case.info.body is None:
        return None
    schema = case.info.body.model_json_schema()
    return _value(schema, schema, "body", target)


def request_query(case: RouteCase, target: OrgData) -> dict[str, Any]:
    """Required and id query parameters (others keep their defaults), plus the QUERY_VALUES."""
    if case.info.query is None:
        return {}
    schema = case.info.query.model_json_schema()
    required = set(schema.get("required", []))
    params: dict[str, Any] = {}
    for name, prop in schema.get("properties", {}).items():
        if name in QUERY_VALUES:
            params[name] = QUERY_VALUES[name]
        elif name in required or _id_like(name):
            params[name] = _value(schema, prop, name, target)
    return params


def _value(root: dict[str, Any], schema: dict[str, Any], name: str, target: OrgData) -> Any:
    key = _id_key(name)
    if key in ID_PARAMS or key in SCOPED_VALUES:
        value = (ID_PARAMS.get(key) or SCOPED_VALUES[key])(target)
        return [value] if name.endswith("_ids") else value
    if "$ref" in schema:
        return _value(root, root["$defs"][schema["$ref"].rsplit("/", 1)[-1]], name, target)
    for combinator in ("anyOf", "oneOf", "allOf"):
        if combinator in schema:
            options = [o for o in schema[combinator] if o.get("type") != "null"]
            return _value(root, options[0], name, target) if options else None
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return ENUM_CHOICES[name] if ENUM_CHOICES.get(name) in schema["enum"] else schema["enum"][0]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return {prop: _value(root, sub, prop, target) for prop, sub in schema.get("properties", {}).items()}
    if kind == "array":
        item = _value(root, schema.get("items", {"type": "string"}), name, target)
        return [item] * max(1, schema.get("minItems", 1))
    if kind == "boolean":
        return schema.get("default", True)
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0))
        high = schema.get("maximum", schema.get("exclusiveMaximum", 10**6))
        number = min(max(1, low), high)
        return int(number) if kind == "integer" else float(number)
    if kind == "string":
        return _string(schema, name)
    return schema.get("default")


def _string(schema: dict[str, Any], name: str) -> str:
    low, high = schema.get("minLength", 1), schema.get("maxLength", 255)
    if "email" in name or schema.get("format") == "email":
        return f"isolation-{uuid.uuid4().hex[:12]}@example.com"
    if schema.get("format") == "date-time":
        return "2026-01-01T00:00:00Z"
    if schema.get("format") == "date":
        return "2026-01-01"
    if schema.get("format") == "uuid":
        return str(uuid.uuid4())
    pattern = schema.get("pattern")
    hint = next((v for k, v in STRING_HINTS.items() if k in name), None)
    for candidate in ([hint] if hint else []) + PATTERN_CANDIDATES:
        if low <= len(candidate) <= high and (pattern is None or re.search(pattern, candidate)):
            return candidate
    return "x" * max(1, low)


def qualifies(access: Access, kind: Kind | None, role: Role | None) -> bool:
    """Whether a credential of `kind` (and `role`, for users) passes the route's authentication."""
    if access.kind is Kind.public:
        return True
    if access.kind is Kind.user:
        assert access.min_role is not None
        return kind is Kind.user and role is not None and ROLE_RANK[role] >= ROLE_RANK[access.min_role]
    if access.kind in (Kind.sdk, Kind.orgkey):
        return kind is access.kind
    return False  # operator routes: no organisation credential opens them
