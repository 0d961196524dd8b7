"""The web UI's start form (`POST /swarm`), checked before Locust handles it; a form refused here
gets Locust's own answer to a malformed one (a JSON answer with success false and the reason), and
nothing starts.

The user count: Locust takes any whole number; one beyond options.MAX_USERS cannot be put in a
spawn message, and Locust then retried sending it in the background, after the test had been
stopped, so that a worker started users that no stop reached.

The host: Locust's Python workers take the form's host for their users, but a Go worker sends to
the host it was started with (`--target`, else its scenario's `host`) and never reads the spawn
message's. A start with another host said "Swarming started" with it, and the web UI, the run
record and the report named it, while every request went to the workers' host. A host other than
the master's own (`-H`, the one its workers are started with) is refused; an empty one, which
overrides nothing, is not. The page shows -H with its password as *** (shown_host.py), and the form
sends that back: it stands for -H, which Locust then keeps."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from locust.env import Environment

from .options import users_problem
from .run_record import redact_url

logger = logging.getLogger(__name__)


def is_start_form(request: Any) -> bool:
    """Whether a Flask request is the web UI's start form (POST /swarm, under any base path)."""
    return request.method == "POST" and request.path.endswith("/swarm")


def same_host(a: str, b: str) -> bool:
    """Whether two base URLs name the same place as the Go worker reads them: scheme and host
    case-insensitive, a trailing / dropped."""
    def key(url: str) -> tuple[str, str, str]:
        try:
            parts = urlsplit(url.strip())
        except ValueError:
            return ("", url.strip(), "")
        return (parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/") + parts.query + parts.fragment)
    return key(a) == key(b)


def host_problem(asked: str, started_with: str | None) -> str:
    """Why a start form's host cannot be honoured by the Go workers, or "" when it can."""
    if not asked.strip() or (started_with and same_host(asked, started_with)):
        return ""
    why = (f"host: got {redact_url(asked.strip())!r}; the Go workers send to the host they were started with "
           "(--target, else their scenario's host), which a start from the web UI cannot change")
    if started_with:
        return (f"{why}: leave it as {redact_url(started_with)!r}, or start the workers with --target and the "
                "master with -H naming the new host")
    return f"{why}: leave it empty, or start the master with -H naming the workers' host"


def install(environment: Environment) -> None:
    web_ui = environment.web_ui
    if web_ui is None:  # headless: -u is checked with the other options
        return
    from flask import jsonify, request  # Flask comes with Locust's web UI
    from werkzeug.datastructures import ImmutableMultiDict  # Flask's own

    started_with = environment.host  # -H: the form may only repeat it

    @web_ui.app.before_request
    def check_start_form():  # type: ignore[no-untyped-def]
        if not is_start_form(request):
            return None
        if started_with and request.form.get("host", "").strip() == redact_url(started_with) != started_with:
            form = request.form.copy()
            form["host"] = started_with  # Locust sets the form's host as the master's
            request.form = ImmutableMultiDict(form)
        value = request.form.get("user_count")
        problem = ""
        if value is not None and value.strip():  # a missing one: Locust says what is missing
            problem = users_problem("user_count", value)
        problem = problem or host_problem(request.form.get("host", ""), started_with)
        if not problem:
            return None
        logger.error("%s", problem)
        return jsonify({"success": False, "message": problem, "host": redact_url(environment.host or "")})
