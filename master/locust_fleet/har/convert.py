"""A recording (an Archive) turned into scenario data: one flow whose steps are the recorded
requests in the order they started, with the pauses the person took between them.

`convert` is pure: it returns the scenario as plain data, the comments that explain it, a summary
of what was kept and left out, and the files it refers to (multipart uploads, bodies that cannot
be templates); `cli` writes them. Secrets never reach the result unless Options.secrets says so."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import unquote, unquote_plus, urlsplit

from . import bodies
from .archive import Archive, Entry
from .correlate import Correlator
from .filters import Filters, is_document, plural, select
from .headers import HeaderRules, kept, names_cookies, set_cookies
from .naming import Names, host_names, is_id
from .problems import Problems
from .redirects import Chain, chains
from .secrets import EnvNames, env_label, is_secret_name, looks_secret, shown_url

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
JWT_ANYWHERE = re.compile(r"eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
REDACTED = "REDACTED"
# Content types the scenario sets itself with json:, form: and multipart:.
OWN_CONTENT_TYPES = {bodies.JSON: "application/json", bodies.FORM: "application/x-www-form-urlencoded"}


class ConversionError(Problems):
    """Recorded requests this tool cannot turn into steps; problems holds one line per request."""


@dataclass(frozen=True)
class Options:
    name: str = "recording"  # the flow's name
    filters: Filters = Filters()
    headers: HeaderRules = HeaderRules()
    secrets: str = "drop"  # drop, env or keep
    think: bool = True
    min_think_ms: int = 500  # shorter gaps are the browser's own work, not a person's pause
    max_think_ms: int | None = None
    correlate: bool = True
    files_dir: str = "files"  # where files the scenario refers to go, relative to the scenario


@dataclass
class Conversion:
    scenario: dict
    comments: dict[tuple, list[str]]  # a node's path in scenario -> comment lines written above it
    summary: list[str]  # what was kept and left out, for the file's head and the terminal
    env: dict[str, list[str]]  # environment variables the scenario needs -> where they are used
    files: dict[str, bytes]  # path relative to the scenario -> content


@dataclass
class Secret:
    what: str  # "header Authorization", "form field password"
    step: int
    env: str | None = None


@dataclass(frozen=True)
class Written:
    """What a recorded value becomes: text to write (a template when it names a variable), or
    nothing when it is left out."""

    text: str | None
    variable: bool = False  # text is one {{ ... }} standing for the whole value


DROP = Written(None)


def convert(archive: Archive, source: str, options: Options) -> Conversion:
    """The scenario for archive (read from file source, which messages name)."""
    # Twice: the first pass learns every secret value the recording holds, so that the second
    # also leaves out a secret sent again under a harmless name (a token in ?t=).
    answers: dict = {}  # what each response holds, read once for both passes
    learned = Converter(archive, source, options, frozenset(), answers).run()
    return Converter(archive, source, options, frozenset(learned.secret_values), answers).run().result


class Converter:
    def __init__(self, archive: Archive, source: str, options: Options, secret_values: frozenset[str],
                 answers: dict):
        self.archive, self.source, self.options = archive, source, options
        self.known_secrets = secret_values
        self.secret_values: set[str] = set()
        self.variables = Names()
        self.correlator = Correlator(self.variables, enabled=options.correlate, cache=answers)
        self.env_names = EnvNames()
        self.secrets: list[Secret] = []
        self.problems: list[str] = []
        self.files: dict[str, bytes] = {}
        self.file_notes: list[str] = []
        self.comments: dict[tuple, list[str]] = {}
        self.result: Conversion | None = None

    # -- the whole recording ------------------------------------------------------------------

    def run(self) -> Converter:
        entries = sorted(self.archive.entries, key=lambda e: e.started)
        grouped = chains(entries)
        selection = select(grouped, self.options.filters)
        if not selection.kept:
            raise ConversionError([f"{self.source}: none of its {len(entries)} recorded "
                                   f"{plural(len(entries), 'request')} is left to convert: "
                                   + "; ".join(selection.lines())
                                   + "; expected at least one request of the site"])
        origins = [origin(c.first.url) for c in selection.kept]
        main = next((origin(c.first.url) for c in selection.kept if is_document(c.first)), origins[0])
        self.hosts = host_names(list(dict.fromkeys(origins)), main)

        requests: list[dict] = []
        for k, chain in enumerate(selection.kept):
            requests.append(self.step(k, chain))
            self.correlator.answered(k, chain.final)
        if self.problems:
            raise ConversionError(self.problems)
        for k, extract in self.correlator.extractions.items():
            requests[k]["extract"] = extract

        scenario: dict = {"host": main}
        if self.hosts:
            scenario["hosts"] = {name: o for o, name in self.hosts.items()}
        defaults = self.common_headers(requests)
        if defaults:
            scenario["headers"] = defaults
        steps, thinks = self.with_thinks(selection.kept, requests)
        scenario["tasks"] = [{"name": self.options.name, "steps": steps}]
        summary = self.summary(len(entries), selection, len(requests), thinks)
        self.result = Conversion(scenario, self.comments, summary, self.env_uses(), self.files)
        return self

    def with_thinks(self, kept: list[Chain], requests: list[dict]) -> tuple[list[dict], int]:
        """The steps with a think before each request that the person started after a pause, and
        a comment where a new page of the recording begins."""
        steps: list[dict] = []
        page, ended, thinks = None, None, 0
        step_comments = {k: self.comments.pop(("step", k), []) for k in range(len(requests))}
        for k, (chain, request) in enumerate(zip(kept, requests)):
            if ended is not None and self.options.think:
                pause = self.pause_ms(chain.first.started, ended)
                if pause is not None:
                    steps.append({"think": duration(pause)})
                    thinks += 1
            lines = step_comments[k]
            if chain.first.page and chain.first.page != page and self.archive.pages:
                lines = [f"page: {self.archive.pages.get(chain.first.page, chain.first.page)}"] + lines
            page = chain.first.page or page
            if lines:
                self.comments[("tasks", 0, "steps", len(steps))] = lines
            steps.append(request)
            ended = chain.ended if ended is None else max(ended, chain.ended)
        return steps, thinks

    def pause_ms(self, started: datetime, ended: datetime) -> int | None:
        """The pause before a request: from the end of everything kept before it, so that the
        worker, running its steps one after another, sends each request when the browser did."""
        gap = (started - ended).total_seconds() * 1000
        if gap < self.options.min_think_ms or gap <= 0:
            return None
        if self.options.max_think_ms is not None:
            gap = min(gap, self.options.max_think_ms)
        return max(10, round(gap / 10) * 10)

    def common_headers(self, requests: list[dict]) -> dict[str, str]:
        """Headers every request sends with the same value go to the scenario's headers:, once."""
        defaults: dict[str, str] = {}
        if self.options.headers.user_agent not in (None, "recorded"):
            defaults["User-Agent"] = self.options.headers.user_agent
        if len(requests) < 2:
            return defaults
        first = requests[0].get("headers", {})
        for name, value in first.items():
            if all(r.get("headers", {}).get(name) == value for r in requests[1:]):
                defaults[name] = value
        for r in requests:
            hs = r.get("headers")
            if hs is None:
                continue
            for name in defaults:
                hs.pop(name, None)
            if not hs:
                del r["headers"]
        return defaults

    # -- one request --------------------------------------------------------------------------

    def step(self, k: int, chain: Chain) -> dict:
        entry = chain.first
        notes: list[str] = []
        step: dict = {}
        if entry.method not in METHODS:
            self.problem(entry, ".request.method", f"got {entry.method!r}; expected one of {', '.join(METHODS)} "
                                                   f"(the methods a scenario sends)")
        parts = urlsplit(entry.url)
        if (link := self.correlator.link(entry.url)) is not None:
            # a link an earlier answer gave (a cursor's next page): followed, not sent as recorded
            path, name = "{{ %s }}" % link[0], link_name(parts.path)
            notes.append(f"follows the link {link[0]} an earlier answer gave, instead of the recorded URL")
        else:
            path, name = self.path(k, parts.path, parts.query)
        host = self.hosts.get(origin(entry.url))
        if name is not None:
            step["name"] = name + (f" ({host})" if host else "")
        if entry.method != "GET":
            step["method"] = entry.method
        if host:
            step["host"] = host
        step["path"] = path

        recorded = kept(entry.headers, self.options.headers)
        content_type = next((v for n, v in recorded.items() if n.lower() == "content-type"), None)
        headers = {n: v for n, v in recorded.items() if n.lower() != "content-type"}
        written_headers, auth = self.headers(k, entry, headers)
        if parts.username is not None and auth is None and "authorization" not in {h.lower() for h in headers}:
            auth = self.basic_auth(k, unquote(parts.username), unquote(parts.password or ""), "URL credentials")
        body_key, body, content_header = self.body(k, entry, content_type, notes)
        if content_header is not None:
            written_headers["Content-Type"] = content_header
        if written_headers:
            step["headers"] = written_headers
        if auth is not None:
            step["auth"] = auth
        if body_key is not None:
            step[body_key] = body

        final = chain.final
        if chain.hops:
            hops = " -> ".join(f"{e.status} to {relative(entry.url, location_of(e))}" for e in (chain.first, *chain.hops[:-1]))
            notes.append(f"redirected: {hops} (the worker follows redirects: one request, as Locust counts it)")
        if final.status >= 400:
            step["expect_status"] = final.status
            notes.append(f"the recording's answer was {final.status}")
        secret_notes = self.secret_notes(k)
        self.comments[("step", k)] = notes + secret_notes
        self.check_text(entry, step)
        return step

    def path(self, k: int, raw_path: str, raw_query: str) -> tuple[str, str | None]:
        """The path as the step writes it (ids from earlier responses as variables), and the name
        for Locust's row when it differs from the path (ids as [id], no query string)."""
        segments, names = [], []
        for seg in (raw_path or "/").split("/"):
            value = unquote(seg)
            written = self.value(k, "", value, "path segment", follow=True, secret_by_name=False)
            if written.variable:
                segments.append(written.text)
                names.append(written.text)
            elif written.text != value:  # a secret that cannot be left out of a path
                segments.append(written.text)
                names.append("[secret]")
            else:
                literal = url_text(seg)
                segments.append(literal)
                names.append("[id]" if seg and is_id(value) else literal)
        path = "/".join(segments) or "/"
        query = []
        for pair in raw_query.split("&") if raw_query else []:
            if not pair:
                continue
            raw_name, sep, raw_value = pair.partition("=")
            name, value = unquote_plus(raw_name), unquote_plus(raw_value)
            written = self.value(k, name, value, f"query parameter {name}", follow=True)
            if written is DROP:
                continue
            if written.text == value and not written.variable:
                query.append(url_text(pair))
            else:
                query.append(f"{url_text(raw_name)}={written.text}")
        full = path + ("?" + "&".join(query) if query else "")
        shown = "/".join(names) or "/"
        return full, (shown if shown != full else None)

    def headers(self, k: int, entry: Entry, headers: dict[str, str]) -> tuple[dict[str, str], dict | None]:
        out: dict[str, str] = {}
        auth = None
        for name, value in headers.items():
            lowered = name.lower()
            if not HEADER_NAME.match(name):
                self.problem(entry, ".request.headers", f"{name!r} is not a header name; expected letters, digits "
                                                        f"and !#$%&'*+.^_`|~-")
                continue
            if "{{" in value:
                self.problem(entry, ".request.headers", f"header {name} holds \"{{{{\", which a scenario cannot send "
                                                        f"as written; expected a value without it")
                continue
            if lowered in ("authorization", "proxy-authorization"):
                scheme, space, credentials = value.partition(" ")
                if lowered == "authorization" and scheme.lower() == "basic" and space:
                    user, password = basic_credentials(credentials)
                    if user is not None:
                        auth = self.basic_auth(k, user, password, f"header {name} (Basic)")
                        continue
                if space and credentials:
                    label = "BEARER_TOKEN" if scheme.lower() == "bearer" else env_label(name)
                    written = self.value(k, name, credentials.strip(), f"header {name}", follow=True, label=label,
                                         secret_by_name=True)
                    if written is not DROP:
                        out[name] = f"{scheme} {written.text}"
                    continue
            written = self.value(k, name, value, f"header {name}", follow=True)
            if written is not DROP:
                out[name] = written.text
        return out, auth

    def basic_auth(self, k: int, user: str, password: str, what: str) -> dict | None:
        written = self.value(k, "password", password, what, follow=False, label="BASIC_PASSWORD")
        if written is DROP:
            return None
        return {"basic": {"user": user, "password": written.text}}

    # -- bodies -------------------------------------------------------------------------------

    def body(self, k: int, entry: Entry, content_type: str | None, notes: list[str]) -> tuple[str | None, object, str | None]:
        """The step's body key and value, and the Content-Type header it must send itself."""
        post = entry.post
        if post is None or (entry.method in ("GET", "HEAD") and not post.text and not post.params):
            return None, None, content_type
        recorded_type = content_type or post.mime
        kind = bodies.kind(recorded_type)
        if post.text is None and not post.params:
            notes.append("the recording holds no body for this request (the browser left it out of the HAR): "
                         "add it by hand")
            return None, None, content_type
        text = post.text
        if kind == bodies.JSON and text is not None:
            ok, value = bodies.json_value(text)
            if ok and "{{" not in text:
                own = bodies.media_type(recorded_type) == "application/json"
                return "json", self.json(k, value, []), None if own else recorded_type
            if ok:
                return self.body_file(k, entry, text, recorded_type, notes, secret_leaves(value, ""))
            kind = bodies.TEXT
        if kind == bodies.FORM:
            fields = bodies.form_fields(post)
            if any("{{" in n or "{{" in v for n, v in fields):
                secrets = {v for n, v in fields if v and (is_secret_name(n) or looks_secret(v))}
                return self.body_file(k, entry, text or "", recorded_type, notes, secrets)
            return "form", self.form(k, fields), None
        if kind == bodies.MULTIPART:
            parts = bodies.multipart_parts(post, recorded_type)
            if parts is not None:
                return "multipart", self.multipart(k, entry, parts, notes), None
            kind = bodies.TEXT
        if text is None:
            text = "&".join(f"{p.name}={p.value}" for p in post.params or ())
        if "{{" in text:
            # A text body has no fields to judge by name: only the secrets known are redacted.
            return self.body_file(k, entry, text, recorded_type, notes, set())
        return "body", self.text_body(k, text), recorded_type or None

    def json(self, k: int, value: object, keys: list) -> object:
        if isinstance(value, dict):
            out = {}
            for key, item in value.items():
                written = self.json(k, item, keys + [key])
                if written is not DROP:
                    out[key] = written
            return out
        if isinstance(value, list):
            return [w for i, item in enumerate(value) if (w := self.json(k, item, keys + [i])) is not DROP]
        if isinstance(value, bool) or value is None:
            return value
        name = next((key for key in reversed(keys) if isinstance(key, str)), "")
        where = "JSON " + json_where(keys)
        if isinstance(value, str):
            written = self.value(k, name, value, where, follow=True)
            return DROP if written is DROP else written.text
        text = json.dumps(value)
        written = self.value(k, name, text, where, follow=True)
        if written is DROP:
            return DROP
        if written.variable:
            return written.text[:-3] + " | number }}"
        return value

    def form(self, k: int, fields: list[tuple[str, str]]) -> dict:
        out: dict[str, object] = {}
        for name, value in fields:
            written = self.value(k, name, value, f"form field {name}", follow=True)
            if written is DROP:
                continue
            if name in out:
                previous = out[name]
                out[name] = (previous if isinstance(previous, list) else [previous]) + [written.text]
            else:
                out[name] = written.text
        return out

    def multipart(self, k: int, entry: Entry, parts: list[bodies.Part], notes: list[str]) -> dict:
        out: dict[str, object] = {}
        for part in parts:
            if part.filename is not None:
                written: object = self.upload(entry, part, notes)
            else:
                if "{{" in part.value:
                    self.problem(entry, ".request.postData", f"multipart field {part.name!r} holds \"{{{{\", which a "
                                                             f"scenario cannot send as written; expected a field without it")
                    continue
                w = self.value(k, part.name, part.value, f"multipart field {part.name}", follow=True)
                if w is DROP:
                    continue
                written = {"value": w.text, "content_type": part.content_type} if part.content_type else w.text
            if part.name in out:
                previous = out[part.name]
                out[part.name] = (previous if isinstance(previous, list) else [previous]) + [written]
            else:
                out[part.name] = written
        return out

    def upload(self, entry: Entry, part: bodies.Part, notes: list[str]) -> dict:
        """A file part: its file, written beside the scenario with what the HAR holds of it."""
        path = self.new_file(safe_file_name(part.filename or part.name))
        content = part.value.encode("utf-8", "surrogateescape")
        self.files[path] = content
        if content:
            held = f"written from the HAR ({len(content)} bytes; a HAR holds text: check a binary file)"
        else:
            held = "the HAR holds none of its bytes (browsers leave file contents out): replace it with the real file"
        notes.append(f"multipart file {part.name!r} ({part.filename}) is {path}: {held}")
        self.file_notes.append(f"{path}: {held} ({entry.method} {shown_url(entry.url)})")
        spec: dict = {"file": path}
        if part.content_type:
            spec["content_type"] = part.content_type
        if part.filename and part.filename != path.rsplit("/", 1)[-1]:
            spec["filename"] = part.filename
        return spec

    def body_file(self, k: int, entry: Entry, text: str, content_type: str, notes: list[str],
                  secrets: set[str]):
        """A body holding "{{", sent from a file as it is (a file is not a template); its secrets
        (the values of secret fields, and those known) are replaced unless kept."""
        redacted = self.redact(k, text, "body", secrets=secrets)
        path = self.new_file(f"body-{entry.index}.txt")
        self.files[path] = redacted.encode("utf-8", "surrogateescape")
        notes.append(f"the body holds \"{{{{\", which a template would read as a variable: sent from {path} as it is")
        return "body_file", path, content_type or None

    def text_body(self, k: int, text: str) -> str:
        return self.redact(k, text, "body", env=True)

    def redact(self, k: int, text: str, what: str, env: bool = False, secrets: set[str] = frozenset()) -> str:
        """Text with the secret values it holds replaced: by {{ env.NAME }} with --secrets env
        (when the text is a template), else by REDACTED; as recorded with --secrets keep."""
        values = sorted({v for v in self.known_secrets | self.secret_values if len(v) >= 4 and v in text}
                        | set(JWT_ANYWHERE.findall(text)) | {v for v in secrets if v in text}, key=len, reverse=True)
        for value in values:
            self.secret_values.add(value)
            if self.options.secrets == "keep":
                self.secrets.append(Secret(f"a secret in the {what}", k))
                continue
            if self.options.secrets == "env" and env:
                name = self.env_names.name("SECRET", value)
                self.secrets.append(Secret(f"a secret in the {what}", k, name))
                text = text.replace(value, "{{ env.%s }}" % name)
            else:
                self.secrets.append(Secret(f"a secret in the {what} (replaced by {REDACTED})", k))
                text = text.replace(value, REDACTED)
        return text

    # -- values -------------------------------------------------------------------------------

    def value(self, k: int, name: str, value: str, what: str, follow: bool, label: str | None = None,
              secret_by_name: bool = True) -> Written:
        """What a recorded value is written as: a variable when an earlier response gave it, left
        out (or from the environment) when it is a secret, else as recorded."""
        if follow and (found := self.correlator.variable(value, name.lower().removeprefix("x-"))) is not None:
            return Written("{{ %s }}" % found[0], variable=True)
        secret = (secret_by_name and is_secret_name(name)) or looks_secret(value) or \
            (len(value) >= 4 and value in self.known_secrets)
        if not secret or value == "":
            return Written(value)
        self.secret_values.add(value)
        mode = self.options.secrets
        if mode == "keep":
            self.secrets.append(Secret(what, k))
            return Written(value)
        if mode == "env":
            env = self.env_names.name(label or env_label(name or "secret"), value)
            self.secrets.append(Secret(what, k, env))
            return Written("{{ env.%s }}" % env, variable=True)
        if what == "path segment":
            self.secrets.append(Secret(f"{what} (replaced by {REDACTED})", k))
            return Written(REDACTED)
        self.secrets.append(Secret(what, k))
        return DROP

    def secret_notes(self, k: int) -> list[str]:
        mine = [s for s in self.secrets if s.step == k]
        if not mine:
            return []
        if self.options.secrets == "keep":
            return ["secrets written as recorded (--secrets keep): " + ", ".join(s.what for s in mine)]
        from_env = [f"{s.what} from {s.env}" for s in mine if s.env]
        left_out = [s.what for s in mine if not s.env]
        lines = []
        if left_out:
            lines.append("left out (secrets): " + ", ".join(left_out)
                         + "; --secrets env sends them from environment variables")
        if from_env:
            lines.append("secrets from the environment: " + ", ".join(from_env))
        return lines

    # -- checks and the summary ---------------------------------------------------------------

    def check_text(self, entry: Entry, step: dict) -> None:
        """Every string must be valid Unicode (a HAR may hold half a surrogate pair)."""
        def walk(value: object) -> bool:
            if isinstance(value, str):
                try:
                    value.encode("utf-8")
                except UnicodeEncodeError:
                    return False
                return True
            if isinstance(value, dict):
                return all(walk(k) and walk(v) for k, v in value.items())
            if isinstance(value, list):
                return all(walk(v) for v in value)
            return True

        if not walk(step):
            self.problem(entry, ".request", "holds text that is not valid Unicode (half of a surrogate pair); "
                                            "expected UTF-8 text")

    def problem(self, entry: Entry, field: str, message: str) -> None:
        self.problems.append(f"{self.source}: log.entries[{entry.index}]{field}: {message} "
                             f"({entry.method} {shown_url(entry.url)}; --exclude REGEX leaves a request out)")

    def new_file(self, wanted: str) -> str:
        stem, dot, ext = wanted.rpartition(".")
        if not dot:
            stem, ext = wanted, ""
        path, n = f"{self.options.files_dir}/{wanted}", 1
        while path in self.files:
            n += 1
            path = f"{self.options.files_dir}/{stem}-{n}" + (f".{ext}" if dot else "")
        return path

    def env_uses(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for s in self.secrets:
            if s.env:
                out.setdefault(s.env, [])
                if s.what not in out[s.env]:
                    out[s.env].append(s.what)
        return out

    def summary(self, recorded: int, selection, steps: int, thinks: int) -> list[str]:
        hosts = 1 + len(self.hosts)
        lines = [f"{recorded} recorded {plural(recorded, 'request')} -> {steps} {plural(steps, 'step')} on "
                 f"{hosts} {plural(hosts, 'host')}, {thinks} think {plural(thinks, 'time')}"]
        lines += [f"left out: {line}" for line in selection.lines()]
        merged = sum(len(c.hops) for c in selection.kept)
        if merged:
            lines.append(f"redirects: {merged} {plural(merged, 'hop')} followed by the worker itself, "
                         f"not steps of their own")
        if self.correlator.bound:
            lines.append(f"from earlier responses: {shortened([v for v, _ in self.correlator.bound.values()])} "
                         f"(extract: on the step that received each)")
        by_what = Counter(s.what for s in self.secrets)
        if by_what and self.options.secrets == "keep":
            lines.append("secrets written as recorded (--secrets keep): " + listing(by_what)
                         + "; keep this file private")
        elif self.options.secrets == "drop" and by_what:
            lines.append("secrets left out: " + listing(by_what)
                         + "; --secrets env sends them from environment variables")
        for env, uses in self.env_uses().items():
            lines.append(f"needs the environment variable {env}: {', '.join(uses)}")
        lines += self.cookie_lines(selection.kept)
        lines += [f"file {note}" for note in self.file_notes]
        return lines

    def cookie_lines(self, kept: list[Chain]) -> list[str]:
        """Cookies are left to the worker's jar, which holds only what the steps' responses set: say
        which cookies the browser sent that no earlier step's response set."""
        got: set[str] = set()
        missing: dict[str, str] = {}
        for chain in kept:
            for cookie in names_cookies(chain.first.headers):
                if cookie not in got and cookie not in missing:
                    missing[cookie] = f"{chain.first.method} {urlsplit(chain.first.url).path}"
            for e in (chain.first, *chain.hops):
                got.update(set_cookies(e.response_headers))
        if not missing:
            return []
        shown = ", ".join(f"{c} (first sent by {where})" for c, where in missing.items())
        return [f"cookies: never written (the worker's cookie jar keeps what responses set); the browser also "
                f"sent cookies no earlier step's response set: {shown}. Record from a new private window, "
                f"logging in during the recording, so that the steps set them"]


def secret_leaves(value: object, name: str) -> set[str]:
    """The text of JSON's secret fields (by their names, or by their look)."""
    if isinstance(value, dict):
        return set().union(*(secret_leaves(v, k) for k, v in value.items())) if value else set()
    if isinstance(value, list):
        return set().union(*(secret_leaves(v, name) for v in value)) if value else set()
    if isinstance(value, bool) or value is None:
        return set()
    text = value if isinstance(value, str) else json.dumps(value)
    return {text} if text and (is_secret_name(name) or looks_secret(text)) else set()


def listing(counts: Counter) -> str:
    return shortened([f"{what} ({n} {plural(n, 'step')})" if n > 1 else what for what, n in counts.items()])


def shortened(items: list[str], shown: int = 10) -> str:
    """A list for a summary line: the first ones, and how many more."""
    more = len(items) - shown
    return ", ".join(items[:shown]) + (f" and {more} more" if more > 0 else "")


def origin(url: str) -> str:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    default = 443 if parts.scheme.lower() == "https" else 80
    port = f":{parts.port}" if parts.port and parts.port != default else ""
    return f"{parts.scheme.lower()}://{host}{port}"


def location_of(entry: Entry) -> str:
    return entry.redirect_url or entry.response_header("Location") or "?"


def relative(base: str, url: str) -> str:
    """url without base's origin, when they share it."""
    if origin(url) == origin(base) and url.lower().startswith(("http://", "https://")):
        parts = urlsplit(url)
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return url


def link_name(raw_path: str) -> str:
    """A followed link's row in Locust: its path with ids as [id], without its query."""
    return "/".join("[id]" if seg and is_id(unquote(seg)) else url_text(seg) for seg in (raw_path or "/").split("/")) or "/"


def url_text(text: str) -> str:
    """Recorded URL text as a step writes it: its non-ASCII letters as a browser's address bar shows
    them (/api/städte/München, not /api/st%C3%A4dte/M%C3%BCnchen), which the worker sends as the
    same UTF-8 escapes, and its braces escaped, so that it cannot read as a template (the server
    decodes %7B and %7D to the same braces)."""
    return ESCAPED_RUN.sub(lambda m: readable(m.group()), text).replace("{", "%7B").replace("}", "%7D")


ESCAPED_RUN = re.compile(r"(?:%[0-9A-Fa-f]{2})+")


def readable(run: str) -> str:
    """A run of %XX escapes with each UTF-8 character of two bytes or more decoded when it is
    printable; an ASCII escape (%20, %2F, %26), which means something other than its character in
    a URL, and bytes that are no UTF-8 stay escaped."""
    raw = bytes.fromhex(run.replace("%", ""))
    out, i = [], 0
    while i < len(raw):
        size = 2 if 0xC2 <= raw[i] <= 0xDF else 3 if 0xE0 <= raw[i] <= 0xEF else 4 if 0xF0 <= raw[i] <= 0xF4 else 1
        if size > 1:
            try:
                char = raw[i:i + size].decode("utf-8")
            except UnicodeDecodeError:
                char = ""
            if char.isprintable() and len(char) == 1:
                out.append(char)
                i += size
                continue
        out.append(run[3 * i:3 * i + 3])
        i += 1
    return "".join(out)


def basic_credentials(encoded: str) -> tuple[str | None, str]:
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None, ""
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else (None, "")


def json_where(keys: list) -> str:
    return "$" + "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in keys)


def safe_file_name(name: str) -> str:
    base = re.split(r"[\\/]", name)[-1]
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", base).strip("._") or "upload"
    return cleaned[:100]


def duration(ms: int) -> str:
    """A Go duration for ms (a multiple of 10): 700ms, 1.25s, 2m5s."""
    if ms < 1000:
        return f"{ms}ms"
    minutes, rest = divmod(ms, 60_000)
    seconds = f"{rest / 1000:.2f}".rstrip("0").rstrip(".")
    if not minutes:
        return f"{seconds}s"
    return f"{minutes}m" + (f"{seconds}s" if rest else "")
