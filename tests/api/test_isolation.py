"""Tenant isolation over every route of the router (API.md section 0: credentials, roles, other orgs' ids).

Routes are discovered from the app's router (tests/route_walk.py), so a new route is walked without
editing this file; one with a new kind of id fails discovery until the id is mapped there.
"""

# ruff: noqa: F811 - tests take the imported fixtures as parameters

from __future__ import annotations

from typing import Any

import httpx
import pytest

from api.auth import Kind
from tests.isolation import (  # noqa: F401 - isolation_routes, isolation_server, two_orgs: fixtures
    CREDENTIALS,
    OrgData,
    TwoOrgs,
    isolation_routes,
    isolation_server,
    two_orgs,
)
from tests.route_walk import RouteCase, qualifies, request_body, request_path, request_query

# Routes this suite walks today; it may only grow (a route lost from the router is a regression too).
ROUTES_AT_LEAST = 30
# Mutating routes a viewer may call (API.md section 0): their own token and theme, read-only analytics
# (funnel, paths, the NL query, their own AI chat, review sentiment).
VIEWER_MAY_CALL = frozenset(
    {
        "POST /auth/logout",
        "POST /auth/refresh",
        "PUT /settings/theme",
        "POST /analytics/funnel",
        "POST /analytics/paths",
        "POST /dashboard/query",
        "POST /ai/chat",
        "POST /ai/sentiment",
    }
)


async def _send(
    orgs: TwoOrgs, case: RouteCase, caller: OrgData, credential: str, target: OrgData
) -> httpx.Response:
    """The route called with `caller`'s credential, its ids (path, body, query) naming `target`'s objects."""
    kwargs: dict[str, Any] = {"params": request_query(case, target)}
    body = request_body(case, target)
    if body is not None:
        kwargs["json"] = body
    return await orgs.send(case.method, request_path(case, target), caller, credential, **kwargs)


def _credentials_for(case: RouteCase, credentials: list[str]) -> list[str]:
    """Public routes take no credential: walked without one and with a JWT (their auth routes hash
    passwords, so the other kinds, which they ignore the same way, are left out to keep the walk fast)."""
    if case.access.kind is Kind.public:
        return [c for c in credentials if c in ("none", "owner")]
    return credentials


def _walk_order(routes: list[RouteCase]) -> list[RouteCase]:
    """Reads first, then changes (a change may spend a credential; the walk renews it after a 2xx)."""
    return sorted(routes, key=lambda c: (c.mutating, c.path, c.method))


