"""A/B experiments: management and results (API.md section 6), and the SDK's assignments (section 1)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field
from sanic import Blueprint, HTTPResponse, Request

from api import audit
from api.auth import ADMIN, SDK, VIEWER, Principal
from api.responses import ok
from api.routes.flags import KEY, DeletedOut, SdkFlagsQuery
from api.routing import AppId, AppQuery, Body, OptionalAppQuery, endpoint, set_fields
from core.pubsub import invalidate
from pipelines import experiments

bp = Blueprint("experiments", url_prefix="/api/v4")

EVENT_TYPE = r"^[a-z0-9_.:-]{1,64}$"


class ExperimentVariantIn(Body):
    key: str = Field(pattern=KEY)
    name: str | None = Field(None, max_length=255)
    weight: int = Field(ge=0, le=1_000_000)


class ExperimentIn(Body):
    app_id: AppId
    name: str = Field(min_length=1, max_length=255)
    description: str | None = Field(None, max_length=2000)
    variants: list[ExperimentVariantIn] = Field(
        min_length=2, max_length=20, description="the first variant is the control"
    )
    target_metric: str = Field(pattern=EVENT_TYPE, description="the event type that counts as a conversion")


class ExperimentUpdate(Body):
    app_id: AppId | None = None
    name: str | None = Field(None, min_length=1, max_length=255)
    description: str | None = Field(None, max_length=2000)
    variants: list[ExperimentVariantIn] | None = Field(None, min_length=2, max_length=20)
    target_metric: str | None = Field(None, pattern=EVENT_TYPE)


class StatusIn(Body):
    app_id: int
    status: Literal["draft", "running", "paused", "completed"]


class ExperimentOut(BaseModel):
    id: int
    app_id: int
    name: str
    description: str | None
    variants: list[dict[str, Any]]
    target_metric: str
    status: str
    assignments: dict[str, int]
    started_at: str | None
    ended_at: str | None
    created_at: str
    updated_at: str


class ExperimentsOut(BaseModel):
    experiments: list[ExperimentOut]


class VariantResultOut(BaseModel):
    key: str
    exposed: int
    converted: int
    rate: float | None
    ci_low: float | None
    ci_high: float | None
    lift: float | None
    p_value: float | None
    prob_beat_control: float | None


class ResultsOut(BaseModel):
    experiment_id: int
    status: str
    target_metric: str
    control: str
    variants: list[VariantResultOut]
    srm_p_value: float | None
    srm_warning: bool


class SdkExperimentsOut(BaseModel):
    experiments: dict[str, dict[str, str]]


@endpoint(bp, "GET", "/experiments", access=VIEWER, query=AppQuery, responses={200: ExperimentsOut})
async def list_experiments(request: Request, principal: Principal, query: AppQuery) -> HTTPResponse:
    """The app's experiments with how many devices each variant was assigned."""
    return ok({"experiments": await experiments.list_experiments(principal.org_id, query.app_id)})


@endpoint(
    bp,
    "POST",
    "/experiments",
    access=ADMIN,
    body=ExperimentIn,
    responses={201: ExperimentOut},
    action="experiment.create",
)
async def create_experiment(request: Request, principal: Principal, body: ExperimentIn) -> HTTPResponse:
    """Create an experiment (as a draft)."""
    values = body.model_dump(exclude={"app_id"})
    experiment = await experiments.create_experiment(principal.org_id, body.app_id, values)
    audit.note(request).details = {"after": values}
    return ok(experiments.experiment_body(experiment), status=201)


@endpoint(bp, "GET", "/experiments/<experiment_id:id>", access=VIEWER, responses={200: ExperimentOut})
async def get_experiment(request: Request, principal: Principal, experiment_id: int) -> HTTPResponse:
    """One experiment."""
    return ok(await experiments.describe(await experiments.get_experiment(principal.org_id, experiment_id)))


@endpoint(
    bp,
    "PUT",
    "/experiments/<experiment_id:id>",
    access=ADMIN,
    body=ExperimentUpdate,
    responses={200: ExperimentOut},
    action="experiment.update",
)
async def update_experiment(
    request: Request, principal: Principal, experiment_id: int, body: ExperimentUpdate
) -> HTTPResponse:
    """Rename or describe it; variants and target_metric only while it is a draft (400 otherwise)."""
    changes = set_fields(body, frozenset({"description"}), "experiment", exclude=frozenset({"app_id"}))
    experiment, diff = await experiments.update_experiment(
        principal.org_id, experiment_id, body.app_id, changes
    )
    if diff:
        await invalidate(request.app.ctx.redis, "experiments", experiment.app_id)  # type: ignore[attr-defined]
    audit.note(request).details = diff
    return ok(await experiments.describe(experiment))


@endpoint(
    bp,
    "PUT",
    "/experiments/<experiment_id:id>/status",
    access=ADMIN,
    body=StatusIn,
    responses={200: ExperimentOut},
    action="experiment.status",
)
async def set_status(
    request: Request, principal: Principal, experiment_id: int, body: StatusIn
) -> HTTPResponse:
    """draft -> running, running -> paused | completed, paused -> running | completed; any other move
    (the same status included) is 400. Only running experiments are served to SDKs."""
    experiment, old = await experiments.set_status(principal.org_id, experiment_id, body.app_id, body.status)
    await invalidate(request.app.ctx.redis, "experiments", experiment.app_id)  # type: ignore[attr-defined]
    audit.note(request).details = {"before": {"status": old}, "after": {"status": body.status}}
    return ok(await experiments.describe(experiment))


@endpoint(
    bp,
    "DELETE",
    "/experiments/<experiment_id:id>",
    access=ADMIN,
    query=OptionalAppQuery,
    responses={200: DeletedOut},
    action="experiment.delete",
)
async def delete_experiment(
    request: Request, principal: Principal, experiment_id: int, query: OptionalAppQuery
) -> HTTPResponse:
    """Delete an experiment with its exposures."""
    experiment = await experiments.delete_experiment(principal.org_id, experiment_id, query.app_id)
    await invalidate(request.app.ctx.redis, "experiments", experiment.app_id)  # type: ignore[attr-defined]
    audit.note(request).details = {"before": experiments.experiment_body(experiment)}
    return ok({"success": True})


@endpoint(bp, "GET", "/experiments/<experiment_id:id>/results", access=VIEWER, responses={200: ResultsOut})
async def results(request: Request, principal: Principal, experiment_id: int) -> HTTPResponse:
    """Exposed and converted per variant with rate, 95 % Wilson interval, lift against the control,
    z-test p-value, probability to beat the control, and the sample-ratio-mismatch check."""
    return ok(await experiments.results(principal.org_id, experiment_id))


@endpoint(
    bp,
    "GET",
    "/sdk/experiments",
    access=SDK,
    query=SdkFlagsQuery,
    responses={200: SdkExperimentsOut, 403: None},
)
async def sdk_experiments(request: Request, principal: Principal, query: SdkFlagsQuery) -> HTTPResponse:
    """The device's variant of every running experiment; the first assignment is recorded as its
    exposure (an unknown android_id becomes a device; over the plan's device quota: 403)."""
    running = await request.app.ctx.running_experiments.get(principal.app_id)
    return ok(
        await experiments.serve(principal.app_id, principal.org_id, principal.plan, query.android_id, running)
    )
