"""The target's password never shows: a host given with one (-H/--host or LOCUST_HOST
https://user:secret@host/, or the web UI's Host field) is shown as https://user:***@host/.

Locust shows the host as given in its HTML report (the --html file and the web UI's /stats/report),
in the web UI's page and in the answers to its start form, and puts it in the file names it
suggests for the report and CSV downloads. Each is masked here with run_record.redact_url, as the
run record and the JUnit file already were. The master itself keeps the host as given: the spawn
messages carry it to Locust Python workers, whose users send to it (the Go workers send to their
own --target).
"""

from __future__ import annotations

import json
from typing import Any

import locust.html
from locust.env import Environment

from .run_record import redact_url
from .swarm_form import is_start_form


def install(environment: Environment) -> None:
    _mask_html_reports()
    if environment.web_ui is not None:
        _mask_web_ui(environment)


def _mask_html_reports() -> None:
    """The --html file and /stats/report are both rendered by locust.html.get_html_report, which
    calls the module's render_template_from with the host among its template arguments."""
    render = locust.html.render_template_from
    if getattr(render, "masks_host", False):  # installed once per process, however many environments
        return

    def render_masked(file: str, *args: Any, **kwargs: Any) -> str:
        template_args = kwargs.get("template_args")
        if isinstance(template_args, dict) and template_args.get("host"):
            kwargs["template_args"] = {**template_args, "host": redact_url(str(template_args["host"]))}
        return render(file, *args, **kwargs)

    render_masked.masks_host = True  # type: ignore[attr-defined]
    locust.html.render_template_from = render_masked


def _mask_web_ui(environment: Environment) -> None:
    from flask import request  # Flask comes with Locust's web UI

    web_ui = environment.web_ui
    update_template_args = web_ui.update_template_args

    def update_masked() -> None:
        """The page's template arguments, read again on every load of /."""
        update_template_args()
        if web_ui.template_args.get("host"):
            web_ui.template_args["host"] = redact_url(web_ui.template_args["host"])

    web_ui.update_template_args = update_masked

    @web_ui.app.after_request
    def mask_answers(response):  # type: ignore[no-untyped-def]
        host = environment.host or ""
        disposition = response.headers.get("Content-Disposition", "")
        if host and host in disposition:  # attachment;filename=Locust_..._HOST.html (or _requests.csv)
            response.headers["Content-Disposition"] = disposition.replace(host, redact_url(host))
        if is_start_form(request) and response.is_json:  # {"success": ..., "message": ..., "host": ...}
            data = response.get_json(silent=True)
            if isinstance(data, dict) and isinstance(data.get("host"), str):
                response.set_data(json.dumps({**data, "host": redact_url(data["host"])}))
        return response
