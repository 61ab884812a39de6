"""Settings through HTTP (API.md section 2): the activity log and each user's theme."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

import asyncpg
import pytest

from tests.support import Client, add_member

ISO_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
DEFAULT_THEME = {"primary_color": "#4F46E5", "mode": "system", "sidebar_style": "expanded"}
AGENT = "VaimanasoftTests/1.0 (settings)"

NewClient = Callable[[], Client]


@pytest.fixture
async def new_client(server: str) -> AsyncIterator[NewClient]:
    """More clients, each with its own IP."""
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


def _org(account: dict[str, Any]) -> int:
    return account["user"]["org_id"]


async def _activity(client: Client, token: str, **params: Any) -> dict[str, Any]:
    r = await client.request("GET", "/settings/activity", token, params=params)
    assert r.status_code == 200, r.text
    return r.json()


async def _theme(client: Client, token: str) -> dict[str, Any]:
    r = await client.request("GET", "/settings/theme", token)
    assert r.status_code == 200, r.text
    return r.json()


# --- activity log ----------------------------------------------------------------------------------------


async def test_activity__app_create_update_delete__newest_first_with_actor_ip_and_agent(
    client: Client, new_client: NewClient, database_url: str
) -> None:
    # Given an owner, and an admin on another IP
    owner = await client.register()
    admin_client = new_client()
    admin = await add_member(database_url, _org(owner), "admin", admin_client)
    agent = {"User-Agent": AGENT}
    # When the owner creates an app, the admin renames it, and the owner deletes it
    created = await client.request(
        "POST",
        "/apps",
        owner["token"],
        headers=agent,
        json={"name": "Before", "package_name": "com.acme.logged"},
    )
    assert created.status_code == 201
    app_id = created.json()["id"]
    updated = await admin_client.request(
        "PUT", f"/apps/{app_id}", admin["token"], headers=agent, json={"name": "After"}
    )
    assert updated.status_code == 200
    deleted = await client.request("DELETE", f"/apps/{app_id}", owner["token"], headers=agent)
    assert deleted.status_code == 200
    # Then the log holds the three, newest first, each with who, from where, on what
    log = await _activity(client, owner["token"], action="app.*")
    assert (log["total"], log["page"]) == (3, 1)
    entries = log["entries"]
    assert [(e["action"], e["user_id"], e["user_email"], e["ip"]) for e in entries] == [
        ("app.delete", owner["user"]["id"], owner["email"], client.ip),
        ("app.update", admin["user_id"], admin["email"], admin_client.ip),
        ("app.create", owner["user"]["id"], owner["email"], client.ip),
    ]
    for entry in entries:
        assert entry["resource_type"] == "app"
        assert entry["resource_id"] == str(app_id)
        assert entry["user_agent"] == AGENT
        assert ISO_Z.match(entry["at"])
    assert entries[1]["details"] == {"name": {"before": "Before", "after": "After"}}
    assert entries[0]["id"] > entries[1]["id"] > entries[2]["id"]
    ats = [datetime.fromisoformat(e["at"]) for e in entries]
    assert ats == sorted(ats, reverse=True)
    # and the unfiltered log has them too, after the account's own entries (registration, login)
    everything = await _activity(client, owner["token"])
    assert [e["action"] for e in everything["entries"]][:3] == ["app.delete", "app.update", "app.create"]
    assert {"org.create", "auth.login"} <= {e["action"] for e in everything["entries"]}
    assert everything["total"] == len(everything["entries"]) >= 5


async def test_activity__filter_by_exact_action__only_that_action(client: Client) -> None:
    owner = await client.register()
    app = await client.create_app(owner["token"])
    for name in ("One", "Two"):
        assert (
            await client.request("PUT", f"/apps/{app['id']}", owner["token"], json={"name": name})
        ).status_code == 200
    created = await _activity(client, owner["token"], action="app.create")
    assert [(e["action"], e["resource_id"]) for e in created["entries"]] == [("app.create", str(app["id"]))]
    assert created["total"] == 1
    updates = await _activity(client, owner["token"], action="app.update")
    assert [e["details"]["name"]["after"] for e in updates["entries"]] == ["Two", "One"]
    assert (await _activity(client, owner["token"], action="flag.update"))["entries"] == []


async def test_activity__resource_wildcard__matches_that_resource_only(client: Client) -> None:
    owner = await client.register()
    await client.create_app(owner["token"])
    assert (
        await client.request("PUT", "/settings/theme", owner["token"], json={"mode": "dark"})
    ).status_code == 200
    apps = await _activity(client, owner["token"], action="app.*")
    themes = await _activity(client, owner["token"], action="theme.*")
    assert [e["action"] for e in apps["entries"]] == ["app.create"]
    assert [e["action"] for e in themes["entries"]] == ["theme.update"]
    # "ap.*" is not a prefix of every action starting with "ap"
    assert (await _activity(client, owner["token"], action="ap.*"))["total"] == 0


async def test_activity__more_than_a_page__50_per_page_newest_first(client: Client) -> None:
    # Given 55 recorded theme changes (the api tier allows 100 requests a minute per user)
    owner = await client.register()
    for i in range(55):
        r = await client.request(
            "PUT", "/settings/theme", owner["token"], json={"primary_color": f"#0000{i:02X}"}
        )
        assert r.status_code == 200, r.text
    # When reading page 1, 2 and 3
    first = await _activity(client, owner["token"], action="theme.update")
    second = await _activity(client, owner["token"], action="theme.update", page=2)
    third = await _activity(client, owner["token"], action="theme.update", page=3)
    # Then 50, 5 and none, newest first across pages, without overlap
    assert (first["page"], first["total"], len(first["entries"])) == (1, 55, 50)
    assert first["per_page"] == 50
    assert (second["page"], second["total"], len(second["entries"])) == (2, 55, 5)
    assert (third["page"], third["total"], third["entries"]) == (3, 55, [])
    colors = [e["details"]["primary_color"]["after"] for e in first["entries"] + second["entries"]]
    assert colors == [f"#0000{i:02X}" for i in reversed(range(55))]
    ids = [e["id"] for e in first["entries"] + second["entries"]]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 55
    # and unfiltered, the registration is the very last entry
    everything = await _activity(client, owner["token"], page=2)
    assert everything["total"] == 56
    assert everything["entries"][-1]["action"] == "org.create"


async def test_activity__empty_action__no_filter(client: Client) -> None:
    owner = await client.register()
    await client.create_app(owner["token"])
    assert await _activity(client, owner["token"], action="") == await _activity(client, owner["token"])


@pytest.mark.parametrize(
    "params",
    [
        {"page": "0"},
        {"page": "-1"},
        {"page": "abc"},
        {"page": "1.5"},
        {"action": "app;drop"},
        {"action": "APP.create"},
        {"action": "app.create'"},
        {"action": "app create"},
        {"action": "%"},
        {"action": "a" * 65},
    ],
)
async def test_activity__invalid_query__400(client: Client, params: dict[str, str]) -> None:
    owner = await client.register()
    r = await client.request("GET", "/settings/activity", owner["token"], params=params)
    assert r.status_code == 400
    assert r.json()["details"]


async def test_activity__another_org__never_sees_the_entries(client: Client, new_client: NewClient) -> None:
    # Given an org with app activity
    owner = await client.register()
    app = await client.create_app(owner["token"])
    await client.request("PUT", f"/apps/{app['id']}", owner["token"], json={"name": "Secret"})
    # When another org reads its log, filtered or not / Then only its own registration is there
    other_client = new_client()
    other = await other_client.register()
    mine = await _activity(other_client, other["token"])
    assert [(e["action"], e["user_id"]) for e in mine["entries"]] == [("org.create", other["user"]["id"])]
    assert mine["total"] == 1
    assert (await _activity(other_client, other["token"], action="app.*"))["total"] == 0
    assert "Secret" not in str(mine)


async def test_activity__failed_requests__not_recorded(client: Client, database_url: str) -> None:
    # Given an owner with an app, and a viewer
    owner = await client.register()
    app = await client.create_app(owner["token"])
    viewer = await add_member(database_url, _org(owner), "viewer", client)
    before = await _activity(client, owner["token"])
    # When requests fail: invalid body, duplicate, plan limit, unknown id, wrong role, no token, bad theme
    failures = [
        (owner["token"], "POST", "/apps", {"name": ""}, 400),
        (owner["token"], "POST", "/apps", {"name": "Dup", "package_name": app["package_name"]}, 409),
        (owner["token"], "POST", "/apps", {"name": "Second", "package_name": "com.acme.second"}, 403),
        (owner["token"], "PUT", "/apps/999999999", {"name": "Ghost"}, 404),
        (owner["token"], "DELETE", "/apps/999999999", None, 404),
        (viewer["token"], "PUT", f"/apps/{app['id']}", {"name": "Viewer"}, 403),
        (viewer["token"], "DELETE", f"/apps/{app['id']}", None, 403),
        (None, "POST", "/apps", {"name": "Anon", "package_name": "com.acme.anon"}, 401),
        (owner["token"], "PUT", "/settings/theme", {"mode": "neon"}, 400),
        (owner["token"], "POST", "/team/invite", {"email": "x", "role": "viewer"}, 400),
        (None, "POST", "/auth/login", {"email": owner["email"], "password": "wrong-password"}, 401),
    ]
    for token, method, path, body, status in failures:
        r = await client.request(method, path, token, json=body)
        assert r.status_code == status, (method, path, r.text)
    # Then the log is as it was
    assert await _activity(client, owner["token"]) == before


async def test_activity__viewer__can_read(client: Client, database_url: str) -> None:
    owner = await client.register()
    await client.create_app(owner["token"])
    viewer = await add_member(database_url, _org(owner), "viewer", client)
    log = await _activity(client, viewer["token"], action="app.create")
    assert [e["user_id"] for e in log["entries"]] == [owner["user"]["id"]]


async def test_activity__without_token__401(client: Client) -> None:
    assert (await client.request("GET", "/settings/activity")).status_code == 401


@pytest.mark.parametrize(
    "method,path",
    [
        ("PUT", "/settings/activity"),
        ("DELETE", "/settings/activity"),
        ("POST", "/settings/activity"),
        ("PATCH", "/settings/activity"),
        ("PUT", "/settings/activity/{id}"),
        ("DELETE", "/settings/activity/{id}"),
        ("PATCH", "/settings/activity/{id}"),
        ("GET", "/settings/activity/{id}"),
    ],
)
async def test_activity__edit_or_delete__no_such_route(client: Client, method: str, path: str) -> None:
    # Given an org with entries
    owner = await client.register()
    await client.create_app(owner["token"])
    before = await _activity(client, owner["token"])
    entry_id = before["entries"][0]["id"]
    # When trying to change or remove them / Then there is no route to do it
    r = await client.request(method, path.format(id=entry_id), owner["token"], json={"action": "app.forged"})
    assert r.status_code in (404, 405), r.text
    assert r.json()["error"]
    assert await _activity(client, owner["token"]) == before


async def test_activity__very_long_user_agent__recorded_truncated(client: Client) -> None:
    owner = await client.register()
    r = await client.request(
        "PUT", "/settings/theme", owner["token"], json={"mode": "dark"}, headers={"User-Agent": "A" * 2000}
    )
    assert r.status_code == 200
    [entry] = (await _activity(client, owner["token"], action="theme.update"))["entries"]
    assert entry["user_agent"] == "A" * 512


async def test_activity__theme_update__recorded_with_before_and_after(client: Client) -> None:
    owner = await client.register()
    r = await client.request(
        "PUT", "/settings/theme", owner["token"], json={"mode": "dark", "primary_color": "#112233"}
    )
    assert r.status_code == 200
    [entry] = (await _activity(client, owner["token"], action="theme.update"))["entries"]
    assert entry["resource_type"] == "theme" and entry["resource_id"] == str(owner["user"]["id"])
    assert entry["details"] == {
        "mode": {"before": "system", "after": "dark"},
        "primary_color": {"before": "#4F46E5", "after": "#112233"},
    }


# --- theme -----------------------------------------------------------------------------------------------


async def test_theme__new_user__defaults(client: Client) -> None:
    owner = await client.register()
    assert await _theme(client, owner["token"]) == DEFAULT_THEME


async def test_theme__full_update__200_and_persisted(client: Client) -> None:
    owner = await client.register()
    theme = {"primary_color": "#A1B2C3", "mode": "dark", "sidebar_style": "compact"}
    r = await client.request("PUT", "/settings/theme", owner["token"], json=theme)
    assert r.status_code == 200
    assert r.json() == theme
    assert await _theme(client, owner["token"]) == theme


async def test_theme__partial_update__other_fields_kept(client: Client) -> None:
    # Given a customised theme
    owner = await client.register()
    await client.request(
        "PUT", "/settings/theme", owner["token"], json={"primary_color": "#ff0000", "mode": "light"}
    )
    # When changing only the sidebar
    r = await client.request("PUT", "/settings/theme", owner["token"], json={"sidebar_style": "collapsed"})
    # Then the other fields keep their values
    assert r.status_code == 200
    expected = {"primary_color": "#ff0000", "mode": "light", "sidebar_style": "collapsed"}
    assert r.json() == expected
    assert await _theme(client, owner["token"]) == expected
    # and an empty body changes nothing
    r = await client.request("PUT", "/settings/theme", owner["token"], json={})
    assert r.status_code == 200 and r.json() == expected


async def test_theme__per_user__another_users_theme_unchanged(client: Client, database_url: str) -> None:
    owner = await client.register()
    admin = await add_member(database_url, _org(owner), "admin", client)
    r = await client.request("PUT", "/settings/theme", admin["token"], json={"mode": "dark"})
    assert r.status_code == 200
    assert (await _theme(client, admin["token"]))["mode"] == "dark"
    assert await _theme(client, owner["token"]) == DEFAULT_THEME


async def test_theme__viewer__changes_own_theme(client: Client, database_url: str) -> None:
    owner = await client.register()
    viewer = await add_member(database_url, _org(owner), "viewer", client)
    r = await client.request(
        "PUT", "/settings/theme", viewer["token"], json={"mode": "light", "sidebar_style": "compact"}
    )
    assert r.status_code == 200
    assert await _theme(client, viewer["token"]) == {
        **DEFAULT_THEME,
        "mode": "light",
        "sidebar_style": "compact",
    }
    assert await _theme(client, owner["token"]) == DEFAULT_THEME


@pytest.mark.parametrize(
    "body,field",
    [
        ({"primary_color": "red"}, "primary_color"),
        ({"primary_color": "#FFF"}, "primary_color"),
        ({"primary_color": "#GGGGGG"}, "primary_color"),
        ({"primary_color": "FFFFFF"}, "primary_color"),
        ({"primary_color": "#1234567"}, "primary_color"),
        ({"primary_color": "#12345"}, "primary_color"),
        ({"primary_color": 0xFFFFFF}, "primary_color"),
        ({"primary_color": None}, "primary_color"),
        ({"mode": "dim"}, "mode"),
        ({"mode": "DARK"}, "mode"),
        ({"mode": ""}, "mode"),
        ({"mode": 1}, "mode"),
        ({"mode": ["dark"]}, "mode"),
        ({"mode": None}, "mode"),
        ({"sidebar_style": "hidden"}, "sidebar_style"),
        ({"sidebar_style": True}, "sidebar_style"),
        ({"sidebar_style": None}, "sidebar_style"),
        ({"font": "serif"}, "font"),
        ({"mode": "dark", "layout": "grid"}, "layout"),
    ],
)
async def test_theme__invalid_field__400_with_details_and_unchanged(
    client: Client, body: dict[str, Any], field: str
) -> None:
    # Given a customised theme
    owner = await client.register()
    theme = {"primary_color": "#010203", "mode": "light", "sidebar_style": "compact"}
    assert (await client.request("PUT", "/settings/theme", owner["token"], json=theme)).status_code == 200
    # When sending one invalid value (even beside a valid one) / Then 400 naming the field
    r = await client.request(
        "PUT", "/settings/theme", owner["token"], json={"sidebar_style": "expanded", **body}
    )
    assert r.status_code == 400, r.text
    assert field in r.json()["details"]
    # and nothing changed
    assert await _theme(client, owner["token"]) == theme


@pytest.mark.parametrize("content", [b'["dark"]', b'"dark"', b"{not json", b"null"])
async def test_theme__body_not_a_json_object__400_and_unchanged(client: Client, content: bytes) -> None:
    owner = await client.register()
    r = await client.request(
        "PUT",
        "/settings/theme",
        owner["token"],
        content=content,
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 400
    assert await _theme(client, owner["token"]) == DEFAULT_THEME


async def test_theme__without_token__401(client: Client) -> None:
    assert (await client.request("GET", "/settings/theme")).status_code == 401
    assert (await client.request("PUT", "/settings/theme", json={"mode": "dark"})).status_code == 401
