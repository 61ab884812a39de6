"""Tenant-isolation fixtures: two organisations, each with every kind of credential and one of each object.

    from tests.isolation import isolation_routes, isolation_server, two_orgs  # noqa: F401 - fixtures

    async def test_x(two_orgs: TwoOrgs) -> None:
        a, b = two_orgs.a, two_orgs.b
        r = await two_orgs.send("GET", f"/apps/{b.app_id}", a, "owner")

`two_orgs` builds both through HTTP on a server of its own (RATE_LIMIT_SCALE=100: the limiter stays on,
the walk fits in its budgets). Org B's names, emails and keys are unique markers: a response carrying one
of them (or one of B's ids under an id key) to a caller of org A is a leak.
"""

from __future__ import annotations

import asyncio
import functools
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from api.auth import Kind
from core import crypto
from core.models import Role
from pipelines import webhooks
from pipelines.auth import hash_password
from tests.route_walk import RouteCase, discover_routes
from tests.support import PASSWORD, TEST_SECRET, Client, Platform, unique_email

# Credentials of an org the walks use: name -> (kind, role).
CREDENTIALS: dict[str, tuple[Kind | None, Role | None]] = {
    "owner": (Kind.user, Role.owner),
    "admin": (Kind.user, Role.admin),
    "viewer": (Kind.user, Role.viewer),
    "sdk_key": (Kind.sdk, None),
    "org_key": (Kind.orgkey, None),
    "none": (None, None),
}
PLAN = "pro"  # room for the apps and devices the walk creates in its own org


@dataclass
class Member:
    user_id: int
    email: str
    token: str


@dataclass
class OrgData:
    """One organisation built through the API, with its credentials (kept valid by `TwoOrgs.revalidate`)."""

    label: str
    org_id: int
    name: str
    owner: Member
    admin: Member
    viewer: Member
    app_id: int
    app_name: str
    package_name: str
    sdk_key: str
    api_key: str
    job_id: str
    device_id: int
    android_id: str
    device_brand: str
    invitee_id: int
    invitee_email: str
    fcm_project_id: str
    fcm_client_email: str
    extra: dict[str, Any] = field(default_factory=dict)  # ids of objects later issues add

    def members(self) -> list[Member]:
        return [self.owner, self.admin, self.viewer]

    def markers(self) -> set[str]:
        """Strings only this org's data contains (never sent by the walk in a request of another org)."""
        return {
            self.name,
            self.app_name,
            self.sdk_key,
            self.api_key,
            self.job_id,
            self.device_brand,
            self.invitee_email,
            self.fcm_project_id,
            self.fcm_client_email,
            *(m.email for m in self.members()),
            *(
                str(self.extra[k])
                for k in (
                    "flag_key",
                    "experiment_name",
                    "segment_name",
                    "dashboard_name",
                    "alert_name",
                    "conversation_title",
                    "report_title",
                    "webhook_name",
                    "notification_title",
                )
                if k in self.extra
            ),
        }

    def ids_by_key(self) -> dict[str, set[Any]]:
        """JSON keys that, holding one of these values, name this org's objects."""
        return {
            "org_id": {self.org_id},
            "app_id": {self.app_id},
            "device_id": {self.device_id},
            "user_id": {m.user_id for m in self.members()} | {self.invitee_id},
            "member_id": {m.user_id for m in self.members()} | {self.invitee_id},
            "job_id": {self.job_id},
            "flag_id": {self.extra.get("flag_id")},
            "experiment_id": {self.extra.get("experiment_id")},
            "segment_id": {self.extra.get("segment_id")},
            "dashboard_id": {self.extra.get("dashboard_id")},
            "alert_id": {self.extra.get("alert_id")},
            "conversation_id": {self.extra.get("conversation_id")},
            "report_id": {self.extra.get("report_id")},
            "webhook_id": {self.extra.get("webhook_id")},
            "notification_id": {self.extra.get("notification_id")},
        }

    def headers(self, credential: str) -> dict[str, str]:
        """Request headers presenting one of CREDENTIALS."""
        if credential in ("owner", "admin", "viewer"):
            return {"Authorization": f"Bearer {getattr(self, credential).token}"}
        if credential == "sdk_key":
            return {"X-SDK-Key": self.sdk_key}
        if credential == "org_key":
            return {"X-API-Key": self.api_key}
        assert credential == "none", credential
        return {}


