"""Team through HTTP (API.md sections 0 and 2): invitations, accepting them, role changes, removal."""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from tests.support import PASSWORD, Client, unique_email

ISO_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
NEW_PASSWORD = "invited-member-password"

NewClient = Callable[[], Client]


@pytest.fixture
async def new_client(server: str) -> AsyncIterator[NewClient]:
    """More clients, each with its own IP (the auth tier allows 10 requests per IP in 5 minutes)."""
    made: list[Client] = []

    def make() -> Client:
        made.append(Client(server))
        return made[-1]

    yield make
    for c in made:
        await c.close()


async def _fetch(database_url: str, query: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(database_url)
    try:
        return await conn.fetch(query, *args)
    finally:
        await conn.close()


async def _stored_users(database_url: str, org_id: int) -> list[dict[str, Any]]:
    rows = await _fetch(
        database_url,
        "SELECT id, email, role, status, invite_token_hash, invite_expires_at "
        "FROM users WHERE org_id = $1 ORDER BY id",
        org_id,
    )
    return [dict(r) for r in rows]


def _org(account: dict[str, Any]) -> int:
    return account["user"]["org_id"]


async def _invite(client: Client, token: str, role: str, email: str | None = None) -> dict[str, Any]:
    r = await client.request(
        "POST", "/team/invite", token, json={"email": email or unique_email(role), "role": role}
    )
    assert r.status_code == 201, r.text
    return r.json()


async def _accept(client: Client, invite_token: str, password: str = NEW_PASSWORD, name: str = "New Member"):
    return await client.request(
        "POST", "/auth/accept-invite", json={"token": invite_token, "name": name, "password": password}
    )


async def _login(client: Client, email: str, password: str):
    return await client.request("POST", "/auth/login", json={"email": email, "password": password})


async def _members(client: Client, token: str) -> dict[int, dict[str, Any]]:
    r = await client.request("GET", "/team", token)
    assert r.status_code == 200, r.text
    return {m["id"]: m for m in r.json()["members"]}


async def _joined(client: Client, owner_token: str, role: str) -> dict[str, Any]:
    """A member who joined through the invite flow: {"token", "user_id", "email"}."""
    invite = await _invite(client, owner_token, role)
    r = await _accept(client, invite["invite_token"])
    assert r.status_code == 200, r.text
    return {"token": r.json()["token"], "user_id": r.json()["user"]["id"], "email": invite["member"]["email"]}


# --- invite and accept -----------------------------------------------------------------------------------


async def test_invite__accept__new_member_logs_in_with_invited_role(
    client: Client, database_url: str
) -> None:
    # Given an owner
    owner = await client.register()
    email = unique_email("admin")
    # When inviting an admin
    r = await client.request(
        "POST", "/team/invite", owner["token"], json={"email": email.upper(), "role": "admin"}
    )
    # Then a one-time token comes back with a pending member, valid for 7 days
    assert r.status_code == 201, r.text
    invite = r.json()
    assert isinstance(invite["invite_token"], str) and len(invite["invite_token"]) >= 32
    assert ISO_Z.match(invite["expires_at"])
    expires = datetime.fromisoformat(invite["expires_at"])
    assert abs(expires - (datetime.now(UTC) + timedelta(days=7))) < timedelta(minutes=2)
    member = invite["member"]
    assert (member["email"], member["role"], member["status"]) == (email, "admin", "invited")
    # and the token is stored only as its hash
    [stored] = [u for u in await _stored_users(database_url, _org(owner)) if u["id"] == member["id"]]
    assert stored["invite_token_hash"] == hashlib.sha256(invite["invite_token"].encode()).hexdigest()
    assert invite["invite_token"] not in str(stored)

    # When accepting it
    accepted = await _accept(client, invite["invite_token"], name="Ada Admin")
    # Then the new member gets a working token with the invited role
    assert accepted.status_code == 200, accepted.text
    body = accepted.json()
    assert body["user"] == {
        "id": member["id"],
        "org_id": _org(owner),
        "role": "admin",
        "name": "Ada Admin",
        "email": email,
    }
    me = await client.request("GET", "/auth/me", body["token"])
    assert me.status_code == 200
    assert me.json()["user"]["role"] == "admin" and me.json()["org"]["id"] == _org(owner)
    # and can log in with the chosen password, as an admin of the org
    login = await _login(client, email, NEW_PASSWORD)
    assert login.status_code == 200, login.text
    assert login.json()["user"]["role"] == "admin" and login.json()["user"]["org_id"] == _org(owner)
    created = await client.request(
        "POST", "/apps", login.json()["token"], json={"name": "By admin", "package_name": "com.acme.byadmin"}
    )
    assert created.status_code == 201
    # and the team lists them as active, with the invitation fields cleared
    members = await _members(client, owner["token"])
    assert members[member["id"]]["status"] == "active"
    assert members[member["id"]]["invite_expires_at"] is None
    [stored] = [u for u in await _stored_users(database_url, _org(owner)) if u["id"] == member["id"]]
    assert stored["invite_token_hash"] is None and stored["invite_expires_at"] is None


async def test_accept_invite__viewer_role__viewer_cannot_mutate(client: Client) -> None:
    owner = await client.register()
    viewer = await _joined(client, owner["token"], "viewer")
    me = await client.request("GET", "/auth/me", viewer["token"])
    assert me.json()["user"]["role"] == "viewer"
    r = await client.request(
        "POST", "/apps", viewer["token"], json={"name": "X", "package_name": "com.acme.x"}
    )
    assert r.status_code == 403


async def test_accept_invite__token_reused__400(client: Client, new_client: NewClient) -> None:
    # Given an accepted invitation
    owner = await client.register()
    invite = await _invite(client, owner["token"], "viewer")
    assert (await _accept(client, invite["invite_token"])).status_code == 200
    # When the same token is presented again (even with another password)
    again = await _accept(new_client(), invite["invite_token"], password="another-password")
    # Then it is refused and the first password still holds
    assert again.status_code == 400
    assert again.json()["error"]
    assert (await _login(client, invite["member"]["email"], NEW_PASSWORD)).status_code == 200
    assert (await _login(client, invite["member"]["email"], "another-password")).status_code == 401


async def test_accept_invite__expired__400_and_still_pending(client: Client, database_url: str) -> None:
    # Given an invitation whose 7 days have passed
    owner = await client.register()
    invite = await _invite(client, owner["token"], "admin")
    await _fetch(
        database_url,
        "UPDATE users SET invite_expires_at = now() - interval '1 second' WHERE id = $1",
        invite["member"]["id"],
    )
    # When accepting it / Then it is refused
    r = await _accept(client, invite["invite_token"])
    assert r.status_code == 400
    assert r.json()["error"]
    # and the invitation stays pending: no login
    assert (await _members(client, owner["token"]))[invite["member"]["id"]]["status"] == "invited"
    assert (await _login(client, invite["member"]["email"], NEW_PASSWORD)).status_code == 401


async def test_accept_invite__almost_expired__200(client: Client, database_url: str) -> None:
    owner = await client.register()
    invite = await _invite(client, owner["token"], "viewer")
    await _fetch(
        database_url,
        "UPDATE users SET invite_expires_at = now() + interval '1 minute' WHERE id = $1",
        invite["member"]["id"],
    )
    assert (await _accept(client, invite["invite_token"])).status_code == 200


async def test_accept_invite__unknown_token__400(client: Client) -> None:
    r = await _accept(client, "not-a-real-invite-token")
    assert r.status_code == 400
    assert r.json()["error"]


async def test_accept_invite__short_password__400_and_token_still_valid(client: Client) -> None:
    # Given a pending invitation
    owner = await client.register()
    invite = await _invite(client, owner["token"], "viewer")
    # When accepting with a 7-character password / Then 400 naming the password
    r = await _accept(client, invite["invite_token"], password="1234567")
    assert r.status_code == 400
    assert "password" in r.json()["details"]
    # and nothing was used up: the member is still invited and the token still works
    assert (await _members(client, owner["token"]))[invite["member"]["id"]]["status"] == "invited"
    assert (await _accept(client, invite["invite_token"])).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"name": "No token", "password": NEW_PASSWORD},
        {"token": "", "name": "Empty token", "password": NEW_PASSWORD},
        {"token": "x", "name": "", "password": NEW_PASSWORD},
        {"token": 123, "name": "Bad type", "password": NEW_PASSWORD},
    ],
)
async def test_accept_invite__invalid_body__400_with_details(client: Client, body: dict[str, Any]) -> None:
    r = await client.request("POST", "/auth/accept-invite", json=body)
    assert r.status_code == 400
    assert r.json()["details"]


