"""A local stand-in for Firebase Cloud Messaging: the FCM HTTP v1 send endpoint and an OAuth 2.0 token
endpoint, enough for firebase-admin to send pushes end to end without a Google project.

    vaimanasoft standin fcm --port 9100

then run the platform with FCM_API_BASE=http://127.0.0.1:9100 and upload (PUT /apps/{id}/fcm-credentials)
a service account whose `token_uri` is http://127.0.0.1:9100/token (any RSA key; the stand-in does not
check the signed assertion). Routes:
    POST /token                                  {"access_token", "expires_in": 3600, "token_type": "Bearer"}
    POST /v1/projects/{project}/messages:send    {"name": "projects/{project}/messages/{n}"}, or FCM's
         error for tokens starting with `unregistered` (404 UNREGISTERED) or `invalid` (400
         INVALID_ARGUMENT, "The registration token is not a valid FCM registration token")
    GET  /_standin/messages?project=&limit=      {"count", "tokens_issued", "messages": [...]}
    POST /_standin/reset                         forget everything
A send without a Bearer token this stand-in issued is 401, as FCM answers.
"""

from __future__ import annotations

import argparse
import itertools
import secrets
from collections import defaultdict
from typing import Any

from sanic import HTTPResponse, Request, Sanic
from sanic.response import json as json_response


def _fcm_error(status: int, code: str, message: str, fcm_code: str | None = None) -> HTTPResponse:
    error: dict[str, Any] = {"code": status, "message": message, "status": code}
    if fcm_code:
        error["details"] = [
            {"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": fcm_code}
        ]
    return json_response({"error": error}, status=status)


def build(keep: int = 200_000) -> Sanic:
    """The stand-in's application."""
    app = Sanic(f"fcm_standin_{secrets.token_hex(4)}", configure_logging=False)
    app.config.update(ACCESS_LOG=False, MOTD=False, KEEP_ALIVE_TIMEOUT=60)
    state: dict[str, Any] = {
        "tokens": set(),
        "messages": [],
        "counts": defaultdict(int),
        "ids": itertools.count(1),
    }

    @app.post("/token")
    async def token(request: Request) -> HTTPResponse:
        if request.form.get(
            "grant_type"
        ) != "urn:ietf:params:oauth:grant-type:jwt-bearer" or not request.form.get("assertion"):
            return json_response(
                {"error": "invalid_grant", "error_description": "a JWT-bearer assertion is required"},
                status=400,
            )
        issued = "ya29.standin-" + secrets.token_hex(16)
        state["tokens"].add(issued)
        return json_response({"access_token": issued, "expires_in": 3600, "token_type": "Bearer"})

    @app.post("/v1/projects/<project>/<method>")
    async def send(request: Request, project: str, method: str) -> HTTPResponse:
        if method != "messages:send":
            return _fcm_error(404, "NOT_FOUND", f"Method not found: {method}")
        scheme, _, presented = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or presented not in state["tokens"]:
            return _fcm_error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.")
        message = (request.json or {}).get("message") or {}
        device_token = message.get("token") or ""
        if not device_token:
            return _fcm_error(400, "INVALID_ARGUMENT", "Request contains an invalid argument.")
        if device_token.startswith("unregistered"):
            return _fcm_error(404, "NOT_FOUND", "Requested entity was not found.", "UNREGISTERED")
        if device_token.startswith("invalid"):
            return _fcm_error(
                400,
                "INVALID_ARGUMENT",
                "The registration token is not a valid FCM registration token",
                "INVALID_ARGUMENT",
            )
        number = next(state["ids"])
        state["counts"][project] += 1
        if len(state["messages"]) < keep:
            state["messages"].append({"project": project, "message": message})
        return json_response({"name": f"projects/{project}/messages/{number}"})

    @app.get("/_standin/messages")
    async def messages(request: Request) -> HTTPResponse:
        project = request.args.get("project")
        found = [m for m in state["messages"] if project is None or m["project"] == project]
        limit = int(request.args.get("limit", "100000"))
        count = state["counts"][project] if project else sum(state["counts"].values())
        return json_response(
            {"count": count, "tokens_issued": len(state["tokens"]), "messages": found[:limit]}
        )

    @app.post("/_standin/reset")
    async def reset(request: Request) -> HTTPResponse:
        state["messages"].clear()
        state["counts"].clear()
        return json_response({})

    return app


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(
        prog="vaimanasoft standin fcm",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9100)
    parser.add_argument("--keep", type=int, default=200_000, help="messages kept for /_standin/messages")
    args = parser.parse_args(argv)
    print(
        f"FCM stand-in on http://{args.host}:{args.port}: run the platform with "
        f"FCM_API_BASE=http://{args.host}:{args.port} and a service account whose token_uri is "
        f"http://{args.host}:{args.port}/token",
        flush=True,
    )
    build(args.keep).run(host=args.host, port=args.port, single_process=True, access_log=False)
