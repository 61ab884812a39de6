"""Apps and the org API key through HTTP (API.md section 2): CRUD, plan limit, roles, org isolation."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime
from typing import Any

import asyncpg
import pytest

from tests.support import Client, add_member

SDK_KEY = re.compile(r"^sk_[0-9a-f]{16}$")
ORG_KEY = re.compile(r"^ok_[0-9a-f]{32}$")
ISO_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")

# Every app route, with a valid body where it takes one ({id} is filled in per test).
APP_ROUTES = [
    ("GET", "/apps/{id}", None),
    ("PUT", "/apps/{id}", {"name": "Taken over", "package_name": "com.attacker.app"}),
    ("DELETE", "/apps/{id}", None),
    ("POST", "/apps/{id}/rotate-key", None),
]
VIEWER_FORBIDDEN = [
    ("POST", "/apps", {"name": "Viewer app", "package_name": "com.viewer.app"}),
    ("PUT", "/apps/{id}", {"name": "Renamed by viewer"}),
    ("DELETE", "/apps/{id}", None),
    ("POST", "/apps/{id}/rotate-key", None),
    ("GET", "/org/api-key", None),
    ("POST", "/org/api-key/rotate", None),
]
ALL_ROUTES = [
    ("GET", "/apps", None),
    ("POST", "/apps", {"name": "App", "package_name": "com.example.anon"}),
    *APP_ROUTES,
    ("GET", "/org/api-key", None),
    ("POST", "/org/api-key/rotate", None),
]


async def _fetch(database_url: str, query: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(database_url)
    try:
        return await conn.fetch(query, *args)
    finally:
        await conn.close()


async def _stored_apps(database_url: str, org_id: int) -> list[dict[str, Any]]:
    rows = await _fetch(
        database_url, "SELECT id, name, package_name, sdk_key FROM apps WHERE org_id = $1 ORDER BY id", org_id
    )
    return [dict(r) for r in rows]


async def _set_plan(database_url: str, org_id: int, plan: str) -> None:
    await _fetch(database_url, "UPDATE orgs SET plan = $1 WHERE id = $2", plan, org_id)


async def _stored_org_key(database_url: str, org_id: int) -> str:
    return (await _fetch(database_url, "SELECT api_key FROM orgs WHERE id = $1", org_id))[0]["api_key"]


def _org(account: dict[str, Any]) -> int:
    return account["user"]["org_id"]


# --- list and create -------------------------------------------------------------------------------------


async def test_list_apps__new_org__empty_list(client: Client) -> None:
    owner = await client.register()
    r = await client.request("GET", "/apps", owner["token"])
    assert r.status_code == 200
    assert r.json() == {"apps": []}


async def test_create_app__valid__201_with_app_object(client: Client, database_url: str) -> None:
    # Given a new org / When its owner creates an app
    owner = await client.register()
    r = await client.request(
        "POST", "/apps", owner["token"], json={"name": "My App", "package_name": "com.acme.app"}
    )
    # Then the app object comes back with a fresh SDK key
    assert r.status_code == 201
    app = r.json()
    assert isinstance(app["id"], int) and app["id"] > 0
    assert app["name"] == "My App" and app["package_name"] == "com.acme.app"
    assert SDK_KEY.match(app["sdk_key"])
    assert ISO_Z.match(app["created_at"])
    datetime.fromisoformat(app["created_at"])
    # and it is listed and readable
    listed = await client.request("GET", "/apps", owner["token"])
    assert listed.status_code == 200
    assert listed.json() == {"apps": [app]}
    one = await client.request("GET", f"/apps/{app['id']}", owner["token"])
    assert one.status_code == 200
    assert one.json() == app
    assert await _stored_apps(database_url, _org(owner)) == [
        {"id": app["id"], "name": "My App", "package_name": "com.acme.app", "sdk_key": app["sdk_key"]}
    ]


async def test_create_app__name_and_package_with_spaces__stored_stripped(client: Client) -> None:
    owner = await client.register()
    r = await client.request(
        "POST", "/apps", owner["token"], json={"name": "  Spacey  ", "package_name": " com.a.b "}
    )
    assert r.status_code == 201
    assert (r.json()["name"], r.json()["package_name"]) == ("Spacey", "com.a.b")


async def test_create_app__duplicate_package_at_plan_limit__409_before_403(
    client: Client, database_url: str
) -> None:
    # Given a free org with its one app
    owner = await client.register()
    app = await client.create_app(owner["token"], package="com.acme.first")
    # When posting the same package again / Then it is a conflict, not the plan limit
    dup = await client.request(
        "POST", "/apps", owner["token"], json={"name": "Again", "package_name": "com.acme.first"}
    )
    assert dup.status_code == 409
    assert dup.json()["error"]
    # When posting a new package / Then the plan limit answers
    new = await client.request(
        "POST", "/apps", owner["token"], json={"name": "Two", "package_name": "com.acme.second"}
    )
    assert new.status_code == 403
    assert new.json()["error"].startswith("Plan limit reached")
    assert [a["id"] for a in await _stored_apps(database_url, _org(owner))] == [app["id"]]


async def test_create_app__duplicate_package_on_bigger_plan__409(client: Client, database_url: str) -> None:
    owner = await client.register()
    await _set_plan(database_url, _org(owner), "pro")
    await client.create_app(owner["token"], package="com.acme.first")
    r = await client.request(
        "POST", "/apps", owner["token"], json={"name": "Again", "package_name": "com.acme.first"}
    )
    assert r.status_code == 409
    assert len(await _stored_apps(database_url, _org(owner))) == 1


async def test_create_app__concurrent_at_plan_limit__exactly_one_created(
    client: Client, database_url: str
) -> None:
    # Given a free org (one app allowed) / When five different apps are posted at once
    owner = await client.register()
    responses = await asyncio.gather(
        *(
            client.request(
                "POST", "/apps", owner["token"], json={"name": f"A{i}", "package_name": f"com.race.app{i}"}
            )
            for i in range(5)
        )
    )
    # Then one is created and the others hit the plan limit
    assert sorted(r.status_code for r in responses) == [201, 403, 403, 403, 403]
    assert len(await _stored_apps(database_url, _org(owner))) == 1


async def test_create_app__concurrent_same_package__one_201_rest_409(
    client: Client, database_url: str
) -> None:
    owner = await client.register()
    await _set_plan(database_url, _org(owner), "pro")
    responses = await asyncio.gather(
        *(
            client.request(
                "POST", "/apps", owner["token"], json={"name": f"A{i}", "package_name": "com.race.same"}
            )
            for i in range(5)
        )
    )
    assert sorted(r.status_code for r in responses) == [201, 409, 409, 409, 409]
    assert len(await _stored_apps(database_url, _org(owner))) == 1


async def test_create_app__same_package_in_another_org__201(client: Client) -> None:
    first, second = await client.register(), await client.register()
    await client.create_app(first["token"], package="com.shared.name")
    r = await client.request(
        "POST", "/apps", second["token"], json={"name": "Mine", "package_name": "com.shared.name"}
    )
    assert r.status_code == 201


@pytest.mark.parametrize(
    "package_name",
    [
        "nodots",
        "1com.acme",
        "com..acme",
        "com.acme.",
        ".com.acme",
        "com.ac me",
        "com.acme-app",
        "com.1acme",
        "",
        "a" * 250 + ".b.c.d",
    ],
)
async def test_create_app__invalid_package_name__400_with_details_and_nothing_stored(
    client: Client, database_url: str, package_name: str
) -> None:
    owner = await client.register()
    r = await client.request(
        "POST", "/apps", owner["token"], json={"name": "App", "package_name": package_name}
    )
    assert r.status_code == 400
    assert "package_name" in r.json()["details"]
    assert await _stored_apps(database_url, _org(owner)) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"package_name": "com.acme.app"}, "name"),
        ({"name": "", "package_name": "com.acme.app"}, "name"),
        ({"name": "   ", "package_name": "com.acme.app"}, "name"),
        ({"name": "x" * 256, "package_name": "com.acme.app"}, "name"),
        ({"name": 5, "package_name": "com.acme.app"}, "name"),
        ({"name": None, "package_name": "com.acme.app"}, "name"),
        ({"name": ["App"], "package_name": "com.acme.app"}, "name"),
        ({"name": "App"}, "package_name"),
        ({"name": "App", "package_name": 42}, "package_name"),
        ({"name": "App", "package_name": {"id": "com.acme.app"}}, "package_name"),
    ],
)
async def test_create_app__invalid_field__400_with_details_and_nothing_stored(
    client: Client, database_url: str, body: dict[str, Any], field: str
) -> None:
    owner = await client.register()
    r = await client.request("POST", "/apps", owner["token"], json=body)
    assert r.status_code == 400
    assert set(r.json()) == {"error", "details"}
    assert field in r.json()["details"]
    assert await _stored_apps(database_url, _org(owner)) == []


@pytest.mark.parametrize("content", [b"{not json", b"[1, 2]", b'"com.acme.app"', b"null", b"42"])
async def test_create_app__body_not_a_json_object__400_and_nothing_stored(
    client: Client, database_url: str, content: bytes
) -> None:
    owner = await client.register()
    r = await client.request(
        "POST", "/apps", owner["token"], content=content, headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 400
    assert r.json()["error"]
    assert await _stored_apps(database_url, _org(owner)) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "A\u0000B", "package_name": "com.acme.app"}, "name"),
        ({"name": "App", "package_name": "com.acme\u0000.app"}, "package_name"),
    ],
)
async def test_create_app__nul_character__400_with_details_and_nothing_stored(
    client: Client, database_url: str, body: dict[str, Any], field: str
) -> None:
    # PostgreSQL cannot store NUL in text: this must be a client error, not a 500.
    owner = await client.register()
    r = await client.request("POST", "/apps", owner["token"], json=body)
    assert r.status_code == 400
    assert field in r.json()["details"]
    assert await _stored_apps(database_url, _org(owner)) == []


# --- read, update, delete, rotate ------------------------------------------------------------------------


async def test_get_app__unknown_id__404(client: Client) -> None:
    owner = await client.register()
    r = await client.request("GET", "/apps/999999999", owner["token"])
    assert r.status_code == 404
    assert r.json()["error"]


@pytest.mark.parametrize(("method", "path", "body"), APP_ROUTES, ids=[f"{m} {p}" for m, p, _ in APP_ROUTES])
async def test_app_route__id_beyond_32_bits__404(
    client: Client, method: str, path: str, body: dict[str, Any] | None
) -> None:
    # App ids are 32-bit: larger numbers name no app (and must not reach PostgreSQL as a 500).
    owner = await client.register()
    for app_id in ["2147483648", "99999999999", "9" * 30, "-2147483649"]:
        r = await client.request(method, path.format(id=app_id), owner["token"], json=body)
        assert r.status_code == 404, app_id
        assert r.json()["error"]


@pytest.mark.parametrize("app_id", ["abc", "1.5", "0x10"])
async def test_get_app__non_numeric_id__404(client: Client, app_id: str) -> None:
    owner = await client.register()
    r = await client.request("GET", f"/apps/{app_id}", owner["token"])
    assert r.status_code == 404
    assert r.json()["error"]


async def test_update_app__rename__200_and_persisted(client: Client) -> None:
    owner = await client.register()
    app = await client.create_app(owner["token"], package="com.acme.app", name="Old")
    r = await client.request("PUT", f"/apps/{app['id']}", owner["token"], json={"name": "New name"})
    assert r.status_code == 200
    updated = r.json()
    assert updated["name"] == "New name"
    assert {k: updated[k] for k in ("id", "package_name", "sdk_key", "created_at")} == {
        k: app[k] for k in ("id", "package_name", "sdk_key", "created_at")
    }
    assert (await client.request("GET", f"/apps/{app['id']}", owner["token"])).json()["name"] == "New name"


async def test_update_app__package_change__200_and_persisted(client: Client) -> None:
    owner = await client.register()
    app = await client.create_app(owner["token"], package="com.acme.old")
    r = await client.request(
        "PUT", f"/apps/{app['id']}", owner["token"], json={"package_name": "com.acme.new"}
    )
    assert r.status_code == 200
    assert r.json()["package_name"] == "com.acme.new"
    assert r.json()["name"] == app["name"]
    again = await client.request("GET", f"/apps/{app['id']}", owner["token"])
    assert again.json()["package_name"] == "com.acme.new"


async def test_update_app__same_package_and_empty_body__200_unchanged(client: Client) -> None:
    owner = await client.register()
    app = await client.create_app(owner["token"], package="com.acme.same")
    same = await client.request(
        "PUT", f"/apps/{app['id']}", owner["token"], json={"package_name": "com.acme.same"}
    )
    assert same.status_code == 200
    empty = await client.request("PUT", f"/apps/{app['id']}", owner["token"], json={})
    assert empty.status_code == 200
    assert empty.json()["package_name"] == "com.acme.same" and empty.json()["name"] == app["name"]


async def test_update_app__duplicate_package__409_and_unchanged(client: Client, database_url: str) -> None:
    # Given an org with two apps
    owner = await client.register()
    await _set_plan(database_url, _org(owner), "pro")
    first = await client.create_app(owner["token"], package="com.acme.first")
    second = await client.create_app(owner["token"], package="com.acme.second")
    before = await _stored_apps(database_url, _org(owner))
    # When renaming the second app's package to the first's
    r = await client.request(
        "PUT",
        f"/apps/{second['id']}",
        owner["token"],
        json={"name": "Clash", "package_name": first["package_name"]},
    )
    # Then a conflict, and neither app changed
    assert r.status_code == 409
    assert r.json()["error"]
    assert await _stored_apps(database_url, _org(owner)) == before


@pytest.mark.parametrize(
    "body",
    [
        {"package_name": "nodots"},
        {"name": ""},
        {"name": 7},
        {"package_name": 7},
        {"name": "ok", "package_name": "x."},
    ],
)
async def test_update_app__invalid_body__400_with_details_and_unchanged(
    client: Client, database_url: str, body: dict[str, Any]
) -> None:
    owner = await client.register()
    app = await client.create_app(owner["token"])
    before = await _stored_apps(database_url, _org(owner))
    r = await client.request("PUT", f"/apps/{app['id']}", owner["token"], json=body)
    assert r.status_code == 400
    assert set(body) & set(r.json()["details"])
    assert await _stored_apps(database_url, _org(owner)) == before


async def test_update_app__unknown_id__404(client: Client) -> None:
    owner = await client.register()
    r = await client.request("PUT", "/apps/999999999", owner["token"], json={"name": "Ghost"})
    assert r.status_code == 404


async def test_delete_app__own_app__200_then_404(client: Client, database_url: str) -> None:
    owner = await client.register()
    app = await client.create_app(owner["token"])
    r = await client.request("DELETE", f"/apps/{app['id']}", owner["token"])
    assert r.status_code == 200
    assert r.json() == {"success": True, "deleted": {"events": 0, "devices": 0}}
    assert (await client.request("GET", f"/apps/{app['id']}", owner["token"])).status_code == 404
    assert (await client.request("DELETE", f"/apps/{app['id']}", owner["token"])).status_code == 404
    assert (await client.request("GET", "/apps", owner["token"])).json() == {"apps": []}
    assert await _stored_apps(database_url, _org(owner)) == []


async def test_delete_app__at_plan_limit__frees_the_slot(client: Client) -> None:
    owner = await client.register()
    app = await client.create_app(owner["token"], package="com.acme.first")
    await client.request("DELETE", f"/apps/{app['id']}", owner["token"])
    r = await client.request(
        "POST", "/apps", owner["token"], json={"name": "Two", "package_name": "com.acme.second"}
    )
    assert r.status_code == 201


async def test_rotate_key__own_app__new_different_sdk_key(client: Client) -> None:
    owner = await client.register()
    app = await client.create_app(owner["token"])
    r = await client.request("POST", f"/apps/{app['id']}/rotate-key", owner["token"])
    assert r.status_code == 200
    rotated = r.json()
    assert SDK_KEY.match(rotated["sdk_key"])
    assert rotated["sdk_key"] != app["sdk_key"]
    assert {k: rotated[k] for k in ("id", "name", "package_name")} == {
        k: app[k] for k in ("id", "name", "package_name")
    }
    assert (await client.request("GET", f"/apps/{app['id']}", owner["token"])).json()["sdk_key"] == rotated[
        "sdk_key"
    ]


async def _register_device(client: Client, sdk_key: str) -> int:
    r = await client.request(
        "POST", "/devices/register", headers={"X-SDK-Key": sdk_key}, json={"android_id": "device-1"}
    )
    return r.status_code


async def test_rotate_key__old_key_in_use__stops_working_at_once(client: Client) -> None:
    # Given an app whose SDK key the server has just accepted (and may have cached)
    owner = await client.register()
    app = await client.create_app(owner["token"])
    assert await _register_device(client, app["sdk_key"]) == 200
    # When the key is rotated
    new_key = (await client.request("POST", f"/apps/{app['id']}/rotate-key", owner["token"])).json()[
        "sdk_key"
    ]
    # Then the very next request with the old key is refused, and the new key works
    assert await _register_device(client, app["sdk_key"]) == 401
    assert await _register_device(client, new_key) == 200


async def test_delete_app__key_in_use__stops_working_at_once(client: Client) -> None:
    owner = await client.register()
    app = await client.create_app(owner["token"])
    assert await _register_device(client, app["sdk_key"]) == 200
    assert (await client.request("DELETE", f"/apps/{app['id']}", owner["token"])).status_code == 200
    assert await _register_device(client, app["sdk_key"]) == 401


async def test_rotate_key__unknown_id__404(client: Client) -> None:
    owner = await client.register()
    assert (await client.request("POST", "/apps/999999999/rotate-key", owner["token"])).status_code == 404


# --- other organisations ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "body"), APP_ROUTES, ids=[f"{m} {p}" for m, p, _ in APP_ROUTES])
async def test_app_route__other_orgs_app__404_and_unchanged(
    client: Client, database_url: str, method: str, path: str, body: dict[str, Any] | None
) -> None:
    # Given an app of one org, and the owner of another org
    victim = await client.register()
    app = await client.create_app(victim["token"], package="com.victim.app")
    before = await _stored_apps(database_url, _org(victim))
    intruder = await client.register()
    # When the intruder uses the victim's app id
    r = await client.request(method, path.format(id=app["id"]), intruder["token"], json=body)
    # Then it does not exist for them, and nothing changed
    assert r.status_code == 404
    assert "sk_" not in r.text
    assert await _stored_apps(database_url, _org(victim)) == before
    assert (await client.request("GET", f"/apps/{app['id']}", victim["token"])).json() == app


async def test_list_apps__two_orgs__each_sees_only_its_own(client: Client) -> None:
    first, second = await client.register(), await client.register()
    mine = await client.create_app(first["token"])
    theirs = await client.create_app(second["token"])
    assert (await client.request("GET", "/apps", first["token"])).json() == {"apps": [mine]}
    assert (await client.request("GET", "/apps", second["token"])).json() == {"apps": [theirs]}


# --- roles -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body"), VIEWER_FORBIDDEN, ids=[f"{m} {p}" for m, p, _ in VIEWER_FORBIDDEN]
)
async def test_route__viewer__403_and_nothing_changed(
    client: Client, database_url: str, method: str, path: str, body: dict[str, Any] | None
) -> None:
    # Given an org with an app and a viewer
    owner = await client.register()
    await _set_plan(database_url, _org(owner), "pro")  # so POST /apps is refused for the role, not the plan
    app = await client.create_app(owner["token"])
    viewer = await add_member(database_url, _org(owner), "viewer", client)
    apps_before = await _stored_apps(database_url, _org(owner))
    key_before = await _stored_org_key(database_url, _org(owner))
    # When the viewer calls a write route
    r = await client.request(method, path.format(id=app["id"]), viewer["token"], json=body)
    # Then it is forbidden and nothing changed
    assert r.status_code == 403
    assert r.json()["error"]
    assert "ok_" not in r.text
    assert await _stored_apps(database_url, _org(owner)) == apps_before
    assert await _stored_org_key(database_url, _org(owner)) == key_before


async def test_read_routes__viewer__200(client: Client, database_url: str) -> None:
    owner = await client.register()
    app = await client.create_app(owner["token"])
    viewer = await add_member(database_url, _org(owner), "viewer", client)
    listed = await client.request("GET", "/apps", viewer["token"])
    assert listed.status_code == 200
    assert listed.json() == {"apps": [app]}
    one = await client.request("GET", f"/apps/{app['id']}", viewer["token"])
    assert one.status_code == 200
    assert one.json() == app


async def test_app_routes__admin__can_manage_apps(client: Client, database_url: str) -> None:
    # Given an admin of an org
    owner = await client.register()
    admin = await add_member(database_url, _org(owner), "admin", client)
    # When the admin creates, updates, rotates and deletes an app / Then each succeeds
    created = await client.request(
        "POST", "/apps", admin["token"], json={"name": "A", "package_name": "com.admin.a"}
    )
    assert created.status_code == 201
    app_id = created.json()["id"]
    updated = await client.request("PUT", f"/apps/{app_id}", admin["token"], json={"name": "B"})
    assert updated.status_code == 200 and updated.json()["name"] == "B"
    rotated = await client.request("POST", f"/apps/{app_id}/rotate-key", admin["token"])
    assert rotated.status_code == 200 and rotated.json()["sdk_key"] != created.json()["sdk_key"]
    assert (await client.request("DELETE", f"/apps/{app_id}", admin["token"])).status_code == 200
    assert (await client.request("GET", "/apps", owner["token"])).json() == {"apps": []}


async def test_org_api_key__admin__reads_but_cannot_rotate(client: Client, database_url: str) -> None:
    owner = await client.register()
    admin = await add_member(database_url, _org(owner), "admin", client)
    r = await client.request("GET", "/org/api-key", admin["token"])
    assert r.status_code == 200
    assert ORG_KEY.match(r.json()["api_key"])
    rotate = await client.request("POST", "/org/api-key/rotate", admin["token"])
    assert rotate.status_code == 403
    assert "ok_" not in rotate.text
    assert await _stored_org_key(database_url, _org(owner)) == r.json()["api_key"]


# --- org API key -----------------------------------------------------------------------------------------


async def test_org_api_key__owner__reads_and_rotates(client: Client, database_url: str) -> None:
    # Given an owner
    owner = await client.register()
    r = await client.request("GET", "/org/api-key", owner["token"])
    assert r.status_code == 200
    old = r.json()["api_key"]
    assert ORG_KEY.match(old)
    assert r.json() == {"api_key": old}
    # When rotating / Then a new key replaces the old one
    rotated = await client.request("POST", "/org/api-key/rotate", owner["token"])
    assert rotated.status_code == 200
    new = rotated.json()["api_key"]
    assert ORG_KEY.match(new) and new != old
    assert (await client.request("GET", "/org/api-key", owner["token"])).json() == {"api_key": new}
    assert await _stored_org_key(database_url, _org(owner)) == new


async def test_org_api_key__rotated__old_key_refused_new_key_accepted(client: Client) -> None:
    owner = await client.register()
    old = (await client.request("GET", "/org/api-key", owner["token"])).json()["api_key"]
    new = (await client.request("POST", "/org/api-key/rotate", owner["token"])).json()["api_key"]
    body = {"package_name": "com.acme.auto", "android_id": "device-1"}
    assert (
        await client.request("POST", "/sdk/auto-register", headers={"X-API-Key": old}, json=body)
    ).status_code == 401
    accepted = await client.request("POST", "/sdk/auto-register", headers={"X-API-Key": new}, json=body)
    assert accepted.status_code == 200, accepted.text


async def test_org_api_key__two_orgs__different_keys(client: Client) -> None:
    first, second = await client.register(), await client.register()
    a = (await client.request("GET", "/org/api-key", first["token"])).json()["api_key"]
    b = (await client.request("GET", "/org/api-key", second["token"])).json()["api_key"]
    assert a != b


# --- credentials -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "body"), ALL_ROUTES, ids=[f"{m} {p}" for m, p, _ in ALL_ROUTES])
async def test_route__no_or_bad_credentials__401_and_nothing_changed(
    client: Client, database_url: str, method: str, path: str, body: dict[str, Any] | None
) -> None:
    owner = await client.register()
    app = await client.create_app(owner["token"])
    apps_before = await _stored_apps(database_url, _org(owner))
    key_before = await _stored_org_key(database_url, _org(owner))
    for authorization in [None, "Bearer not-a-jwt", "Basic dXNlcjpwYXNz", "Bearer"]:
        headers = {"Authorization": authorization} if authorization else {}
        r = await client.request(method, path.format(id=app["id"]), json=body, headers=headers)
        assert r.status_code == 401, authorization
        assert r.json()["error"]
    assert await _stored_apps(database_url, _org(owner)) == apps_before
    assert await _stored_org_key(database_url, _org(owner)) == key_before
