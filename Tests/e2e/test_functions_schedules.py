"""Schedules (``fn.config.json``'s ``schedule``) on a running server: runs on time through the
function's own route, retries, state kept across a restart, one runner across ``--workers``,
health, and a schedule that cannot run refused at start."""
import json
import os
import subprocess
import time

from conftest import APUS_BIN, PROJECT_VENV
from functions_support import call_json, serve, write_tree

RECORDING = """
    import json, os

    def handler(event):
        with open({log!r}, "a") as log:
            log.write(json.dumps({{"pid": os.getpid(), "context": event["context"], "query": event["query"],
                                   "ua": event["client"]["ua"], "header": event["headers"].get("x-run")}}) + "\\n")
        return {{"ok": True}}
"""


def runs(log):
    if not os.path.exists(log):
        return []
    with open(log) as file:
        return [json.loads(line) for line in file if line.strip()]


def tick_every_second(tmp_path):
    """A tree at tmp_path/tree whose GET /tick runs every second and records each run: the log."""
    log = str(tmp_path / "runs.log")
    write_tree(tmp_path / "tree", {
        "tick/fn.config.json": json.dumps({"schedule": {"enabled": True, "every_seconds": 1}}),
        "tick/get.py": RECORDING.format(log=log),
    })
    return log


def wait_for(predicate, within):
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def test_a_python_function_runs_every_second_with_the_schedules_request(tmp_path):
    log = str(tmp_path / "runs.log")
    write_tree(tmp_path / "tree", {
        "tick/fn.config.json": json.dumps({"schedule": {
            "enabled": True, "every_seconds": 1, "query": {"kind": "tick"}, "headers": {"X-Run": "scheduled"},
            "context": {"team": "ops"}}}),
        "tick/get.py": RECORDING.format(log=log),
    })
    server = serve(tmp_path / "tree", env={"APUS_ADMIN_TOKEN": "t"})
    try:
        assert wait_for(lambda: len(runs(log)) >= 2, 5), "\n".join(server.lines)
        status, listed = call_json(server, "/_fn/schedules", headers={"x-fn-admin-token": "t"})
        assert status == 200 and listed["runs_here"] is True
        assert listed["schedules"][0]["key"] == "GET /tick" and listed["schedules"][0]["runs"] >= 2
        first = runs(log)[0]
        assert first["ua"] == "apus-scheduler"
        assert first["query"] == {"kind": "tick"} and first["header"] == "scheduled"
        assert first["context"]["trigger"] == {"type": "schedule", "every_seconds": 1, "attempt": 1}
        assert first["context"]["user"] == {"team": "ops"}
        assert first["context"]["function_name"]
        status, health = call_json(server, "/_apus/health")
        [item] = health["schedules"]["items"]
        assert health["schedules"]["runs_here"] is True
        assert item["key"] == "GET /tick" and item["every_seconds"] == 1
        assert item["runs"] >= 2 and item["last_status"] == 200 and item["last_error"] == ""
        assert item["next"] > time.time() - 1
        assert "schedule GET /tick every 1 s (tick/fn.config.json)" in "\n".join(server.lines)
        # Runs go through memory, not the access log.
        assert not any("GET /tick" in line and "HTTP/1.1" in line for line in server.lines)
    finally:
        server.stop()
    with open(tmp_path / "tree" / ".fastfn" / "scheduler-state.json") as file:
        state = json.load(file)
    assert state["version"] == 1 and state["schedules"]["GET /tick"]["last_status"] == 200


def test_a_worker_function_runs_on_schedule(tmp_path):
    log = str(tmp_path / "runs.log")
    write_tree(tmp_path / "tree", {
        "node/beat/fn.config.json": json.dumps({"schedule": {"enabled": True, "every_seconds": 1, "timezone": "UTC",
                                                             "method": "POST", "body": {"n": 1}},
                                                "invoke": {"methods": ["POST"]}}),
        "node/beat/handler.js": f"""
            const fs = require("fs");
            exports.handler = async (event) => {{
              fs.appendFileSync({json.dumps(log)}, JSON.stringify({{pid: process.pid, context: event.context,
                query: event.query, ua: event.client.ua, body: event.body, method: event.method}}) + "\\n");
              return {{ok: true}};
            }};
        """,
    })
    server = serve(tmp_path / "tree")
    try:
        assert wait_for(lambda: len(runs(log)) >= 1, 5), "\n".join(server.lines)
        run = runs(log)[0]
        assert run["method"] == "POST" and json.loads(run["body"]) == {"n": 1}
        assert run["context"]["trigger"] == {"type": "schedule", "every_seconds": 1, "timezone": "UTC", "attempt": 1}
        assert run["ua"] == "apus-scheduler"
    finally:
        server.stop()


