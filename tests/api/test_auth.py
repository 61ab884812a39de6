"""Auth routes through HTTP: register, login, refresh, logout, me, and JWT hardening."""

from __future__ import annotations

import base64
import json
import time

import jwt

from tests.support import PASSWORD, TEST_SECRET, Client, unique_email


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(user: dict, **overrides: object) -> dict:
    now = int(time.time())
    claims = {
        "sub": str(user["id"]),
        "org": user["org_id"],
        "role": user["role"],
        "iat": now,
        "exp": now + 3600,
        "jti": "a" * 32,
    }
    claims.update(overrides)
    return claims


async def test_register__valid__201_with_owner_token(client: Client) -> None:
    # Given a new email / When registering
    email = unique_email()
    r = await client.request(
        "POST",
        "/auth/register",
        json={"name": "Ann", "email": email, "password": "12345678", "org_name": "Ann's studio"},
    )
    # Then an owner of a new org gets a working token
    assert r.status_code == 201
    body = r.json()
    assert body["user"]["role"] == "owner" and body["user"]["org_id"] > 0 and body["user"]["id"] > 0
    me = await client.request("GET", "/auth/me", body["token"])
    assert me.status_code == 200
    assert me.json()["user"]["email"] == email
    assert me.json()["org"] == {"id": body["user"]["org_id"], "name": "Ann's studio", "plan": "free"}


async def test_register__duplicate_email__409(client: Client) -> None:
    account = await client.register()
    r = await client.request(
        "POST",
        "/auth/register",
        json={"name": "B", "email": account["email"].upper(), "password": "12345678", "org_name": "B"},
    )
    assert r.status_code == 409
    assert "error" in r.json()


async def test_register__short_password__400_and_nothing_stored(client: Client) -> None:
    email = unique_email()
    r = await client.request(
        "POST", "/auth/register", json={"name": "B", "email": email, "password": "1234567", "org_name": "B"}
    )
    assert r.status_code == 400
    assert "password" in r.json()["details"]
    login = await client.request("POST", "/auth/login", json={"email": email, "password": "1234567"})
    assert login.status_code == 401


async def test_register__missing_fields_and_bad_types__400_with_details(client: Client) -> None:
    r = await client.request("POST", "/auth/register", json={"email": "not-an-email", "password": 12345678})
    assert r.status_code == 400
    details = r.json()["details"]
    assert {"name", "org_name", "email", "password"} <= set(details)


async def test_register__invalid_json__400(client: Client) -> None:
    r = await client.request(
        "POST", "/auth/register", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 400
    assert r.json() == {"error": "Invalid JSON body"}
    assert r.headers["X-Request-Id"]


async def test_login__wrong_password_and_unknown_email__same_401(client: Client) -> None:
    account = await client.register()
    wrong = await client.request(
        "POST", "/auth/login", json={"email": account["email"], "password": "nope-nope"}
    )
    unknown = await client.request(
        "POST", "/auth/login", json={"email": unique_email(), "password": "nope-nope"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


async def test_login__valid__token_for_same_user(client: Client) -> None:
    account = await client.register()
    r = await client.request("POST", "/auth/login", json={"email": account["email"], "password": PASSWORD})
    assert r.status_code == 200
    assert r.json()["user"]["id"] == account["user"]["id"]
    decoded = jwt.decode(r.json()["token"], TEST_SECRET, algorithms=["HS256"])
    assert decoded["exp"] - decoded["iat"] == 24 * 3600
    assert {"sub", "org", "role", "iat", "exp", "jti"} <= set(decoded)


async def test_token__expired__401(client: Client) -> None:
    account = await client.register()
    token = jwt.encode(_claims(account["user"], exp=int(time.time()) - 10), TEST_SECRET, algorithm="HS256")
    r = await client.request("GET", "/auth/me", token)
    assert r.status_code == 401


async def test_token__tampered_signature__401(client: Client) -> None:
    account = await client.register()
    token = account["token"]
    tampered = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    assert (await client.request("GET", "/auth/me", tampered)).status_code == 401


async def test_token__tampered_payload__401(client: Client) -> None:
    account = await client.register()
    header, _, signature = account["token"].split(".")
    forged = f"{header}.{_b64(_claims(account['user'], role='owner', org=999))}.{signature}"
    assert (await client.request("GET", "/auth/me", forged)).status_code == 401


async def test_token__alg_none__401(client: Client) -> None:
    account = await client.register()
    token = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_claims(account['user']))}."
    assert (await client.request("GET", "/auth/me", token)).status_code == 401


async def test_token__other_algorithm_with_right_secret__401(client: Client) -> None:
    account = await client.register()
    token = jwt.encode(_claims(account["user"]), TEST_SECRET, algorithm="HS512")
    assert (await client.request("GET", "/auth/me", token)).status_code == 401


async def test_token__without_exp__401(client: Client) -> None:
    account = await client.register()
    claims = _claims(account["user"])
    del claims["exp"]
    token = jwt.encode(claims, TEST_SECRET, algorithm="HS256")
    assert (await client.request("GET", "/auth/me", token)).status_code == 401


async def test_missing_or_malformed_authorization__401(client: Client) -> None:
    assert (await client.request("GET", "/auth/me")).status_code == 401
    r = await client.request("GET", "/auth/me", headers={"Authorization": "Basic abc"})
    assert r.status_code == 401
    assert (await client.request("GET", "/auth/me", "garbage")).status_code == 401


async def test_logout__then_reuse__401(client: Client) -> None:
    account = await client.register()
    assert (await client.request("POST", "/auth/logout", account["token"])).status_code == 200
    assert (await client.request("GET", "/auth/me", account["token"])).status_code == 401
    # other tokens of the same user still work
    login = await client.request(
        "POST", "/auth/login", json={"email": account["email"], "password": PASSWORD}
    )
    assert (await client.request("GET", "/auth/me", login.json()["token"])).status_code == 200


async def test_refresh__valid__new_working_token(client: Client) -> None:
    account = await client.register()
    r = await client.request("POST", "/auth/refresh", account["token"])
    assert r.status_code == 200
    new = r.json()["token"]
    assert new != account["token"]
    assert (await client.request("GET", "/auth/me", new)).status_code == 200


async def test_refresh__expired_token__401(client: Client) -> None:
    account = await client.register()
    token = jwt.encode(_claims(account["user"], exp=int(time.time()) - 1), TEST_SECRET, algorithm="HS256")
    assert (await client.request("POST", "/auth/refresh", token)).status_code == 401


async def test_refresh__revoked_token__401(client: Client) -> None:
    account = await client.register()
    await client.request("POST", "/auth/logout", account["token"])
    assert (await client.request("POST", "/auth/refresh", account["token"])).status_code == 401