async def test_accept_invite__concurrent_same_token__one_200_rest_400(
    client: Client, new_client: NewClient
) -> None:
    owner = await client.register()
    invite = await _invite(client, owner["token"], "viewer")
    results = await asyncio.gather(
        *[_accept(new_client(), invite["invite_token"], password=f"password-{i}") for i in range(5)]
    )
    assert sorted(r.status_code for r in results) == [200, 400, 400, 400, 400]
    [winner] = [i for i, r in enumerate(results) if r.status_code == 200]
    assert (await _login(client, invite["member"]["email"], f"password-{winner}")).status_code == 200


async def test_invited_member__before_accepting__listed_as_invited_and_cannot_log_in(
    client: Client, database_url: str
) -> None:
    # Given a pending invitation
    owner = await client.register()
    invite = await _invite(client, owner["token"], "viewer")
    # When listing the team / Then both the owner (active) and the invitee (invited) appear
    r = await client.request("GET", "/team", owner["token"])
    assert r.status_code == 200
    members = r.json()["members"]
    assert [(m["id"], m["role"], m["status"]) for m in members] == [
        (owner["user"]["id"], "owner", "active"),
        (invite["member"]["id"], "viewer", "invited"),
    ]
    pending = members[1]
    assert (
        pending["email"] == invite["member"]["email"] and pending["invite_expires_at"] == invite["expires_at"]
    )
    assert members[0]["email"] == owner["email"] and members[0]["invite_expires_at"] is None
    assert all(ISO_Z.match(m["created_at"]) for m in members)
    # and the invitee cannot log in, with any password, nor register the email again
    assert (await _login(client, invite["member"]["email"], NEW_PASSWORD)).status_code == 401
    assert (await _login(client, invite["member"]["email"], "")).status_code in (400, 401)


