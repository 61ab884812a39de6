"""An app's Firebase service account through HTTP (API.md section 2; issue 3 part 4):
PUT/DELETE /apps/{id}/fcm-credentials validate the JSON, store it encrypted, never show the key."""

from __future__ import annotations

import base64
import secrets
from functools import lru_cache
from types import SimpleNamespace
from typing import Any

import asyncpg
import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from core import crypto
from core.errors import ConfigurationError
from pipelines import credentials
from tests.support import TEST_SECRET, Client, Platform, add_member


@lru_cache(maxsize=1)
def _rsa_pem() -> str:
    """One RSA key per session (generating 2048-bit keys is slow), PEM PKCS8 like Google's files."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def service_account(project_id: str | None = None, private_key: str | None = None) -> dict[str, Any]:
    """A service-account JSON shaped like the one the Firebase console downloads."""
    project_id = project_id or f"vs-fcm-{secrets.token_hex(4)}"
    email = f"firebase-adminsdk-x1y2z@{project_id}.iam.gserviceaccount.com"
    return {
        "type": "service_account",
        "project_id": project_id,
        "private_key_id": secrets.token_hex(20),
        "private_key": private_key or _rsa_pem(),
        "client_email": email,
        "client_id": str(secrets.randbelow(10**21)),
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": "https://oauth2.googleapis.com/token",
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "client_x509_cert_url": f"https://www.googleapis.com/robot/v1/metadata/x509/{email.replace('@', '%40')}",
        "universe_domain": "googleapis.com",
    }


def key_fragments(pem: str, size: int = 16) -> list[str]:
    """Pieces of the key's base64 body: none of them may appear anywhere they are shown or stored."""
    body = "".join(line for line in pem.strip().splitlines() if not line.startswith("-----"))
    return [body[i : i + size] for i in range(0, len(body) - size + 1, size)]


def assert_no_key(text: str, account: dict[str, Any]) -> None:
    assert "PRIVATE KEY" not in text
    assert account["private_key_id"] not in text
    leaked = [piece for piece in key_fragments(account["private_key"]) if piece in text]
    assert not leaked, f"{len(leaked)} pieces of the private key found"


async def _stored(database_url: str, app_id: int) -> dict[str, Any]:
    conn = await asyncpg.connect(database_url)
    try:
        row = await conn.fetchrow("SELECT fcm_credentials, fcm_project_id FROM apps WHERE id = $1", app_id)
    finally:
        await conn.close()
    assert row is not None
    return dict(row)


async def _setup(client: Client) -> tuple[dict[str, Any], dict[str, Any]]:
    owner = await client.register()
    return owner, await client.create_app(owner["token"])


async def _put(client: Client, token: str | None, app_id: int, body: Any) -> httpx.Response:
    return await client.request("PUT", f"/apps/{app_id}/fcm-credentials", token, json=body)


# --- storing -------------------------------------------------------------------------------------------


async def test_put_fcm__service_account__configured_and_project_shown_never_the_key(
    client: Client, database_url: str
) -> None:
    # Given an app without FCM credentials
    owner, app = await _setup(client)
    assert (app["fcm_configured"], app["fcm_project_id"]) == (False, None)
    account = service_account()
    # When its owner uploads the service account
    put = await _put(client, owner["token"], app["id"], account)
    # Then the app says FCM is configured for the project, in every view of it
    assert put.status_code == 200, put.text
    assert put.json()["fcm_configured"] is True
    assert put.json()["fcm_project_id"] == account["project_id"]
    assert {
        k: v for k, v in put.json().items() if k not in ("fcm_configured", "fcm_project_id", "updated_at")
    } == {k: v for k, v in app.items() if k not in ("fcm_configured", "fcm_project_id", "updated_at")}
    one = await client.request("GET", f"/apps/{app['id']}", owner["token"])
    listed = await client.request("GET", "/apps", owner["token"])
    assert one.json() == put.json()
    assert listed.json() == {"apps": [put.json()]}
    # and the activity log names the project, not the key
    activity = await client.request(
        "GET", "/settings/activity", owner["token"], params={"action": "app.fcm_credentials_set"}
    )
    assert activity.status_code == 200
    [entry] = activity.json()["entries"]
    assert entry["resource_id"] == str(app["id"])
    assert entry["details"] == {"project_id": account["project_id"], "client_email": account["client_email"]}
    # and no response holds the private key or any piece of it
    for response in (put, one, listed, activity):
        assert_no_key(response.text, account)
    # and the database holds it encrypted only
    stored = await _stored(database_url, app["id"])
    assert stored["fcm_project_id"] == account["project_id"]
    assert_no_key(stored["fcm_credentials"], account)
    assert account["project_id"] not in stored["fcm_credentials"]
    assert account["client_email"] not in stored["fcm_credentials"]