@functools.cache
def _private_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def _service_account(project_id: str, client_email: str) -> dict[str, str]:
    return {
        "type": "service_account",
        "project_id": project_id,
        "private_key": _private_key_pem(),
        "client_email": client_email,
    }


_password_hash: list[str] = []


async def _add_member(client: Client, database_url: str, org_id: int, role: str, label: str) -> Member:
    """Like tests.support.add_member, hashing PASSWORD once per process (argon2 is slow on purpose)."""
    if not _password_hash:
        _password_hash.append(await hash_password(PASSWORD))
    email = unique_email(f"{label}-{role}")
    conn = await asyncpg.connect(database_url)
    try:
        user_id = await conn.fetchval(
            "INSERT INTO users (org_id, name, email, password_hash, role, is_platform_admin, created_at) "
            "VALUES ($1, $2, $3, $4, $5, false, now()) RETURNING id",
            org_id,
            role.title(),
            email,
            _password_hash[0],
            role,
        )
    finally:
        await conn.close()
    login = await _ok(client.request("POST", "/auth/login", json={"email": email, "password": PASSWORD}))
    return Member(user_id, email, login["token"])


async def build_org(client: Client, database_url: str, side: str) -> OrgData:
    """An org with owner, admin, viewer, an app (SDK key, FCM credentials), its API key, a job, a device
    and a pending invitation; every name carries a unique label."""
    label = f"{side}{uuid.uuid4().hex[:10]}"
    name = f"Org {label}"
    owner = await client.register(email=unique_email(f"{label}-owner"), org=name)
    org_id = owner["user"]["org_id"]
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("UPDATE orgs SET plan = $1 WHERE id = $2", PLAN, org_id)
    finally:
        await conn.close()
    token = owner["token"]
    admin, viewer = await asyncio.gather(
        _add_member(client, database_url, org_id, "admin", label),
        _add_member(client, database_url, org_id, "viewer", label),
    )
    package = f"com.{label}.app"
    app = await client.create_app(token, package=package, name=f"App {label}")
    api_key = (await _ok(client.request("GET", "/org/api-key", token)))["api_key"]
    account = _service_account(f"fcm-{label}", f"firebase@{label}.iam.example.com")
    await _ok(client.request("PUT", f"/apps/{app['id']}/fcm-credentials", token, json=account))
    # A job of the org: queued (no worker needed; the record exists either way).
    selftest = client.request("POST", "/system/selftest", token, params={"wait": 0}, json={"seconds": 0.5})
    job = await _ok(selftest, status=202)
    android_id, brand = f"device-{label}", f"Brand {label}"
    device = await _ok(
        client.request(
            "POST",
            "/devices/register",
            headers={"X-SDK-Key": app["sdk_key"]},
            json={"android_id": android_id, "brand": brand},
        )
    )
    segment = await _ok(
        client.request(
            "POST",
            "/segments",
            token,
            json={
                "app_id": app["id"],
                "name": f"Segment {label}",
                "rules": [{"field": "country", "operator": "eq", "value": "DE"}],
            },
        ),
        status=201,
    )
    board = await _ok(
        client.request(
            "POST",
            "/dashboards",
            token,
            json={
                "app_id": app["id"],
                "name": f"Dashboard {label}",
                "widgets": [{"type": "kpi", "metric": "dau"}, {"type": "pie_chart", "metric": "countries"}],
            },
        ),
        status=201,
    )
    alert = await _ok(
        client.request(
            "POST",
            "/alerts",
            token,
            json={
                "app_id": app["id"],
                "name": f"Alert {label}",
                "metric": "dau",
                "condition": "drops_by",
                "threshold": 20,
                "channel": "email",
            },
        ),
        status=201,
    )
    flag = await _ok(
        client.request(
            "POST",
            "/flags",
            token,
            json={
                "app_id": app["id"],
                "flag_key": f"flag-{label}",
                "name": f"Flag {label}",
                "is_enabled": True,
            },
        ),
        status=201,
    )
    experiment = await _ok(
        client.request(
            "POST",
            "/experiments",
            token,
            json={
                "app_id": app["id"],
                "name": f"Experiment {label}",
                "target_metric": "purchase",
                "variants": [{"key": "control", "weight": 1}, {"key": "treatment", "weight": 1}],
            },
        ),
        status=201,
    )
    # The owner's AI conversation and a stored report (the isolation server has no API key nor worker).
    conn = await asyncpg.connect(database_url)
    try:
        conversation_id = await conn.fetchval(
            "INSERT INTO ai_conversations (org_id, user_id, title, created_at, updated_at) "
            "VALUES ($1, $2, $3, now(), now()) RETURNING id",
            org_id,
            owner["user"]["id"],
            f"Conversation {label}",
        )
        report_id = await conn.fetchval(
            "INSERT INTO ai_reports (app_id, type, title, content, data, narrative_source, created_by_id, "
            "created_at) VALUES ($1, 'weekly', $2, 'A report.', '{}', 'template', $3, now()) RETURNING id",
            app["id"],
            f"Report {label}",
            owner["user"]["id"],
        )
    finally:
        await conn.close()
    # A webhook on a loopback address nothing listens on (port 9), inserted as the API would store it: the
    # walk's own deliveries are refused by the guard, so nothing ever leaves the machine.
    conn = await asyncpg.connect(database_url)
    try:
        webhook_id = await conn.fetchval(
            "INSERT INTO webhooks (app_id, name, url, events, secret, is_active, failure_count, created_at, "
            "updated_at) VALUES ($1, $2, 'http://127.0.0.1:9/isolation', '[\"purchase\"]', $3, true, 0, now(), "
            "now()) RETURNING id",
            app["id"],
            f"Webhook {label}",
            crypto.encrypt(TEST_SECRET, webhooks.SECRET_PURPOSE, "whsec_" + "A" * 43 + "="),
        )
    finally:
        await conn.close()
    # A push scheduled far ahead (never sent during the walk).
    push = await _ok(
        client.request(
            "POST",
            "/notifications/send",
            token,
            json={
                "app_id": app["id"],
                "target": "all",
                "title": f"Push {label}",
                "body": "isolation",
                "send_at": (datetime.now(UTC) + timedelta(days=300)).isoformat(),
            },
        ),
        status=202,
    )
    conn = await asyncpg.connect(database_url)
    try:  # operators write the blog (no org credential can): a draft, as an operator would leave one
        post_id = await conn.fetchval(
            "INSERT INTO blog_posts (title, slug, excerpt, body, html, status, created_at, updated_at) "
            "VALUES ($1, $2, '', 'draft', '<p>draft</p>', 'draft', now(), now()) RETURNING id",
            f"Post {label}",
            f"post-{label}",
        )
    finally:
        await conn.close()
    invitee_email = unique_email(f"{label}-invitee")
    invite = await _ok(
        client.request("POST", "/team/invite", token, json={"email": invitee_email, "role": "viewer"}),
        status=201,
    )
    return OrgData(
        label=label,
        org_id=org_id,
        name=name,
        owner=Member(owner["user"]["id"], owner["email"], token),
        admin=admin,
        viewer=viewer,
        app_id=app["id"],
        app_name=app["name"],
        package_name=package,
        sdk_key=app["sdk_key"],
        api_key=api_key,
        job_id=job["job_id"],
        device_id=device["device"]["id"],
        android_id=android_id,
        device_brand=brand,
        invitee_id=invite["member"]["id"],
        invitee_email=invitee_email,
        fcm_project_id=account["project_id"],
        fcm_client_email=account["client_email"],
        extra={
            "flag_id": flag["id"],
            "flag_key": flag["flag_key"],
            "experiment_id": experiment["id"],
            "experiment_name": experiment["name"],
            "segment_id": segment["id"],
            "segment_name": segment["name"],
            "dashboard_id": board["id"],
            "dashboard_name": board["name"],
            "alert_id": alert["id"],
            "alert_name": alert["name"],
            "conversation_id": conversation_id,
            "conversation_title": f"Conversation {label}",
            "report_id": report_id,
            "report_title": f"Report {label}",
            "webhook_id": webhook_id,
            "webhook_name": f"Webhook {label}",
            "notification_id": push["notification_id"],
            "notification_title": f"Push {label}",
            "post_id": post_id,
            "post_slug": f"post-{label}",
            "dead_letter_id": str(uuid.uuid4()),  # a message id no queue holds: operators' routes only
        },
    )


