"""Scenario files for the Go workers: `locust-fleet scenario from-har` writes one from a browser's
recording.

Exit codes: 0 written, 2 bad input (a file that is not a HAR, requests that cannot be converted,
bad options); nothing is written then.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from .archive import parse_har
from .convert import Options, convert
from .filters import Filters, HostPattern
from .headers import HeaderRules
from .problems import Problems
from .secrets import MODES
from .yaml_text import dump

EXIT_USAGE = 2
app = typer.Typer(add_completion=False, pretty_exceptions_show_locals=False, help=__doc__, no_args_is_help=True)
err = Console(stderr=True, markup=False, highlight=False, soft_wrap=True)
DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m)$")


class UsageError(Problems):
    """Bad options or an unreadable file; problems holds one line per mistake."""

    def __init__(self, *problems: str):
        super().__init__(list(problems))


@app.command("from-har")
def from_har(
    har: Annotated[Path, typer.Argument(metavar="HAR", show_default=False,
                                        help="The recording: a HAR file exported from a browser's developer tools "
                                             "(Network tab).")],
    output: Annotated[str, typer.Option(
        "--output", "-o", metavar="FILE",
        help="Where to write the scenario (YAML); '-' prints it. Files it refers to (multipart uploads) go to "
             "FILE's folder, under STEM-files/.")] = "-",
    name: Annotated[Optional[str], typer.Option(
        help="The flow's name (its task in Locust).", show_default="the HAR file's name")] = None,
    host: Annotated[Optional[list[str]], typer.Option(
        "--host", metavar="HOST",
        help="Keep requests to this host only (repeat for more): example.com, example.com:8080, *.example.com "
             "(it and its subdomains) or https://api.example.com.",
        show_default="the recorded site's hosts")] = None,
    all_hosts: Annotated[bool, typer.Option("--all-hosts", help="Keep requests to every host, third parties too.")] = False,
    keep_static: Annotated[bool, typer.Option(
        "--keep-static", help="Keep static assets (scripts, styles, images, fonts, media).")] = False,
    exclude: Annotated[Optional[list[str]], typer.Option(
        metavar="REGEX", help="Leave out requests whose URL matches this regular expression (repeatable).")] = None,
    secrets: Annotated[str, typer.Option(
        metavar="MODE",
        help="Secrets of the recording (Authorization and API-key headers, tokens in query strings, passwords "
             "in bodies): 'drop' leaves them out, 'env' writes {{ env.NAME }} in their place (the worker reads "
             "them from its environment), 'keep' writes them as recorded.")] = "drop",
    user_agent: Annotated[Optional[str], typer.Option(
        metavar="TEXT", help="'recorded' sends the browser's User-Agent; any other text is sent as the "
                             "User-Agent.", show_default="the worker's own")] = None,
    keep_header: Annotated[Optional[list[str]], typer.Option(
        metavar="NAME", help="Keep a header that is dropped by default (e.g. Referer; repeatable). Never Cookie.")] = None,
    drop_header: Annotated[Optional[list[str]], typer.Option(
        metavar="NAME", help="Drop a header that is kept by default (repeatable).")] = None,
    min_think: Annotated[str, typer.Option(
        metavar="DURATION", help="Shorter pauses between requests are not written (the browser's own work, not "
                                 "a person's).")] = "500ms",
    max_think: Annotated[Optional[str], typer.Option(
        metavar="DURATION", help="Longer pauses are cut to this.", show_default="none")] = None,
    no_think: Annotated[bool, typer.Option("--no-think", help="Write no think times.")] = False,
    no_correlate: Annotated[bool, typer.Option(
        "--no-correlate", help="Send ids and tokens as recorded, instead of extracting them from the earlier "
                               "response that gave them.")] = False,
) -> None:
    """Write a scenario from a browser's recording (HAR): one flow whose steps are the recorded requests
    in order, with the recorded pauses as think times. Static assets and third-party hosts are left out,
    browser noise headers dropped, cookies left to the worker's cookie jar, secrets left out (--secrets),
    a redirect chain is one step, ids and tokens an earlier response gave are extracted from it, and
    ids in paths are named \\[id] in Locust's rows. What was kept and left out is written at the top of
    the scenario and printed on stderr."""
    try:
        options = build_options(har, output, name, host or [], all_hosts, keep_static, exclude or [], secrets,
                                user_agent, keep_header or [], drop_header or [], min_think, max_think, no_think,
                                no_correlate)
        text = read_text(har)
        archive = parse_har(text, str(har))
        result = convert(archive, str(har), options)
        if output == "-" and result.files:
            raise UsageError(f"--output: - (print the scenario) with files to write ({', '.join(result.files)}); "
                             f"expected -o FILE: the files are written beside the scenario")
        head = [f"A scenario made by `locust-fleet scenario from-har` from {har.name}"
                + (f" ({archive.creator})" if archive.creator else "") + "."] + result.summary + \
               ["Check it with `worker --scenario FILE --check`; run it with `--scenario FILE`."]
        document = dump(result.scenario, result.comments, head)
        if output == "-":
            typer.echo(document, nl=False)
        else:
            write(Path(output), document, result.files)
    except Problems as e:
        for problem in e.problems:
            err.print(f"error: {problem}")
        raise typer.Exit(EXIT_USAGE) from None
    for line in result.summary:
        err.print(line)
    if output != "-":
        err.print(f"wrote {output}" + (f" and {len(result.files)} file(s) beside it" if result.files else ""))


def build_options(har: Path, output: str, name: str | None, hosts: list[str], all_hosts: bool, keep_static: bool,
                  exclude: list[str], secrets: str, user_agent: str | None, keep_header: list[str],
                  drop_header: list[str], min_think: str, max_think: str | None, no_think: bool,
                  no_correlate: bool) -> Options:
    problems = []
    if secrets not in MODES:
        problems.append(f"--secrets: got {secrets!r}; expected one of {', '.join(MODES)}")
    patterns = []
    for text in hosts:
        try:
            patterns.append(HostPattern(text))
        except ValueError as e:
            problems.append(str(e))
    compiled = []
    for text in exclude:
        try:
            compiled.append(re.compile(text))
        except re.error as e:
            problems.append(f"--exclude: got {text!r}: {e}; expected a regular expression (Python's re)")
    if hosts and all_hosts:
        problems.append("--all-hosts: given with --host; expected one of them")
    for option, header in [("--keep-header", h) for h in keep_header] + [("--drop-header", h) for h in drop_header]:
        if not re.match(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$", header):
            problems.append(f"{option}: got {header!r}; expected a header name")
        elif option == "--keep-header" and header.lower() == "cookie":
            problems.append("--keep-header: got 'Cookie'; expected another header: cookies are the worker's cookie "
                            "jar's, per user")
    min_ms = duration_ms(min_think, "--min-think", problems)
    max_ms = duration_ms(max_think, "--max-think", problems) if max_think is not None else None
    if output != "-":
        folder = Path(output).parent
        if not folder.is_dir():
            problems.append(f"--output: {output}: the folder {str(folder)!r} does not exist; expected a file in an "
                            f"existing folder")
        elif Path(output).is_dir():
            problems.append(f"--output: {output} is a folder; expected a file name")
    if problems:
        raise UsageError(*problems)
    return Options(
        name=name or har.stem or "recording",
        filters=Filters(hosts=tuple(patterns), all_hosts=all_hosts, keep_static=keep_static, exclude=tuple(compiled)),
        headers=HeaderRules(user_agent=user_agent, keep=frozenset(h.lower() for h in keep_header),
                            drop=frozenset(h.lower() for h in drop_header)),
        secrets=secrets, think=not no_think, min_think_ms=min_ms or 0, max_think_ms=max_ms,
        correlate=not no_correlate,
        files_dir=(Path(output).stem + "-files") if output != "-" else "files")


def duration_ms(text: str, option: str, problems: list[str]) -> int | None:
    m = DURATION.match(text.strip())
    if not m:
        problems.append(f"{option}: got {text!r}; expected a duration such as 500ms, 2s or 1m")
        return None
    return round(float(m.group(1)) * {"ms": 1, "s": 1000, "m": 60_000}[m.group(2)])


def read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise UsageError(f"{path}: cannot read it ({e.strerror}); expected a HAR file") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise UsageError(f"{path}: byte {e.start} is not UTF-8; expected a HAR file (JSON in UTF-8)") from None


def write(output: Path, document: str, files: dict[str, bytes]) -> None:
    """The files, then the scenario, each written whole or not at all (a temporary file renamed)."""
    try:
        for relative, content in files.items():
            target = output.parent / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(target, content)
        atomic_write(output, document.encode("utf-8"))
    except OSError as e:
        raise UsageError(f"--output: cannot write {e.filename or output} ({e.strerror})") from None


def atomic_write(path: Path, content: bytes) -> None:
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp, 0o666 & ~umask)  # as a file opened for writing would be, not mkstemp's 0600
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