async def test_put_fcm__stored_ciphertext__decrypts_to_the_uploaded_json(
    client: Client, database_url: str
) -> None:
    # Given a service account uploaded with every field of the console's file
    owner, app = await _setup(client)
    account = service_account()
    assert (await _put(client, owner["token"], app["id"], account)).status_code == 200
    # When the stored column is read and decrypted with the server's SECRET_KEY
    stored = (await _stored(database_url, app["id"]))["fcm_credentials"]
    # Then it is a Fernet token that gives back exactly the uploaded JSON
    assert stored.startswith("gAAAAA")
    assert credentials.fcm_service_account(TEST_SECRET, SimpleNamespace(fcm_credentials=stored)) == account
    assert crypto.decrypt(TEST_SECRET, credentials.PURPOSE, stored).count("PRIVATE KEY") == 2
    # and another SECRET_KEY cannot read it
    with pytest.raises(ConfigurationError):
        crypto.decrypt("another-" + TEST_SECRET, credentials.PURPOSE, stored)


async def test_put_fcm__twice__second_account_replaces_the_first(client: Client, database_url: str) -> None:
    owner, app = await _setup(client)
    first, second = service_account(), service_account()
    assert (await _put(client, owner["token"], app["id"], first)).status_code == 200
    r = await _put(client, owner["token"], app["id"], second)
    assert r.status_code == 200
    assert r.json()["fcm_project_id"] == second["project_id"]
    stored = (await _stored(database_url, app["id"]))["fcm_credentials"]
    assert credentials.fcm_service_account(TEST_SECRET, SimpleNamespace(fcm_credentials=stored)) == second


async def test_put_fcm__admin__200(client: Client, database_url: str) -> None:
    owner, app = await _setup(client)
    admin = await add_member(database_url, owner["user"]["org_id"], "admin", client)
    r = await _put(client, admin["token"], app["id"], service_account())
    assert r.status_code == 200
    assert r.json()["fcm_configured"] is True
    r = await client.request("DELETE", f"/apps/{app['id']}/fcm-credentials", admin["token"])
    assert r.status_code == 200
    assert r.json()["fcm_configured"] is False


# --- validation ----------------------------------------------------------------------------------------


def _without(field: str) -> dict[str, Any]:
    account = service_account()
    del account[field]
    return account


def _with(**changes: Any) -> dict[str, Any]:
    return {**service_account(), **changes}


def _other_pem(kind: str) -> str:
    if kind == "public":
        key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
        return (
            key.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode()
        )
    if kind == "encrypted":
        key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
        return key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"passphrase"),
        ).decode()
    if kind == "ec":  # a real private key, but Google signs service-account tokens with RSA (RS256)
        return (
            ec.generate_private_key(ec.SECP256R1())
            .private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            .decode()
        )
    if kind == "unknown-curve":  # a PKCS8 EC key whose named curve no library supports
        der = ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        p256, unknown = bytes.fromhex("06082a8648ce3d030107"), bytes.fromhex("06082a8648ce3d030163")
        assert p256 in der
        body = base64.encodebytes(der.replace(p256, unknown)).decode()
        return f"-----BEGIN PRIVATE KEY-----\n{body}-----END PRIVATE KEY-----\n"
    raise AssertionError(kind)