def test_a_failing_run_is_retried_and_the_failure_is_reported(tmp_path):
    log = str(tmp_path / "runs.log")
    write_tree(tmp_path / "tree", {
        "flaky/fn.config.json": json.dumps({"schedule": {
            "enabled": True, "every_seconds": 3600, "retry": {"max_attempts": 3, "base_delay_seconds": 0.2, "jitter": 0}}}),
        "flaky/get.py": f"""
            import json

            def handler(event):
                with open({log!r}, "a") as log:
                    log.write(json.dumps(event["context"]["trigger"]) + "\\n")
                raise RuntimeError("the upstream is down")
        """,
        ".fastfn/scheduler-state.json": json.dumps({"version": 1, "saved_at": 0, "schedules": {
            "GET /flaky": {"next": time.time() - 5, "runs": 0, "failures": 0, "skipped": 0, "last_error": ""}}}),
    })
    server = serve(tmp_path / "tree")
    try:
        # Overdue in the state file: it runs at once, then twice more 0.2 s and 0.4 s later.
        assert wait_for(lambda: len(runs(log)) >= 3, 5), "\n".join(server.lines)
        time.sleep(0.5)
        assert [run["attempt"] for run in runs(log)] == [1, 2, 3]
        assert all(run["max_attempts"] == 3 for run in runs(log))
        status, health = call_json(server, "/_apus/health")
        [item] = health["schedules"]["items"]
        assert item["last_status"] == 500 and item["failures"] == 3
        assert item["last_error"] == "status 500: internal server error"
        lines = "\n".join(server.lines)
        assert "schedule GET /flaky: retrying 2/3 in 0.2s: status 500: internal server error (attempt 1 of 3)" in lines
        assert "RuntimeError: the upstream is down" in lines  # the traceback, in the log only
    finally:
        server.stop()


def test_state_survives_a_restart(tmp_path):
    log = tick_every_second(tmp_path)
    server = serve(tmp_path / "tree")
    try:
        assert wait_for(lambda: len(runs(log)) >= 2, 5)
    finally:
        server.stop()
    server = serve(tmp_path / "tree")
    try:
        assert wait_for(lambda: call_json(server, "/_apus/health")[1]["schedules"]["items"][0].get("runs", 0) >= 3, 5)
        assert "schedules: 1 run by this process" in "\n".join(server.lines)
    finally:
        server.stop()


def test_one_process_runs_the_schedules_across_workers(tmp_path):
    log = tick_every_second(tmp_path)
    server = serve(tmp_path / "tree", "--workers", "2")
    try:
        assert wait_for(lambda: len(runs(log)) >= 4, 8), "\n".join(server.lines)
        seen = runs(log)
        assert len({run["pid"] for run in seen}) == 1, "one worker runs them"
        time.sleep(1.5)
        # One run a second, not two: runs made and seconds passed stay level.
        later = runs(log)
        assert len(later) - len(seen) <= 2
        assert "\n".join(server.lines).count("run by this process") == 1
    finally:
        server.stop()


def test_apus_scheduler_off_runs_nothing(tmp_path):
    log = tick_every_second(tmp_path)
    server = serve(tmp_path / "tree", env={"APUS_SCHEDULER": "off"})
    try:
        time.sleep(2.2)
        assert runs(log) == []
        assert "schedules: 1, not run here (APUS_SCHEDULER=off)" in "\n".join(server.lines)
        assert call_json(server, "/_apus/health")[1]["schedules"]["runs_here"] is False
    finally:
        server.stop()


def test_a_schedule_that_cannot_run_stops_the_start(tmp_path):
    write_tree(tmp_path, {
        "report/fn.config.json": json.dumps({"schedule": {"enabled": True, "cron": "0 0 31 2 *"}}),
        "report/get.py": "def handler(event):\n    return {}\n",
    })
    result = subprocess.run([APUS_BIN, "run", str(tmp_path), "--port", "0"], capture_output=True, text=True, timeout=60,
                            env={**os.environ, "VIRTUAL_ENV": PROJECT_VENV})
    assert result.returncode == 1
    assert "report/fn.config.json: schedule: cron '0 0 31 2 *' matches no time in the next two years" in result.stderr
