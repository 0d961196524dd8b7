"""The web UI's start form (`POST /swarm`), checked before Locust handles it. Locust takes any
whole number as the user count; one beyond options.MAX_USERS cannot be put in a spawn message, and
Locust then retried sending it in the background, after the test had been stopped, so that a worker
started users that no stop reached. Such a count is refused as Locust refuses a malformed one: a
JSON answer with success false and the reason, and nothing started."""

from __future__ import annotations

import logging

from locust.env import Environment

from .options import users_problem

logger = logging.getLogger(__name__)


def install(environment: Environment) -> None:
    web_ui = environment.web_ui
    if web_ui is None:  # headless: -u is checked with the other options
        return
    from flask import jsonify, request  # Flask comes with Locust's web UI

    @web_ui.app.before_request
    def check_user_count():  # type: ignore[no-untyped-def]
        if request.method != "POST" or not request.path.endswith("/swarm"):
            return None
        value = request.form.get("user_count")
        if value is None or not value.strip():
            return None  # Locust says what is missing
        problem = users_problem("user_count", value)
        if not problem:
            return None
        logger.error("%s", problem)
        return jsonify({"success": False, "message": problem, "host": environment.host})