async def test_invite__email_of_active_user__409_and_nothing_stored(
    client: Client, new_client: NewClient, database_url: str
) -> None:
    # Given an owner with a member, and a user of another org
    owner = await client.register()
    member = await _joined(client, owner["token"], "viewer")
    stranger = await new_client().register()
    before = await _stored_users(database_url, _org(owner))
    # When inviting either email (any case) / Then conflict
    for email in (member["email"], stranger["email"].upper(), owner["email"]):
        r = await client.request(
            "POST", "/team/invite", owner["token"], json={"email": email, "role": "admin"}
        )
        assert r.status_code == 409, email
        assert r.json()["error"]
    # and no one changed
    assert await _stored_users(database_url, _org(owner)) == before
    assert (await _login(client, stranger["email"], PASSWORD)).json()["user"]["org_id"] == _org(stranger)


async def test_invite__email_pending_in_another_org__409(client: Client, new_client: NewClient) -> None:
    other = await new_client().register()
    pending = await _invite(client, other["token"], "viewer")
    owner = await client.register()
    r = await client.request(
        "POST", "/team/invite", owner["token"], json={"email": pending["member"]["email"], "role": "viewer"}
    )
    assert r.status_code == 409


async def test_invite__pending_email_again__new_token_and_old_one_400(
    client: Client, database_url: str
) -> None:
    # Given a pending invitation
    owner = await client.register()
    first = await _invite(client, owner["token"], "viewer")
    # When inviting the same email again, now as admin
    second = await _invite(client, owner["token"], "admin", email=first["member"]["email"])
    # Then the same pending member gets a new token and the new role
    assert second["member"]["id"] == first["member"]["id"]
    assert second["invite_token"] != first["invite_token"]
    assert second["member"]["role"] == "admin"
    assert len([u for u in await _stored_users(database_url, _org(owner)) if u["status"] == "invited"]) == 1
    # and the old token no longer works while the new one does
    assert (await _accept(client, first["invite_token"])).status_code == 400
    accepted = await _accept(client, second["invite_token"])
    assert accepted.status_code == 200
    assert accepted.json()["user"]["role"] == "admin"