INVALID_BODIES = [
    pytest.param(lambda: _without("type"), "type", id="missing-type"),
    pytest.param(lambda: _without("project_id"), "project_id", id="missing-project_id"),
    pytest.param(lambda: _without("private_key"), "private_key", id="missing-private_key"),
    pytest.param(lambda: _without("client_email"), "client_email", id="missing-client_email"),
    pytest.param(lambda: _with(type="authorized_user"), "type", id="type-authorized_user"),
    pytest.param(lambda: _with(type=""), "type", id="type-empty"),
    pytest.param(lambda: _with(project_id=""), "project_id", id="project_id-empty"),
    pytest.param(lambda: _with(private_key="not a key"), "private_key", id="private_key-text"),
    pytest.param(lambda: _with(private_key=""), "private_key", id="private_key-empty"),
    pytest.param(
        lambda: _with(private_key="-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"),
        "private_key",
        id="private_key-garbage-pem",
    ),
    pytest.param(
        lambda: _with(private_key=_rsa_pem()[:300] + "\n-----END PRIVATE KEY-----\n"),
        "private_key",
        id="private_key-truncated",
    ),
    pytest.param(lambda: _with(private_key=_other_pem("public")), "private_key", id="private_key-public-key"),
    pytest.param(
        lambda: _with(private_key=_other_pem("encrypted")), "private_key", id="private_key-encrypted"
    ),
    pytest.param(lambda: _with(private_key=_other_pem("ec")), "private_key", id="private_key-not-rsa"),
    pytest.param(
        lambda: _with(private_key=_other_pem("unknown-curve")),
        "private_key",
        id="private_key-unsupported-curve",
    ),
    pytest.param(lambda: _with(client_email="firebase-adminsdk"), "client_email", id="client_email-no-at"),
    pytest.param(lambda: _with(client_email="a b@example.com"), "client_email", id="client_email-space"),
    pytest.param(lambda: _with(client_email=""), "client_email", id="client_email-empty"),
    pytest.param(lambda: _with(project_id=12345), "project_id", id="project_id-number"),
    pytest.param(lambda: _with(type=True), "type", id="type-bool"),
    pytest.param(lambda: _with(private_key=None), "private_key", id="private_key-null"),
    pytest.param(lambda: _with(private_key=[_rsa_pem()]), "private_key", id="private_key-list"),
    pytest.param(lambda: _with(client_email={"email": "a@b.co"}), "client_email", id="client_email-object"),
    pytest.param(dict, "type", id="empty-object"),
]


@pytest.mark.parametrize(("make_body", "field"), INVALID_BODIES)
async def test_put_fcm__invalid_service_account__400_with_details_and_nothing_stored(
    client: Client, database_url: str, make_body: Any, field: str
) -> None:
    # Given an app without FCM credentials
    owner, app = await _setup(client)
    body = make_body()
    # When an invalid service account is uploaded
    r = await _put(client, owner["token"], app["id"], body)
    # Then it is refused naming the field, and nothing is stored
    assert r.status_code == 400, r.text
    assert field in r.json()["details"], r.json()
    assert "PRIVATE KEY" not in r.text
    assert await _stored(database_url, app["id"]) == {"fcm_credentials": None, "fcm_project_id": None}
    got = await client.request("GET", f"/apps/{app['id']}", owner["token"])
    assert (got.json()["fcm_configured"], got.json()["fcm_project_id"]) == (False, None)


