"""A/B experiments (API.md section 6): management, deterministic assignment with first-exposure
records, and results with statistics (pipelines.stats)."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

from tortoise.transactions import in_transaction

from core.clock import iso, utcnow
from core.db import raw_connection
from core.errors import BadRequest
from core.models import Experiment
from pipelines import apps, devices, stats
from pipelines.flags import cumulative_weights, pick_index

# status -> the statuses it may move to (anything else, the same status included, is 400)
TRANSITIONS: dict[str, frozenset[str]] = {
    "draft": frozenset({"running"}),
    "running": frozenset({"paused", "completed"}),
    "paused": frozenset({"running", "completed"}),
    "completed": frozenset(),
}


def assign(experiment_id: int, android_id: str, cumulative: tuple[int, ...]) -> int:
    """Index of the device's variant: crc32(utf8("exp:" + id + ":" + android_id)) % sum(weights),
    then the first variant whose cumulative weight exceeds the pick."""
    return pick_index(cumulative, zlib.crc32(f"exp:{experiment_id}:{android_id}".encode()) % cumulative[-1])


@dataclass(frozen=True)
class RunningExperiment:
    id: int
    name: str
    variant_keys: tuple[str, ...]
    cumulative: tuple[int, ...]


async def running(app_id: int) -> list[RunningExperiment]:
    """The app's running experiments (what the API's experiment cache holds)."""
    return [
        RunningExperiment(e.id, e.name, tuple(v["key"] for v in e.variants), cumulative_weights(e.variants))
        for e in await Experiment.filter(app_id=app_id, status="running").order_by("id")
    ]


# --- the SDK ------------------------------------------------------------------------------------

RECORD_EXPOSURES = """
INSERT INTO experiment_exposures (experiment_id, device_id, variant, exposed_at)
SELECT e.id, $2, x.variant, now()
FROM unnest($3::int[], $4::text[]) AS x(id, variant)
JOIN experiments e ON e.id = x.id AND e.app_id = $1 AND e.status = 'running'
ON CONFLICT (experiment_id, device_id) DO NOTHING
"""


async def serve(
    app_id: int, org_id: int, plan: str, android_id: str, experiments: list[RunningExperiment]
) -> dict[str, Any]:
    """GET /sdk/experiments: the device's variant of each running experiment. An unknown android_id
    becomes a device (the plan's device quota applies); the first assignment of a device to an
    experiment is recorded as its exposure, once, however many requests race (only while running)."""
    async with raw_connection() as conn:
        device_id = await conn.fetchval(
            "SELECT id FROM devices WHERE app_id = $1 AND android_id = $2", app_id, android_id
        )
    if device_id is None:
        device_id = (await devices.register_device(app_id, org_id, plan, devices.DeviceInfo(android_id))).id
    served = {e.id: (e.name, e.variant_keys[assign(e.id, android_id, e.cumulative)]) for e in experiments}
    if served:
        async with raw_connection() as conn:
            await conn.execute(
                RECORD_EXPOSURES, app_id, device_id, list(served), [v for _, v in served.values()]
            )
    return {
        "experiments": {str(i): {"name": name, "variant": variant} for i, (name, variant) in served.items()}
    }


# --- management ---------------------------------------------------------------------------------


def experiment_body(experiment: Experiment, assignments: dict[str, int] | None = None) -> dict[str, Any]:
    return {
        "id": experiment.id,
        "app_id": experiment.app_id,  # type: ignore[attr-defined]
        "name": experiment.name,
        "description": experiment.description,
        "variants": experiment.variants,
        "target_metric": experiment.target_metric,
        "status": experiment.status,
        "assignments": {v["key"]: (assignments or {}).get(v["key"], 0) for v in experiment.variants},
        "started_at": iso(experiment.started_at) if experiment.started_at else None,
        "ended_at": iso(experiment.ended_at) if experiment.ended_at else None,
        "created_at": iso(experiment.created_at),
        "updated_at": iso(experiment.updated_at),
    }


def check_variants(variants: list[dict[str, Any]]) -> None:
    keys = [v["key"] for v in variants]
    if len(variants) < 2:
        raise BadRequest("Invalid experiment", {"variants": "an experiment needs at least 2 variants"})
    if len(set(keys)) != len(keys):
        raise BadRequest("Invalid experiment", {"variants": "variant keys must be unique"})
    if sum(v["weight"] for v in variants) <= 0:
        raise BadRequest("Invalid experiment", {"variants": "the weights must sum to more than 0"})


async def assignment_counts(experiment_ids: list[int]) -> dict[int, dict[str, int]]:
    counts: dict[int, dict[str, int]] = {i: {} for i in experiment_ids}
    if not experiment_ids:
        return counts
    async with raw_connection() as conn:
        rows = await conn.fetch(
            "SELECT experiment_id, variant, count(*) AS n FROM experiment_exposures "
            "WHERE experiment_id = ANY($1::int[]) GROUP BY experiment_id, variant",
            experiment_ids,
        )
    for row in rows:
        counts[row["experiment_id"]][row["variant"]] = row["n"]
    return counts


async def list_experiments(org_id: int, app_id: int) -> list[dict[str, Any]]:
    app = await apps.get_app(org_id, app_id)
    experiments = await Experiment.filter(app_id=app.id).order_by("id")
    counts = await assignment_counts([e.id for e in experiments])
    return [experiment_body(e, counts[e.id]) for e in experiments]


async def get_experiment(org_id: int, experiment_id: int, app_id: int | None = None) -> Experiment:
    return await apps.get_app_object(Experiment, org_id, experiment_id, app_id, "Experiment")


async def describe(experiment: Experiment) -> dict[str, Any]:
    return experiment_body(experiment, (await assignment_counts([experiment.id]))[experiment.id])


async def create_experiment(org_id: int, app_id: int, values: dict[str, Any]) -> Experiment:
    app = await apps.get_app(org_id, app_id)
    check_variants(values["variants"])
    return await Experiment.create(app_id=app.id, status="draft", **values)


async def update_experiment(
    org_id: int, experiment_id: int, app_id: int | None, changes: dict[str, Any]
) -> tuple[Experiment, dict[str, Any]]:
    """Rename or describe at any time; variants and target_metric only while a draft (assignments
    and results depend on them)."""
    async with in_transaction():
        experiment = await get_experiment(org_id, experiment_id, app_id)
        experiment = await Experiment.select_for_update().get(id=experiment.id)
        diff = apps.changed_fields(experiment, changes)
        frozen = sorted({"variants", "target_metric"} & diff.keys())
        if frozen and experiment.status != "draft":
            raise BadRequest(
                "Invalid experiment", {f: "cannot change once the experiment has started" for f in frozen}
            )
        if "variants" in diff:
            check_variants(diff["variants"])
        if not diff:
            return experiment, {}
        return experiment, await apps.save_changes(experiment, diff)


async def set_status(org_id: int, experiment_id: int, app_id: int, status: str) -> tuple[Experiment, str]:
    """Move the experiment along draft -> running <-> paused -> completed; returns it and its old status."""
    async with in_transaction():
        experiment = await get_experiment(org_id, experiment_id, app_id)
        experiment = await Experiment.select_for_update().get(id=experiment.id)
        old = experiment.status
        if status not in TRANSITIONS[old]:
            raise BadRequest(
                f"Invalid status change: {old} -> {status}",
                {
                    "status": f"from {old} the experiment can move to "
                    f"{', '.join(sorted(TRANSITIONS[old])) or 'nothing (it is completed)'}"
                },
            )
        experiment.status = status
        if status == "running" and experiment.started_at is None:
            experiment.started_at = utcnow()
        if status == "completed":
            experiment.ended_at = utcnow()
        await experiment.save()
    return experiment, old


async def delete_experiment(org_id: int, experiment_id: int, app_id: int | None) -> Experiment:
    experiment = await get_experiment(org_id, experiment_id, app_id)
    await experiment.delete()  # exposures cascade
    return experiment


# --- results ------------------------------------------------------------------------------------

OUTCOMES = """
SELECT x.variant, count(*) AS exposed,
    count(*) FILTER (WHERE EXISTS (
        SELECT 1 FROM events e
        WHERE e.device_id = x.device_id AND e.app_id = $2 AND e.event_type = $3 AND e.created_at >= x.exposed_at
    )) AS converted
FROM experiment_exposures x WHERE x.experiment_id = $1
GROUP BY x.variant
"""


async def results(org_id: int, experiment_id: int) -> dict[str, Any]:
    """Per variant: exposed, converted (did target_metric at or after its exposure), rate with its 95 %
    Wilson interval, and against the control (the first variant): lift, two-proportion z-test p-value
    and the Beta-Binomial probability to beat it; plus the sample-ratio-mismatch chi-square p-value."""
    experiment = await get_experiment(org_id, experiment_id)
    async with raw_connection() as conn:
        rows = await conn.fetch(
            OUTCOMES,
            experiment.id,
            experiment.app_id,  # type: ignore[attr-defined]
            experiment.target_metric,
        )
    outcome = {r["variant"]: (int(r["exposed"]), int(r["converted"])) for r in rows}
    variants = experiment.variants
    control_key = variants[0]["key"]
    n_c, x_c = outcome.get(control_key, (0, 0))
    rate_c = x_c / n_c if n_c else None
    out = []
    for variant in variants:
        n, x = outcome.get(variant["key"], (0, 0))
        rate = x / n if n else None
        interval = stats.wilson_interval(x, n)
        is_control = variant["key"] == control_key
        out.append(
            {
                "key": variant["key"],
                "exposed": n,
                "converted": x,
                "rate": rate,
                "ci_low": interval[0] if interval else None,
                "ci_high": interval[1] if interval else None,
                "lift": None if is_control else stats.lift(rate, rate_c),
                "p_value": None if is_control else stats.two_proportion_z_test(x_c, n_c, x, n),
                "prob_beat_control": None
                if is_control or not n or not n_c
                else stats.prob_beat_control(x_c, n_c, x, n),
            }
        )
    weighted = [v for v in variants if v["weight"] > 0]
    srm = stats.srm_p_value(
        [outcome.get(v["key"], (0, 0))[0] for v in weighted], [v["weight"] for v in weighted]
    )
    return {
        "experiment_id": experiment.id,
        "status": experiment.status,
        "target_metric": experiment.target_metric,
        "control": control_key,
        "variants": out,
        "srm_p_value": srm,
        "srm_warning": srm is not None and srm < 0.001,
    }