async def test_invite__concurrent_same_new_email__one_pending_member_no_500(
    client: Client, database_url: str
) -> None:
    owner = await client.register()
    email = unique_email("racer")
    results = await asyncio.gather(
        *[
            client.request("POST", "/team/invite", owner["token"], json={"email": email, "role": "viewer"})
            for _ in range(5)
        ]
    )
    assert {r.status_code for r in results} <= {201, 409}, [r.text for r in results]
    assert 201 in {r.status_code for r in results}
    assert [u["email"] for u in await _stored_users(database_url, _org(owner))].count(email) == 1


@pytest.mark.parametrize(
    "body",
    [
        {"email": "not-an-email", "role": "viewer"},
        {"email": "two@@example.com", "role": "viewer"},
        {"email": "", "role": "viewer"},
        {"role": "viewer"},
        {"email": "someone@example.com", "role": "superuser"},
        {"email": "someone@example.com", "role": "Owner"},
        {"email": "someone@example.com"},
        {"email": "someone@example.com", "role": 1},
        {"email": ["someone@example.com"], "role": "viewer"},
    ],
)
async def test_invite__invalid_email_or_role__400_and_nothing_stored(
    client: Client, database_url: str, body: dict[str, Any]
) -> None:
    owner = await client.register()
    r = await client.request("POST", "/team/invite", owner["token"], json=body)
    assert r.status_code == 400
    assert r.json()["details"]
    assert [u["id"] for u in await _stored_users(database_url, _org(owner))] == [owner["user"]["id"]]


async def test_invite__not_a_json_object__400(client: Client) -> None:
    owner = await client.register()
    r = await client.request("POST", "/team/invite", owner["token"], json=["someone@example.com", "viewer"])
    assert r.status_code == 400


async def test_invite__owner_invites_owner__accepted_as_owner(client: Client) -> None:
    owner = await client.register()
    co_owner = await _joined(client, owner["token"], "owner")
    me = await client.request("GET", "/auth/me", co_owner["token"])
    assert me.json()["user"]["role"] == "owner"
    # an owner can do owner-only things
    assert (await client.request("POST", "/org/api-key/rotate", co_owner["token"])).status_code == 200


async def test_invite__admin_invites_viewer_and_admin__201(client: Client) -> None:
    owner = await client.register()
    admin = await _joined(client, owner["token"], "admin")
    for role in ("viewer", "admin"):
        invite = await _invite(client, admin["token"], role)
        assert invite["member"]["role"] == role


async def test_invite__admin_invites_owner__403_and_nothing_stored(client: Client, database_url: str) -> None:
    # Given an admin
    owner = await client.register()
    admin = await _joined(client, owner["token"], "admin")
    before = await _stored_users(database_url, _org(owner))
    # When inviting an owner / Then forbidden, nothing stored
    r = await client.request(
        "POST", "/team/invite", admin["token"], json={"email": unique_email(), "role": "owner"}
    )
    assert r.status_code == 403
    assert r.json()["error"]
    assert await _stored_users(database_url, _org(owner)) == before


async def test_invite__admin_reinvites_pending_owner__403_and_invitation_unchanged(
    client: Client, database_url: str
) -> None:
    # Given an owner's pending invitation of another owner
    owner = await client.register()
    admin = await _joined(client, owner["token"], "admin")
    pending = await _invite(client, owner["token"], "owner")
    before = await _stored_users(database_url, _org(owner))
    # When an admin invites that email again as admin / Then forbidden: admins do not touch owners
    r = await client.request(
        "POST", "/team/invite", admin["token"], json={"email": pending["member"]["email"], "role": "admin"}
    )
    assert r.status_code == 403
    assert await _stored_users(database_url, _org(owner)) == before
    accepted = await _accept(client, pending["invite_token"])
    assert accepted.status_code == 200 and accepted.json()["user"]["role"] == "owner"


# --- roles -----------------------------------------------------------------------------------------------