async def _ok(pending: Any, status: int = 200) -> dict[str, Any]:
    response: httpx.Response = await pending
    request = response.request
    assert response.status_code == status, f"{request.method} {request.url}: {response.text}"
    return response.json()


@dataclass
class TwoOrgs:
    """Orgs A and B on the isolation server; `send` presents one org's credential."""

    client: Client
    database_url: str
    a: OrgData
    b: OrgData

    async def send(
        self, method: str, path: str, org: OrgData, credential: str, **kwargs: Any
    ) -> httpx.Response:
        """The request with one of CREDENTIALS of `org` (of an event stream: status and headers only)."""
        headers = {**org.headers(credential), **(kwargs.pop("headers", None) or {})}
        async with self.client.http.stream(method, path, headers=headers, **kwargs) as response:
            if response.headers.get("content-type", "").startswith("text/event-stream"):
                return httpx.Response(
                    response.status_code, headers=response.headers, request=response.request
                )
            await response.aread()
            return response

    async def revalidate(self, org: OrgData) -> None:
        """Make every credential of `org` valid again after a call that may have spent one
        (logout revokes the token, rotations replace keys)."""
        for role in ("owner", "admin", "viewer"):
            member: Member = getattr(org, role)
            r = await self.send("GET", "/auth/me", org, role)
            if r.status_code == 401:
                login = await self.client.request(
                    "POST", "/auth/login", json={"email": member.email, "password": PASSWORD}
                )
                assert login.status_code == 200, f"{org.label} {role} cannot log in again: {login.text}"
                member.token = login.json()["token"]
            else:
                assert r.status_code == 200, f"{org.label} {role}: GET /auth/me {r.status_code} {r.text}"
        org.api_key = (await _ok(self.send("GET", "/org/api-key", org, "owner")))["api_key"]
        app = await self.send("GET", f"/apps/{org.app_id}", org, "owner")
        assert app.status_code == 200, f"org {org.label}'s app is gone: {app.status_code} {app.text}"
        org.sdk_key = app.json()["sdk_key"]

    async def snapshot(self, org: OrgData) -> dict[str, Any]:
        """What the org's owner sees of its objects (compare before and after a walk)."""
        state: dict[str, Any] = {}
        for path in (
            "/apps",
            f"/apps/{org.app_id}",
            "/team",
            "/org/api-key",
            "/billing/subscription",
            "/settings/activity",
            f"/flags?app_id={org.app_id}",
            f"/experiments?app_id={org.app_id}",
            f"/segments?app_id={org.app_id}",
            f"/dashboards?app_id={org.app_id}",
            f"/dashboards/{org.extra['dashboard_id']}/data",
            f"/alerts?app_id={org.app_id}",
            f"/webhooks?app_id={org.app_id}",
            f"/notifications?app_id={org.app_id}",
        ):
            state[path] = await _ok(self.send("GET", path, org, "owner"))
        job = await _ok(self.send("GET", f"/jobs/{org.job_id}", org, "owner"))
        state["job"] = {k: job[k] for k in ("job_id", "kind", "created_at")}
        conn = await asyncpg.connect(self.database_url)
        try:
            device = await conn.fetchrow(
                "SELECT d.id, d.android_id, d.brand, a.org_id FROM devices d "
                "JOIN apps a ON a.id = d.app_id WHERE d.id = $1",
                org.device_id,
            )
        finally:
            await conn.close()
        state["device"] = dict(device) if device else None
        for member in org.members():
            me = await self.client.request("GET", "/auth/me", member.token)
            state[f"me:{member.email}"] = (me.status_code, me.json())
            theme = await self.client.request("GET", "/settings/theme", member.token)
            state[f"theme:{member.email}"] = (theme.status_code, theme.json())
        return state


@pytest.fixture(scope="module")
def isolation_server(platform: Platform) -> Iterator[str]:
    """An API server of the module with every rate limit scaled by 100 (still on)."""
    proc, base = platform.serve(RATE_LIMIT_SCALE="100")
    yield base
    proc.stop()


@pytest.fixture(scope="module")
def isolation_routes(services: tuple[str, str]) -> list[RouteCase]:
    """Every /api/v4 route of the app as its router registers it."""
    return discover_routes()


@pytest.fixture
async def two_orgs(isolation_server: str, database_url: str) -> AsyncIterator[TwoOrgs]:
    """Orgs A and B, each with owner, admin, viewer, app, SDK key, org API key, job, device, invitation."""
    client = Client(isolation_server)
    try:
        a, b = await asyncio.gather(
            build_org(client, database_url, "a"), build_org(client, database_url, "b")
        )
        yield TwoOrgs(client, database_url, a, b)
    finally:
        await client.close()
