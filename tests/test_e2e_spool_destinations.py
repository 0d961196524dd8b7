"""Spooled points go only where they were meant to go. A master exporting to an unreachable InfluxDB
(database `elsewhere`) spools its points; the next master on the same --spool-dir but another URL
and database keeps them, says so at start, and writes none of them; `locust-fleet spool` lists
them, replays them into a destination named on purpose, and discards them."""

from __future__ import annotations

import json
import os
import signal
import subprocess

import pytest

from harness.influxd import rows
from harness.parts import Master, Target, start_worker
from harness.procs import VENV_BIN, free_port, wait_until
from locust_fleet.spool import Destination

pytestmark = pytest.mark.e2e


def spool_cmd(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOCUST_")}
    return subprocess.run([str(VENV_BIN / "locust-fleet"), "spool", *args], capture_output=True, text=True,
                          timeout=60, env={**env, "COLUMNS": "200"})


def databases(influx) -> set[str]:
    return {r["name"] for r in rows(influx.query("SHOW DATABASES"))}


def test_spooled_points_stay_with_their_destination(procs, go_bin, own_influx, tmp_path):
    influx = own_influx
    spool_dir = tmp_path / "spool"
    staging = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    target = Target(procs, go_bin["target"])
    first = Master(procs, "--headless", "-u", "2", "-r", "2", "-t", "3s", "--expect-workers", "1", "-H", target.url,
                   "--influxdb-url", staging, "--influxdb-database", "elsewhere", "--influxdb-interval", "1",
                   "--spool-dir", str(spool_dir), name="staging-master")
    start_worker(procs, go_bin["worker"], first.port, "--target", target.url)
    assert first.proc.wait(60) == 0, first.proc.log()[-2000:]
    meant = Destination(staging, "elsewhere")
    held = json.loads(spool_cmd("list", "--spool-dir", str(spool_dir), "--json").stdout)
    assert [(h["spool_id"], h["destination"]) for h in held] == [(meant.key, vars(meant))]
    points = held[0]["points"]
    assert points > 0

    second = Master(procs, "--influxdb-url", influx.url, "--influxdb-interval", "1", "--spool-dir", str(spool_dir),
                    name="production-master")
    wait_until(lambda: "kept, not replayed here" in second.proc.log(), 20, "the second master to report the spool")
    assert f"holds {held[0]['batches']} batches ({points} points) for database 'elsewhere' at {staging} " \
           f"[spool id {meant.key}], not this master's database 'locust' at {influx.url}" in second.proc.log()
    second.proc.signal(signal.SIGTERM)
    second.proc.wait(30)
    assert "elsewhere" not in databases(influx)
    assert rows(influx.query("SHOW MEASUREMENTS", db="locust")) == []
    assert json.loads(spool_cmd("list", "--spool-dir", str(spool_dir), "--json").stdout)[0]["points"] == points

    listed = spool_cmd("list", "--spool-dir", str(spool_dir))
    assert meant.key in listed.stdout and "elsewhere" in listed.stdout and staging in listed.stdout

    replayed = spool_cmd("replay", meant.key, "--influxdb-url", influx.url, "--influxdb-database", "staging-copy",
                         "--spool-dir", str(spool_dir))
    assert replayed.returncode == 0, replayed.stderr
    assert f"replayed {points} points into database 'staging-copy' at {influx.url} (they were meant for " \
           f"database 'elsewhere' at {staging})" in replayed.stdout
    stored = rows(influx.query("SELECT count(\"requests\") FROM locust_requests WHERE \"name\" = 'Aggregated'",
                               db="staging-copy"))
    assert stored and stored[0]["count"] > 0
    assert spool_cmd("list", "--spool-dir", str(spool_dir), "--json").stdout.strip() == "[]"
    assert not list(spool_dir.iterdir())


def test_spool_commands_name_a_wrong_id_and_discard(procs, tmp_path):
    spool_dir = tmp_path / "spool"
    from locust_fleet.spool import for_destination  # batches as a master writes them

    kept = for_destination(spool_dir, Destination("http://127.0.0.1:9", "elsewhere", "user ci"))
    kept.append(b"m v=1 1\nm v=2 2\n")
    wrong = spool_cmd("replay", "nosuch", "--influxdb-url", "http://127.0.0.1:9", "--spool-dir", str(spool_dir))
    assert wrong.returncode == 2
    assert f"SPOOL_ID: nothing waits under 'nosuch' in {spool_dir}; the spool ids there: {kept.dir.name}" in \
        " ".join(wrong.stderr.split())
    unreachable = spool_cmd("replay", kept.dir.name, "--influxdb-url", f"http://127.0.0.1:{free_port()}",
                            "--spool-dir", str(spool_dir))
    assert unreachable.returncode == 1 and "the batches stay in the spool" in unreachable.stderr
    discarded = spool_cmd("discard", kept.dir.name, "--spool-dir", str(spool_dir))
    assert discarded.returncode == 0 and f"discarded 2 points of spool id {kept.dir.name}" in discarded.stdout
    assert spool_cmd("list", "--spool-dir", str(spool_dir)).stdout.strip() == f"nothing waits in {spool_dir}"


@pytest.mark.parametrize("kind", ["file", "empty", "absent"])
def test_spool_commands_name_a_spool_dir_that_cannot_be_one(tmp_path, kind):
    path = {"file": tmp_path / "spool", "empty": "", "absent": tmp_path / "no-such-dir"}[kind]
    if kind == "file":
        path.write_text("not a spool")
    listed = spool_cmd("list", "--spool-dir", str(path))
    shown = " ".join(listed.stderr.replace("│", " ").split())  # typer's error box wraps long lines
    if kind == "absent":  # a master that never spooled: nothing waits, and the listing says why
        assert listed.returncode == 0 and listed.stdout.strip() == f"nothing waits in {path} (no such directory)"
    elif kind == "file":
        assert listed.returncode == 2 and f"got '{path}'; it is a file, expected the master's spool directory" in shown
    else:
        assert listed.returncode == 2 and "got ''; expected the master's spool directory" in shown