async def test_viewer__every_team_mutation__403_and_nothing_changed(
    client: Client, database_url: str
) -> None:
    # Given a viewer, an admin and a pending invitation
    owner = await client.register()
    viewer = await _joined(client, owner["token"], "viewer")
    admin = await _joined(client, owner["token"], "admin")
    pending = await _invite(client, owner["token"], "viewer")
    before = await _stored_users(database_url, _org(owner))
    # When the viewer tries every mutation / Then 403
    attempts = [
        ("POST", "/team/invite", {"email": unique_email(), "role": "viewer"}),
        ("POST", "/team/invite", {"email": unique_email(), "role": "admin"}),
        ("PUT", f"/team/{admin['user_id']}", {"role": "viewer"}),
        ("PUT", f"/team/{viewer['user_id']}", {"role": "admin"}),
        ("PUT", f"/team/{owner['user']['id']}", {"role": "viewer"}),
        ("DELETE", f"/team/{admin['user_id']}", None),
        ("DELETE", f"/team/{pending['member']['id']}", None),
        ("DELETE", f"/team/{viewer['user_id']}", None),
    ]
    for method, path, body in attempts:
        r = await client.request(method, path, viewer["token"], json=body)
        assert r.status_code == 403, (method, path, r.text)
    # and nothing changed; the pending invitation still works
    assert await _stored_users(database_url, _org(owner)) == before
    assert (await _accept(client, pending["invite_token"])).status_code == 200


async def test_viewer__get_team__200(client: Client) -> None:
    owner = await client.register()
    viewer = await _joined(client, owner["token"], "viewer")
    members = await _members(client, viewer["token"])
    assert {m["role"] for m in members.values()} == {"owner", "viewer"}


async def test_team_routes__without_token__401(client: Client) -> None:
    owner = await client.register()
    for method, path, body in [
        ("GET", "/team", None),
        ("POST", "/team/invite", {"email": unique_email(), "role": "viewer"}),
        ("PUT", f"/team/{owner['user']['id']}", {"role": "viewer"}),
        ("DELETE", f"/team/{owner['user']['id']}", None),
    ]:
        assert (await client.request(method, path, json=body)).status_code == 401, (method, path)


async def test_change_role__owner_promotes_admin_to_owner__200_and_effective(client: Client) -> None:
    # Given an owner and an admin
    owner = await client.register()
    admin = await _joined(client, owner["token"], "admin")
    assert (await client.request("POST", "/org/api-key/rotate", admin["token"])).status_code == 403
    # When the owner makes the admin an owner
    r = await client.request("PUT", f"/team/{admin['user_id']}", owner["token"], json={"role": "owner"})
    # Then the member is an owner, with the same token
    assert r.status_code == 200, r.text
    assert (r.json()["id"], r.json()["role"], r.json()["status"]) == (admin["user_id"], "owner", "active")
    assert (await client.request("POST", "/org/api-key/rotate", admin["token"])).status_code == 200
    assert (await _members(client, owner["token"]))[admin["user_id"]]["role"] == "owner"


async def test_change_role__admin_switches_viewer_and_admin__200(client: Client) -> None:
    owner = await client.register()
    admin = await _joined(client, owner["token"], "admin")
    viewer = await _joined(client, owner["token"], "viewer")
    up = await client.request("PUT", f"/team/{viewer['user_id']}", admin["token"], json={"role": "admin"})
    assert up.status_code == 200 and up.json()["role"] == "admin"
    assert (await client.request("GET", "/auth/me", viewer["token"])).json()["user"]["role"] == "admin"
    down = await client.request("PUT", f"/team/{viewer['user_id']}", admin["token"], json={"role": "viewer"})
    assert down.status_code == 200 and down.json()["role"] == "viewer"
    assert (await _members(client, owner["token"]))[viewer["user_id"]]["role"] == "viewer"


async def test_change_role__admin_on_owners__403_and_unchanged(client: Client, database_url: str) -> None:
    # Given two owners, an admin and a viewer
    owner = await client.register()
    co_owner = await _joined(client, owner["token"], "owner")
    admin = await _joined(client, owner["token"], "admin")
    viewer = await _joined(client, owner["token"], "viewer")
    before = await _stored_users(database_url, _org(owner))
    # When the admin demotes an owner, or makes anyone (itself included) an owner / Then 403
    for user_id, role in [
        (owner["user"]["id"], "admin"),
        (co_owner["user_id"], "viewer"),
        (viewer["user_id"], "owner"),
        (admin["user_id"], "owner"),
    ]:
        r = await client.request("PUT", f"/team/{user_id}", admin["token"], json={"role": role})
        assert r.status_code == 403, (user_id, role)
    # nor remove an owner
    assert (await client.request("DELETE", f"/team/{co_owner['user_id']}", admin["token"])).status_code == 403
    assert await _stored_users(database_url, _org(owner)) == before