@pytest.mark.parametrize(
    "raw",
    [b"[]", b'"service_account"', b"42", b"null", b"{not json", b""],
    ids=["list", "string", "number", "null", "broken", "empty"],
)
async def test_put_fcm__body_not_a_json_object__400_nothing_stored(
    client: Client, database_url: str, raw: bytes
) -> None:
    owner, app = await _setup(client)
    r = await client.request(
        "PUT",
        f"/apps/{app['id']}/fcm-credentials",
        owner["token"],
        content=raw,
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 400, r.text
    assert r.json()["error"]
    assert await _stored(database_url, app["id"]) == {"fcm_credentials": None, "fcm_project_id": None}


async def test_put_fcm__invalid_after_valid__400_and_previous_account_kept(
    client: Client, database_url: str
) -> None:
    # Given an app with a service account
    owner, app = await _setup(client)
    account = service_account()
    assert (await _put(client, owner["token"], app["id"], account)).status_code == 200
    before = await _stored(database_url, app["id"])
    # When an invalid one is uploaded / Then the stored one is untouched
    r = await _put(client, owner["token"], app["id"], _with(client_email="nope"))
    assert r.status_code == 400
    assert await _stored(database_url, app["id"]) == before


# --- removing ------------------------------------------------------------------------------------------


async def test_delete_fcm__configured__removed_everywhere(client: Client, database_url: str) -> None:
    # Given an app with a service account
    owner, app = await _setup(client)
    assert (await _put(client, owner["token"], app["id"], service_account())).status_code == 200
    # When it is deleted
    r = await client.request("DELETE", f"/apps/{app['id']}/fcm-credentials", owner["token"])
    # Then the app shows no FCM configuration, and the column is empty
    assert r.status_code == 200
    assert (r.json()["fcm_configured"], r.json()["fcm_project_id"]) == (False, None)
    one = await client.request("GET", f"/apps/{app['id']}", owner["token"])
    assert one.json() == r.json()
    assert await _stored(database_url, app["id"]) == {"fcm_credentials": None, "fcm_project_id": None}
    activity = await client.request(
        "GET", "/settings/activity", owner["token"], params={"action": "app.fcm_credentials_delete"}
    )
    assert [e["resource_id"] for e in activity.json()["entries"]] == [str(app["id"])]


async def test_delete_fcm__not_configured__200_unchanged(client: Client, database_url: str) -> None:
    owner, app = await _setup(client)
    r = await client.request("DELETE", f"/apps/{app['id']}/fcm-credentials", owner["token"])
    assert r.status_code == 200
    assert r.json()["fcm_configured"] is False
    assert await _stored(database_url, app["id"]) == {"fcm_credentials": None, "fcm_project_id": None}


# --- who may -------------------------------------------------------------------------------------------


async def test_fcm_routes__viewer__403_and_nothing_changed(client: Client, database_url: str) -> None:
    # Given an app with a service account, and a viewer of its org
    owner, app = await _setup(client)
    assert (await _put(client, owner["token"], app["id"], service_account())).status_code == 200
    before = await _stored(database_url, app["id"])
    viewer = await add_member(database_url, owner["user"]["org_id"], "viewer", client)
    # When the viewer replaces or deletes it / Then 403 and it is unchanged
    put = await _put(client, viewer["token"], app["id"], service_account())
    delete = await client.request("DELETE", f"/apps/{app['id']}/fcm-credentials", viewer["token"])
    assert put.status_code == delete.status_code == 403
    assert await _stored(database_url, app["id"]) == before
    # but the viewer sees that FCM is configured
    one = await client.request("GET", f"/apps/{app['id']}", viewer["token"])
    assert one.status_code == 200 and one.json()["fcm_configured"] is True


async def test_fcm_routes__other_orgs_app__404_and_nothing_changed(client: Client, database_url: str) -> None:
    # Given two orgs, the victim's app configured
    victim, app = await _setup(client)
    attacker = await client.register()
    account = service_account()
    assert (await _put(client, victim["token"], app["id"], account)).status_code == 200
    before = await _stored(database_url, app["id"])
    # When the other org's owner targets the app
    put = await _put(client, attacker["token"], app["id"], service_account())
    delete = await client.request("DELETE", f"/apps/{app['id']}/fcm-credentials", attacker["token"])
    # Then it is not found for them, and unchanged
    assert put.status_code == delete.status_code == 404
    assert account["project_id"] not in put.text + delete.text
    assert await _stored(database_url, app["id"]) == before


async def test_fcm_routes__unknown_app__404(client: Client) -> None:
    owner = await client.register()
    assert (await _put(client, owner["token"], 2_000_000_000, service_account())).status_code == 404
    r = await client.request("DELETE", "/apps/2000000000/fcm-credentials", owner["token"])
    assert r.status_code == 404


async def test_fcm_routes__no_or_bad_token__401_and_nothing_changed(
    client: Client, database_url: str
) -> None:
    _, app = await _setup(client)
    for token in (None, "not-a-jwt"):
        assert (await _put(client, token, app["id"], service_account())).status_code == 401
        r = await client.request("DELETE", f"/apps/{app['id']}/fcm-credentials", token)
        assert r.status_code == 401
    r = await client.request(
        "PUT",
        f"/apps/{app['id']}/fcm-credentials",
        headers={"X-SDK-Key": app["sdk_key"]},
        json=service_account(),
    )
    assert r.status_code == 401
    assert await _stored(database_url, app["id"]) == {"fcm_credentials": None, "fcm_project_id": None}


# --- logs ----------------------------------------------------------------------------------------------


async def test_fcm_routes__server_log__never_holds_the_private_key(
    platform: Platform, database_url: str
) -> None:
    # Given an API process of its own, logging at DEBUG
    proc, base = platform.serve(LOG_LEVEL="DEBUG")
    client = Client(base)
    try:
        owner, app = await _setup(client)
        account = service_account()
        # When the key goes through every path: stored, read, refused, deleted
        assert (await _put(client, owner["token"], app["id"], account)).status_code == 200
        assert (await client.request("GET", f"/apps/{app['id']}", owner["token"])).status_code == 200
        assert (await client.request("GET", "/apps", owner["token"])).status_code == 200
        bad = {**account, "client_email": "not-an-email"}
        assert (await _put(client, owner["token"], app["id"], bad)).status_code == 400
        bad = {**account, "private_key": account["private_key"][:400]}
        assert (await _put(client, owner["token"], app["id"], bad)).status_code == 400
        bad = {**account, "project_id": 7}
        assert (await _put(client, owner["token"], app["id"], bad)).status_code == 400
        assert (
            await client.request("DELETE", f"/apps/{app['id']}/fcm-credentials", owner["token"])
        ).status_code == 200
        # Then the process logged the requests, and nothing of the key
        await client.close()
        proc.stop()
        output = proc.output()
        assert "/fcm-credentials" in output
        assert_no_key(output, account)
    finally:
        await client.close()
        proc.stop()
