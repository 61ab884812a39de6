"""`vaimanasoft demo` as a subprocess: a demo organisation whose history went through the ingest path."""

from __future__ import annotations

import re
from pathlib import Path

import asyncpg

from tests.core.test_cli import cli_env, run_cli
from tests.support import TEST_SECRET, Client

DEMO = ["demo", "--devices", "300", "--days", "30", "--events-per-device", "20", "--seed", "1"]


def _login(stdout: str) -> tuple[str, str]:
    email = re.search(r"email:\s+(\S+)", stdout)
    password = re.search(r"password:\s+(\S+)", stdout)
    assert email and password, stdout
    return email.group(1), password.group(1)


async def _counts(conn: asyncpg.Connection, org_id: int) -> dict[str, int]:
    apps = [r["id"] for r in await conn.fetch("SELECT id FROM apps WHERE org_id = $1", org_id)]
    one = conn.fetchval
    return {
        "orgs": await one("SELECT count(*) FROM orgs"),
        "apps": len(apps),
        "devices": await one("SELECT count(*) FROM devices WHERE app_id = ANY($1)", apps),
        "events": await one("SELECT count(*) FROM events WHERE app_id = ANY($1)", apps),
        "rollup_events": await one(
            "SELECT coalesce(sum(events), 0) FROM app_daily WHERE app_id = ANY($1)", apps
        ),
        "device_days": await one("SELECT count(*) FROM device_days WHERE app_id = ANY($1)", apps),
        "rollup_active": await one(
            "SELECT coalesce(sum(active_devices), 0) FROM app_daily WHERE app_id = ANY($1)", apps
        ),
        "rollup_new": await one(
            "SELECT coalesce(sum(new_devices), 0) FROM app_daily WHERE app_id = ANY($1)", apps
        ),
        "usage_events": await one("SELECT coalesce(sum(events), 0) FROM org_usage WHERE org_id = $1", org_id),
        "quota_devices": await one("SELECT device_count FROM orgs WHERE id = $1", org_id),
        "revenue_rows": await one("SELECT count(*) FROM revenue_events WHERE app_id = ANY($1)", apps),
        "impressions": await one(
            "SELECT coalesce(sum(ad_impressions), 0) FROM app_daily WHERE app_id = ANY($1)", apps
        ),
        "purchases": await one(
            "SELECT count(*) FROM events WHERE app_id = ANY($1) AND event_type = 'purchase'", apps
        ),
    }


async def test_demo__small_history__login_works_and_rollups_match_the_events(
    database_url: str, redis_url: str, client: Client, tmp_path: Path
) -> None:
    # Given the test database and no demo organisation
    env = cli_env(
        tmp_path, DATABASE_URL=database_url, REDIS_URL=redis_url, SECRET_KEY=TEST_SECRET, ENV="test"
    )
    # When `vaimanasoft demo` seeds 300 devices over 30 days
    first = run_cli(*DEMO, env=env, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "(100%)" in first.stderr, first.stderr  # the progress line
    email, password = _login(first.stdout)
    reported = re.search(r"^events: ([\d,]+)$", first.stdout, re.MULTILINE)
    assert reported, first.stdout
    # Then the printed login works and sees the two demo apps
    login = await client.request("POST", "/auth/login", json={"email": email, "password": password})
    assert login.status_code == 200, login.text
    apps = await client.request("GET", "/apps", login.json()["token"])
    assert apps.status_code == 200, apps.text
    assert sorted(a["package_name"] for a in apps.json()["apps"]) == ["com.demo.puzzle", "com.demo.runner"]
    org_id = login.json()["user"]["org_id"]
    conn = await asyncpg.connect(database_url)
    try:
        counts = await _counts(conn, org_id)
        # And every counter is what ingest keeps for the stored events
        assert counts["apps"] == 2 and counts["devices"] == 300, counts
        assert (
            counts["events"]
            == counts["rollup_events"]
            == counts["usage_events"]
            == int(reported.group(1).replace(",", ""))
            > 300 * 5
        ), counts
        assert counts["device_days"] == counts["rollup_active"] > 300, counts
        assert counts["rollup_new"] == counts["quota_devices"] == 300, counts
        assert counts["revenue_rows"] == counts["impressions"] > 0 and counts["purchases"] > 0, counts
        per_app = await conn.fetch(
            "SELECT count(*) AS n FROM devices d JOIN apps a ON a.id = d.app_id WHERE a.org_id = $1 GROUP BY a.id",
            org_id,
        )
        assert len(per_app) == 2 and all(r["n"] > 50 for r in per_app)
        assert await conn.fetchval(
            "SELECT sum(ad_revenue) FROM devices d JOIN apps a ON a.id = d.app_id WHERE a.org_id = $1", org_id
        ) == await conn.fetchval(
            "SELECT sum(revenue) FROM revenue_events r JOIN apps a ON a.id = r.app_id WHERE a.org_id = $1",
            org_id,
        )
        # and the revenue breakdowns the revenue dashboard reads hold every impression once per dimension
        breakdowns = await conn.fetch(
            "SELECT dimension, sum(impressions) AS n, sum(revenue) AS revenue FROM app_daily_revenue x "
            "JOIN apps a ON a.id = x.app_id WHERE a.org_id = $1 GROUP BY dimension",
            org_id,
        )
        total = await conn.fetchrow(
            "SELECT count(*) AS n, sum(revenue) AS revenue FROM revenue_events r JOIN apps a ON a.id = r.app_id "
            "WHERE a.org_id = $1",
            org_id,
        )
        assert {r["dimension"]: (r["n"], r["revenue"]) for r in breakdowns} == {
            d: (total["n"], total["revenue"]) for d in ("ad_network", "ad_type", "country", "geo_tier")
        }
        attributes = await conn.fetchrow(
            "SELECT count(*) FILTER (WHERE brand IS NULL OR country IS NULL OR app_version IS NULL) AS missing, "
            "count(DISTINCT app_version) AS versions, count(DISTINCT country) AS countries "
            "FROM devices d JOIN apps a ON a.id = d.app_id WHERE a.org_id = $1",
            org_id,
        )
        assert attributes["missing"] == 0 and attributes["versions"] > 1 and attributes["countries"] > 5
        # And the history spans the 30 days, in the past, with more than one built-in segment
        oldest, newest = await conn.fetchrow(
            "SELECT min(created_at)::date - current_date, max(created_at)::date - current_date FROM events "
            "WHERE app_id IN (SELECT id FROM apps WHERE org_id = $1)",
            org_id,
        )
        assert -30 <= oldest <= -20 and -1 <= newest <= 0, (oldest, newest)
        assert await conn.fetchval("SELECT count(*) FROM events WHERE created_at > now()") == 0
        kinds = await conn.fetch(
            "SELECT DISTINCT user_segment FROM devices WHERE app_id IN (SELECT id FROM apps WHERE org_id = $1)",
            org_id,
        )
        assert len(kinds) > 1 and {k[0] for k in kinds} <= {
            "churned",
            "dormant",
            "power_user",
            "new",
            "active",
            "casual",
        }
        # When it runs again without --force-new
        second = run_cli(*DEMO, env=env, cwd=tmp_path)
        # Then nothing changes and the same login is printed
        assert second.returncode == 0, second.stderr
        assert _login(second.stdout) == (email, password)
        assert "exists already" in second.stdout, second.stdout
        assert await _counts(conn, org_id) == counts
    finally:
        await conn.close()