async def test_change_role__last_owner_demoted__403(client: Client) -> None:
    # Given an org with one owner (and an admin)
    owner = await client.register()
    await _joined(client, owner["token"], "admin")
    # When the owner demotes themselves / Then 403 and still owner
    for role in ("admin", "viewer"):
        r = await client.request("PUT", f"/team/{owner['user']['id']}", owner["token"], json={"role": role})
        assert r.status_code == 403
        assert r.json()["error"]
    me = await client.request("GET", "/auth/me", owner["token"])
    assert me.json()["user"]["role"] == "owner"


async def test_change_role__pending_owner_does_not_count__last_active_owner_403(client: Client) -> None:
    owner = await client.register()
    await _invite(client, owner["token"], "owner")
    r = await client.request("PUT", f"/team/{owner['user']['id']}", owner["token"], json={"role": "admin"})
    assert r.status_code == 403


async def test_change_role__two_owners__one_demoted_then_the_other_is_last(client: Client) -> None:
    # Given two owners
    owner = await client.register()
    co_owner = await _joined(client, owner["token"], "owner")
    # When one demotes the other / Then it works
    r = await client.request("PUT", f"/team/{co_owner['user_id']}", owner["token"], json={"role": "admin"})
    assert r.status_code == 200 and r.json()["role"] == "admin"
    # and the remaining owner is now the last one
    r = await client.request("PUT", f"/team/{owner['user']['id']}", owner["token"], json={"role": "admin"})
    assert r.status_code == 403


async def test_change_role__two_owners_demote_each_other_at_once__one_owner_left(client: Client) -> None:
    owner = await client.register()
    co_owner = await _joined(client, owner["token"], "owner")
    results = await asyncio.gather(
        client.request("PUT", f"/team/{co_owner['user_id']}", owner["token"], json={"role": "admin"}),
        client.request("PUT", f"/team/{owner['user']['id']}", co_owner["token"], json={"role": "admin"}),
    )
    assert sorted(r.status_code for r in results) == [200, 403]
    members = await _members(client, owner["token"] if results[0].status_code == 200 else co_owner["token"])
    assert [m["role"] for m in members.values()].count("owner") == 1


async def test_change_role__owner_demotes_self_when_another_owner_exists__200(client: Client) -> None:
    owner = await client.register()
    co_owner = await _joined(client, owner["token"], "owner")
    r = await client.request("PUT", f"/team/{owner['user']['id']}", owner["token"], json={"role": "viewer"})
    assert r.status_code == 200 and r.json()["role"] == "viewer"
    # the same token now acts as a viewer
    assert (
        await client.request("PUT", f"/team/{co_owner['user_id']}", owner["token"], json={"role": "admin"})
    ).status_code == 403


async def test_change_role__admin_demoted_to_viewer__same_token_403_on_next_mutation(client: Client) -> None:
    # Given an admin who can create apps
    owner = await client.register()
    admin = await _joined(client, owner["token"], "admin")
    app = await client.create_app(admin["token"])
    # When the owner demotes them to viewer
    r = await client.request("PUT", f"/team/{admin['user_id']}", owner["token"], json={"role": "viewer"})
    assert r.status_code == 200
    # Then their very next request with the same token is a viewer's
    r = await client.request(
        "POST", "/apps", admin["token"], json={"name": "Two", "package_name": "com.acme.two"}
    )
    assert r.status_code == 403
    assert (await client.request("DELETE", f"/apps/{app['id']}", admin["token"])).status_code == 403
    assert (await client.request("GET", "/apps", admin["token"])).status_code == 200
    assert (await client.request("GET", "/auth/me", admin["token"])).json()["user"]["role"] == "viewer"


@pytest.mark.parametrize("body", [{"role": "superuser"}, {"role": None}, {"role": 2}, {}, {"role": "OWNER"}])
async def test_change_role__invalid_role__400_and_unchanged(client: Client, body: dict[str, Any]) -> None:
    owner = await client.register()
    viewer = await _joined(client, owner["token"], "viewer")
    r = await client.request("PUT", f"/team/{viewer['user_id']}", owner["token"], json=body)
    assert r.status_code == 400
    assert (await _members(client, owner["token"]))[viewer["user_id"]]["role"] == "viewer"


