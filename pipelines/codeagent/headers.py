"""The security check of the running server's own responses: headers browsers rely on, and CORS."""

from __future__ import annotations

import re
from dataclasses import dataclass

import httpx

from pipelines.codeagent.findings import Finding

# A JSON route, the HTML of the API docs, and the root (where the web console is served).
CHECKED_PATHS = ("/api/v4/health", "/docs", "/")
PROBE_ORIGIN = "https://security-scan.invalid"  # an origin no deployment allows
TIMEOUT = 10.0
WEAK_REFERRER_POLICIES = {"unsafe-url", "no-referrer-when-downgrade"}
VERSION = re.compile(r"\d+\.\d+")


@dataclass(frozen=True)
class Observed:
    path: str
    status: int
    headers: httpx.Headers


def _finding(path: str, rule: str, severity: str, message: str, header: str) -> Finding:
    # The snippet (part of the fingerprint) names the header, not the value seen: fixing the value closes
    # the finding, a different wrong value is the same finding.
    return Finding("headers", rule, severity, path, 0, message, snippet=header)


def judge(seen: Observed, https: bool) -> list[Finding]:
    """What is missing or unsafe in one response's headers."""
    h, path, found = seen.headers, seen.path, []
    if h.get("x-content-type-options", "").strip().lower() != "nosniff":
        found.append(
            _finding(
                path,
                "missing-x-content-type-options",
                "medium",
                "X-Content-Type-Options: nosniff is not set: browsers may sniff responses into HTML or script",
                "x-content-type-options",
            )
        )
    referrer = h.get("referrer-policy", "").strip().lower()
    if not referrer or referrer.split(",")[-1].strip() in WEAK_REFERRER_POLICIES:
        found.append(
            _finding(
                path,
                "missing-referrer-policy",
                "low",
                f"Referrer-Policy is {referrer or 'not set'}: full URLs (with tokens in query strings) leak "
                "to other sites",
                "referrer-policy",
            )
        )
    csp = h.get("content-security-policy", "")
    if not csp.strip():
        found.append(
            _finding(
                path,
                "missing-content-security-policy",
                "medium",
                "Content-Security-Policy is not set",
                "content-security-policy",
            )
        )
    frame_options = h.get("x-frame-options", "").strip().upper()
    if frame_options not in ("DENY", "SAMEORIGIN") and "frame-ancestors" not in csp.lower():
        found.append(
            _finding(
                path,
                "missing-clickjacking-protection",
                "medium",
                "Neither X-Frame-Options nor CSP frame-ancestors: pages can be framed by any site",
                "x-frame-options",
            )
        )
    allow_origin = h.get("access-control-allow-origin", "").strip()
    credentials = h.get("access-control-allow-credentials", "").strip().lower() == "true"
    if allow_origin == "*":
        found.append(
            _finding(
                path,
                "permissive-cors-any-origin",
                "high" if credentials else "medium",
                "Access-Control-Allow-Origin: * lets any site read responses",
                "access-control-allow-origin",
            )
        )
    elif allow_origin == PROBE_ORIGIN:
        found.append(
            _finding(
                path,
                "permissive-cors-reflected-origin",
                "high",
                f"The Origin {PROBE_ORIGIN} was echoed in Access-Control-Allow-Origin"
                + (" with credentials allowed" if credentials else ""),
                "access-control-allow-origin",
            )
        )
    if https and "max-age" not in h.get("strict-transport-security", "").lower():
        found.append(
            _finding(
                path,
                "missing-strict-transport-security",
                "medium",
                "Strict-Transport-Security is not set on an https URL",
                "strict-transport-security",
            )
        )
    for name in ("server", "x-powered-by"):
        if VERSION.search(h.get(name, "")):
            found.append(
                _finding(path, "version-disclosed", "low", f"{name} discloses a version: {h[name]}", name)
            )
    return found


async def observe(base_url: str, paths: tuple[str, ...] = CHECKED_PATHS) -> tuple[list[Observed], list[str]]:
    """Headers of GET `paths` and of a CORS preflight, sent with a foreign Origin; and the paths that could
    not be read (as warnings). Redirects are not followed; bodies are not read."""
    base = base_url.rstrip("/")
    observed: list[Observed] = []
    warnings: list[str] = []
    async with httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=False) as client:
        probes = [("GET", path, {"Origin": PROBE_ORIGIN}) for path in paths]
        preflight = {"Origin": PROBE_ORIGIN, "Access-Control-Request-Method": "POST"}
        probes.append(("OPTIONS", "/api/v4/auth/login", preflight))
        for method, path, headers in probes:
            try:
                async with client.stream(method, base + path, headers=headers) as response:
                    observed.append(Observed(f"{method} {path}", response.status_code, response.headers))
            except httpx.HTTPError as exc:
                warnings.append(f"could not read {method} {base}{path}: {type(exc).__name__}")
    return observed, warnings


async def check(base_url: str) -> tuple[list[Finding], list[str]]:
    """Findings about the server's response headers at `base_url`, and what could not be checked."""
    observed, warnings = await observe(base_url)
    https = base_url.lower().startswith("https://")
    findings: list[Finding] = []
    for seen in observed:
        if seen.path.startswith("OPTIONS"):
            # A preflight only says something about CORS.
            findings += [f for f in judge(seen, https) if f.rule.startswith("permissive-cors")]
        else:
            findings += judge(seen, https)
    return findings, warnings