def _leaks(response: httpx.Response, other: OrgData) -> list[str]:
    """`other`'s markers in the body, and its ids under id keys of a JSON body."""
    found = [f"contains {marker!r}" for marker in sorted(other.markers()) if marker in response.text]
    ids = other.ids_by_key()

    def walk(node: Any, parent: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                # {"device": {"id": 7}} and {"apps": [{"id": 7}]} name a device_id and an app_id
                id_key = f"{parent.removesuffix('s')}_id" if key == "id" else key
                if id_key in ids and not isinstance(value, bool) and value in ids[id_key]:
                    found.append(f"holds {key}={value!r} of the other org's {id_key.removesuffix('_id')}")
                walk(value, key)
        elif isinstance(node, list):
            for item in node:
                walk(item, parent)

    if response.headers.get("content-type", "").startswith("application/json"):
        walk(response.json(), "")
    return found


def _server_error(response: httpx.Response) -> bool:
    return response.status_code >= 500 and response.status_code != 503


def _describe(case: RouteCase, credential: str, response: httpx.Response) -> str:
    return f"{case.short} as {credential}: {response.status_code} {response.text[:200]}"


def _cross_org_problems(
    case: RouteCase, credential: str, response: httpx.Response, other: OrgData
) -> list[str]:
    """What is wrong with `response` to a call naming `other`'s objects with a credential of another org."""
    status, problems = response.status_code, []
    kind, role = CREDENTIALS[credential]
    qualified, names_objects = qualifies(case.access, kind, role), case.carries_owned_ids()
    counted = bool(response.headers.get("x-ratelimit-limit"))
    if _server_error(response):
        problems.append("server error")
    elif names_objects and response.is_success:
        problems.append("answered 2xx to another org's id")
    elif not qualified and status not in (401, 403):
        problems.append("a credential this route does not accept got past authentication")
    elif names_objects and qualified and status != 404:
        problems.append("another org's id must answer 404 (API.md section 0)")
    elif names_objects and qualified and case.access.default_tier and not counted:
        # An authenticated route counts the call: without rate headers the router answered, not the route.
        problems.append("404 from the router, not the route (is the path filled right?)")
    if response.is_success:
        problems += _leaks(response, other)
    return [f"{_describe(case, credential, response)} -> {p}" for p in problems]


async def test_isolation_routes__discovered_from_router__every_route_walkable(
    isolation_routes: list[RouteCase], record_property: pytest.RecordProperty
) -> None:
    # Given the app's router / When the suite discovers its /api/v4 routes
    paths = {case.path for case in isolation_routes}
    record_property("isolation_routes", len(paths))
    record_property("isolation_method_route_pairs", len(isolation_routes))
    print(f"\nisolation suite walks {len(isolation_routes)} method-route pairs over {len(paths)} routes")
    # Then each is declared with its access and its ids can be filled (discover_routes asserts both),
    # and none has gone missing
    assert len(isolation_routes) >= ROUTES_AT_LEAST
    assert len(isolation_routes) == len({(c.method, c.path) for c in isolation_routes})


async def test_cross_org__each_credential_of_a_on_b_ids__never_2xx_nor_b_data(
    two_orgs: TwoOrgs, isolation_routes: list[RouteCase]
) -> None:
    # Given orgs A and B, and what B's owner sees of B
    a, b = two_orgs.a, two_orgs.b
    before = await two_orgs.snapshot(b)
    failures: list[str] = []
    walked: set[tuple[str, str]] = set()
    # When every route is called with each credential of A (and none), naming B's objects
    for case in _walk_order(isolation_routes):
        for credential in _credentials_for(case, list(CREDENTIALS)):
            response = await _send(two_orgs, case, a, credential, target=b)
            failures += _cross_org_problems(case, credential, response, b)
            if case.mutating and response.is_success and case.access.kind is not Kind.public:
                await two_orgs.revalidate(a)
        walked.add((case.method, case.path))
    # Then no route answered 2xx to B's ids (another org's id is 404), no 2xx carried B's data,
    assert walked == {(c.method, c.path) for c in isolation_routes}
    assert not failures, f"{len(failures)} isolation failures:\n" + "\n".join(failures)
    # and B is as it was: apps, keys, team, job, device, its users' tokens and themes
    assert await two_orgs.snapshot(b) == before


async def test_viewer__mutating_routes_of_own_org__403_except_own_token_theme_and_read_only_analytics(
    two_orgs: TwoOrgs, isolation_routes: list[RouteCase]
) -> None:
    # Given org A's viewer, and what A's owner sees of A
    a = two_orgs.a
    before = await two_orgs.snapshot(a)
    failures: list[str] = []
    walked: set[tuple[str, str]] = set()
    # When the viewer calls every route on A's own objects
    for case in _walk_order(isolation_routes):
        response = await _send(two_orgs, case, a, "viewer", target=a)
        walked.add((case.method, case.path))
        status, problem = response.status_code, None
        if _server_error(response):
            problem = "server error"
        elif case.access.kind in (Kind.user, Kind.operator) and case.mutating:
            # Then every change to the org is 403; the allowed ones are not refused
            if case.short in VIEWER_MAY_CALL:
                if status in (401, 403):
                    problem = "a viewer may call this"
            elif status != 403:
                problem = "viewers cannot change org resources: expected 403"
        if problem:
            failures.append(f"{_describe(case, 'viewer', response)} -> {problem}")
        if case.mutating and response.is_success and case.access.kind is not Kind.public:
            await two_orgs.revalidate(a)
    assert walked == {(c.method, c.path) for c in isolation_routes}
    assert not failures, f"{len(failures)} viewer failures:\n" + "\n".join(failures)
    # and A's objects are as they were (the viewer's own theme aside)
    after = await two_orgs.snapshot(a)
    for state in (before, after):
        state.pop(f"theme:{a.viewer.email}")
        state.pop("/settings/activity")  # the viewer's theme change, refresh and logout are logged
    assert after == before


async def test_credential_kinds__credential_of_another_kind__401(
    two_orgs: TwoOrgs, isolation_routes: list[RouteCase]
) -> None:
    """SDK keys open only SDK routes, org API keys only auto-register, JWTs neither (API.md section 0)."""
    a = two_orgs.a
    failures: list[str] = []
    walked: set[tuple[str, str]] = set()
    # When each credential of A (and none) calls every route on A's own objects
    for case in _walk_order(isolation_routes):
        walked.add((case.method, case.path))
        for credential in _credentials_for(case, ["sdk_key", "org_key", "owner", "viewer", "none"]):
            kind = CREDENTIALS[credential][0]
            opens = case.access.kind is Kind.public or case.access.kind is kind
            if opens and case.mutating and kind is Kind.user:
                continue  # changes to its own org: the viewer test and the routes' own tests cover them
            response = await _send(two_orgs, case, a, credential, target=a)
            status, problem = response.status_code, None
            if _server_error(response):
                problem = "server error"
            elif (
                not opens
                and status != 401
                and not (kind is Kind.user and case.access.kind is Kind.operator and status == 403)
            ):
                # Then a route of another credential kind answers 401 (a JWT on an operator route: 403)
                problem = "expected 401 (wrong credential kind)"
            elif opens and case.access.kind is not Kind.public and status == 401:
                # and a route of its own kind lets it in
                problem = "refused its own kind of credential"
            if problem:
                failures.append(f"{_describe(case, credential, response)} -> {problem}")
            if case.mutating and response.is_success and case.access.kind is not Kind.public:
                await two_orgs.revalidate(a)
    assert walked == {(c.method, c.path) for c in isolation_routes}
    assert not failures, f"{len(failures)} credential failures:\n" + "\n".join(failures)