async def test_change_role__pending_invitation__invitee_joins_with_new_role(client: Client) -> None:
    owner = await client.register()
    invite = await _invite(client, owner["token"], "viewer")
    r = await client.request("PUT", f"/team/{invite['member']['id']}", owner["token"], json={"role": "admin"})
    assert r.status_code == 200
    assert r.json()["status"] == "invited" and r.json()["role"] == "admin"
    accepted = await _accept(client, invite["invite_token"])
    assert accepted.json()["user"]["role"] == "admin"


# --- other orgs and unknown ids --------------------------------------------------------------------------


async def test_team_member__of_another_org__404_and_unchanged(
    client: Client, new_client: NewClient, database_url: str
) -> None:
    # Given two orgs, each with an owner and a viewer
    owner = await client.register()
    other_client = new_client()
    other = await other_client.register()
    other_viewer = await _joined(other_client, other["token"], "viewer")
    other_pending = await _invite(other_client, other["token"], "admin")
    before = await _stored_users(database_url, _org(other))
    # When the first owner targets the other org's users / Then 404, never 403
    for user_id in (other["user"]["id"], other_viewer["user_id"], other_pending["member"]["id"]):
        put = await client.request("PUT", f"/team/{user_id}", owner["token"], json={"role": "admin"})
        delete = await client.request("DELETE", f"/team/{user_id}", owner["token"])
        assert (put.status_code, delete.status_code) == (404, 404), user_id
    # and nothing changed: the other viewer's token still works
    assert await _stored_users(database_url, _org(other)) == before
    assert (await client.request("GET", "/auth/me", other_viewer["token"])).status_code == 200
    assert set(await _members(client, owner["token"])) == {owner["user"]["id"]}


@pytest.mark.parametrize("user_id", ["999999999", "2147483648", "abc", "-1"])
async def test_team_member__unknown_id__404(client: Client, user_id: str) -> None:
    owner = await client.register()
    assert (
        await client.request("PUT", f"/team/{user_id}", owner["token"], json={"role": "admin"})
    ).status_code == 404
    assert (await client.request("DELETE", f"/team/{user_id}", owner["token"])).status_code == 404


# --- removal ---------------------------------------------------------------------------------------------


async def test_remove_member__their_token__401_on_next_request(client: Client, new_client: NewClient) -> None:
    # Given an admin with a token
    owner = await client.register()
    admin = await _joined(client, owner["token"], "admin")
    assert (await client.request("GET", "/apps", admin["token"])).status_code == 200
    # When the owner removes them
    r = await client.request("DELETE", f"/team/{admin['user_id']}", owner["token"])
    assert r.status_code == 200
    assert r.json() == {"success": True}
    # Then their token is refused at once, on every route, refresh included
    for method, path in [("GET", "/apps"), ("GET", "/auth/me"), ("POST", "/auth/refresh"), ("GET", "/team")]:
        assert (await client.request(method, path, admin["token"])).status_code == 401, path
    # and they can no longer log in, nor appear in the team
    assert (await _login(new_client(), admin["email"], NEW_PASSWORD)).status_code == 401
    assert admin["user_id"] not in await _members(client, owner["token"])


async def test_remove_member__then_invited_again__old_token_still_401(
    client: Client, new_client: NewClient
) -> None:
    owner = await client.register()
    viewer = await _joined(client, owner["token"], "viewer")
    assert (await client.request("DELETE", f"/team/{viewer['user_id']}", owner["token"])).status_code == 200
    invite = await _invite(client, owner["token"], "viewer", email=viewer["email"])
    assert (await _accept(new_client(), invite["invite_token"])).status_code == 200
    assert (await client.request("GET", "/auth/me", viewer["token"])).status_code == 401


async def test_remove_member__admin_removes_viewer_and_admin__200(client: Client) -> None:
    owner = await client.register()
    admin = await _joined(client, owner["token"], "admin")
    viewer = await _joined(client, owner["token"], "viewer")
    other_admin = await _joined(client, owner["token"], "admin")
    for user_id in (viewer["user_id"], other_admin["user_id"]):
        assert (await client.request("DELETE", f"/team/{user_id}", admin["token"])).status_code == 200
    assert set(await _members(client, owner["token"])) == {owner["user"]["id"], admin["user_id"]}


async def test_remove_member__owner__403_and_still_working(client: Client) -> None:
    # Given two owners and an admin
    owner = await client.register()
    co_owner = await _joined(client, owner["token"], "owner")
    admin = await _joined(client, owner["token"], "admin")
    # When anyone tries to remove an owner (themselves included) / Then 403
    for actor, target in [
        (owner["token"], owner["user"]["id"]),
        (owner["token"], co_owner["user_id"]),
        (admin["token"], owner["user"]["id"]),
    ]:
        r = await client.request("DELETE", f"/team/{target}", actor)
        assert r.status_code == 403
        assert r.json()["error"]
    for token in (owner["token"], co_owner["token"]):
        assert (await client.request("GET", "/auth/me", token)).json()["user"]["role"] == "owner"


async def test_remove_member__pending_invitation__withdrawn_and_token_400(client: Client) -> None:
    owner = await client.register()
    invite = await _invite(client, owner["token"], "admin")
    r = await client.request("DELETE", f"/team/{invite['member']['id']}", owner["token"])
    assert r.status_code == 200
    assert invite["member"]["id"] not in await _members(client, owner["token"])
    assert (await _accept(client, invite["invite_token"])).status_code == 400


async def test_remove_member__pending_owner_invitation__owner_withdraws_admin_cannot(client: Client) -> None:
    # Given an owner's pending invitation of another owner, and an admin
    owner = await client.register()
    admin = await _joined(client, owner["token"], "admin")
    invite = await _invite(client, owner["token"], "owner")
    member_id = invite["member"]["id"]
    # When the admin tries to withdraw it / Then 403, it stays pending
    assert (await client.request("DELETE", f"/team/{member_id}", admin["token"])).status_code == 403
    assert member_id in await _members(client, owner["token"])
    # When the owner withdraws it / Then it is gone and its token is refused
    assert (await client.request("DELETE", f"/team/{member_id}", owner["token"])).status_code == 200
    assert member_id not in await _members(client, owner["token"])
    assert (await _accept(client, invite["invite_token"])).status_code == 400


async def test_remove_member__twice__second_404(client: Client) -> None:
    owner = await client.register()
    viewer = await _joined(client, owner["token"], "viewer")
    assert (await client.request("DELETE", f"/team/{viewer['user_id']}", owner["token"])).status_code == 200
    assert (await client.request("DELETE", f"/team/{viewer['user_id']}", owner["token"])).status_code == 404


# --- activity of the team --------------------------------------------------------------------------------


async def test_team_changes__in_activity_log_without_the_invite_token(client: Client) -> None:
    # Given an invite, its acceptance, a role change and a removal
    owner = await client.register()
    invite = await _invite(client, owner["token"], "viewer")
    accepted = await _accept(client, invite["invite_token"], name="Val")
    member_id = invite["member"]["id"]
    assert (
        await client.request("PUT", f"/team/{member_id}", owner["token"], json={"role": "admin"})
    ).status_code == 200
    assert (await client.request("DELETE", f"/team/{member_id}", owner["token"])).status_code == 200
    # When reading the log for team actions
    r = await client.request("GET", "/settings/activity", owner["token"], params={"action": "team.*"})
    assert r.status_code == 200
    entries = r.json()["entries"]
    # Then each step is there, newest first, credited to whoever acted
    assert [(e["action"], e["user_id"], e["resource_type"], e["resource_id"]) for e in entries] == [
        ("team.remove", owner["user"]["id"], "team", str(member_id)),
        ("team.update", owner["user"]["id"], "team", str(member_id)),
        ("team.join", member_id, "team", str(member_id)),
        ("team.invite", owner["user"]["id"], "team", str(member_id)),
    ]
    assert entries[1]["details"] == {"role": {"before": "viewer", "after": "admin"}}
    assert entries[3]["details"]["role"] == "viewer"
    assert entries[2]["user_email"] == invite["member"]["email"]
    # and the one-time token is never written to the log
    assert invite["invite_token"] not in r.text
    assert accepted.json()["token"] not in r.text
