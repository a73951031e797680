"""The admin API (``/_fn/``) and jobs over a real socket: off unless a token is set, the guard,
each endpoint with and without the token, and a job's life cycle."""
import json
import time

import pytest

from functions_support import call, call_json, serve, write_tree

TOKEN = "s3cret-admin-token"
AUTH = {"x-fn-admin-token": TOKEN}

TREE = {
    "hello/get.py": """
        def handler(event):
            context = event["context"]
            return {"hello": event["query"].get("name", "world"), "trigger": context.get("trigger"),
                    "user": context.get("user"), "ua": event["client"]["ua"]}
    """,
    "hello/fn.env.json": json.dumps({"API_KEY": {"value": "do-not-show", "is_secret": True}, "MODE": "test"}),
    "hello/fn.config.json": json.dumps({"timeout_ms": 1500}),
    "boom/get.py": """
        def handler(event):
            raise RuntimeError("kaput")
    """,
    "slow/get.py": """
        import time

        def handler(event):
            time.sleep(float(event["query"].get("s", "0.5")))
            return {"slept": True}
    """,
    "node/greet/handler.js": "exports.handler = async (event) => ({greet: event.body, method: event.method, ua: event.client.ua});\n",
    "node/greet/fn.config.json": json.dumps({"invoke": {"methods": ["GET", "POST"]}}),
}


@pytest.fixture
def admin_server(tmp_path):
    write_tree(tmp_path, TREE)
    server = serve(tmp_path, env={"APUS_ADMIN_TOKEN": TOKEN, "APUS_JOBS_MAX_CONCURRENCY": "1"})
    yield server
    server.stop()


def post(server, path, payload, headers=AUTH):
    status, _, body = call(server, path, method="POST", body=json.dumps(payload),
                           headers={"content-type": "application/json", **headers})
    return status, json.loads(body) if body else None


def wait_for_job(server, job_id, within=10):
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        status, job = call_json(server, f"/_fn/jobs/{job_id}", headers=AUTH)
        if job["status"] in ("done", "failed", "canceled"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish: {job}")


def test_the_admin_api_is_off_without_a_token(tmp_path):
    write_tree(tmp_path, TREE)
    server = serve(tmp_path)
    try:
        assert call_json(server, "/_fn/catalog", headers=AUTH) == (404, {"error": "not found"})
        assert not any("admin API" in line for line in server.lines)
    finally:
        server.stop()


def test_every_endpoint_needs_the_token(admin_server):
    for method, path in [("GET", "/_fn/health"), ("GET", "/_fn/catalog"), ("GET", "/_fn/schedules"),
                         ("POST", "/_fn/reload"), ("POST", "/_fn/invoke"), ("GET", "/_fn/function-config?key=x"),
                         ("GET", "/_fn/function-env?key=x"), ("GET", "/_fn/jobs"), ("POST", "/_fn/jobs"),
                         ("GET", "/_fn/jobs/job-1"), ("DELETE", "/_fn/jobs/job-1"), ("GET", "/_fn/jobs/job-1/result")]:
        for headers in ({}, {"x-fn-admin-token": "wrong"}, {"authorization": "Bearer wrong"}):
            status, body = call_json(admin_server, path, method=method, headers=headers, body="{}" if method == "POST" else None)
            assert (status, body) == (401, {"error": "admin token required"}), (method, path, headers)
    assert call_json(admin_server, "/_fn/health", headers={"authorization": f"Bearer {TOKEN}"})[0] == 200
    assert "admin API on at /_fn/ (from this machine, with the token of APUS_ADMIN_TOKEN)" in "\n".join(admin_server.lines)


def test_a_forwarded_request_is_not_local(admin_server, tmp_path):
    status, body = call_json(admin_server, "/_fn/health", headers={**AUTH, "x-forwarded-for": "203.0.113.9"})
    assert (status, body) == (403, {"error": "admin api local-only"})
    assert call_json(admin_server, "/_fn/health", headers={**AUTH, "forwarded": "for=203.0.113.9"})[0] == 403


def test_remote_access_can_be_allowed_with_the_token(tmp_path):
    write_tree(tmp_path, TREE)
    server = serve(tmp_path, env={"APUS_ADMIN_TOKEN": TOKEN, "APUS_ADMIN_LOCAL_ONLY": "0"})
    try:
        assert call_json(server, "/_fn/health", headers={**AUTH, "x-forwarded-for": "203.0.113.9"})[0] == 200
        assert call_json(server, "/_fn/health", headers={"x-forwarded-for": "203.0.113.9"})[0] == 401
    finally:
        server.stop()


def test_health_catalog_config_and_env(admin_server):
    status, health = call_json(admin_server, "/_fn/health", headers=AUTH)
    assert status == 200 and health["status"] == "ok" and health["functions"]["python"] == 3
    status, catalog = call_json(admin_server, "/_fn/catalog", headers=AUTH)
    functions = {entry["key"]: entry for entry in catalog["functions"]}
    assert set(functions) == {"hello/get.py", "boom/get.py", "slow/get.py", "node/greet/handler.js"}
    assert functions["hello/get.py"]["routes"] == ["GET /hello"]
    assert functions["hello/get.py"]["settings"]["timeout_ms"] == 1500
    assert functions["hello/get.py"]["pool"] is None
    assert functions["node/greet/handler.js"]["runtime"] == "node"
    assert set(functions["node/greet/handler.js"]["pool"]) >= {"workers", "ready", "in_flight", "queued"}
    status, config = call_json(admin_server, "/_fn/function-config?key=hello/get.py", headers=AUTH)
    assert status == 200 and config["config"] == {"timeout_ms": 1500} and config["schedule"] is None
    status, env = call_json(admin_server, "/_fn/function-env?key=hello/get.py", headers=AUTH)
    assert env["env"] == {"API_KEY": {"is_secret": True, "value": "<hidden>"}, "MODE": {"is_secret": False, "value": "test"}}
    assert call_json(admin_server, "/_fn/function-env?key=nope.py", headers=AUTH) == (404, {"error": "unknown function"})
    assert call_json(admin_server, "/_fn/function-env", headers=AUTH)[0] == 400
    assert call_json(admin_server, "/_fn/schedules", headers=AUTH)[1]["schedules"] == []
    assert call_json(admin_server, "/_fn/elsewhere", headers=AUTH) == (404, {"error": "not found"})
    status, headers, _ = call(admin_server, "/_fn/catalog", method="DELETE", headers=AUTH)
    assert status == 405 and headers["allow"] == "GET"


def test_invoke_runs_a_function_through_its_route(admin_server):
    status, answer = post(admin_server, "/_fn/invoke", {"path": "/hello", "query": {"name": "ann"}, "context": {"who": "ops"}})
    assert status == 200 and answer["status"] == 200 and answer["latency_ms"] >= 0
    assert json.loads(answer["body"]) == {"hello": "ann", "trigger": {"type": "invoke"}, "user": {"who": "ops"},
                                          "ua": "apus-admin"}
    status, answer = post(admin_server, "/_fn/invoke", {"key": "node/greet/handler.js", "method": "POST", "body": {"x": 1}})
    assert status == 200 and json.loads(answer["body"]) == {"greet": '{"x":1}', "method": "POST", "ua": "apus-admin"}
    status, answer = post(admin_server, "/_fn/invoke", {"path": "/boom"})
    assert answer["status"] == 500 and json.loads(answer["body"]) == {"error": "internal server error"}
    assert post(admin_server, "/_fn/invoke", {"key": "nope.py"}) == (404, {"error": "unknown function"})
    assert post(admin_server, "/_fn/invoke", {"path": "/hello", "method": "TRACE"})[0] == 400
    assert post(admin_server, "/_fn/invoke", {"path": "/_fn/catalog"})[0] == 400
    status, _, body = call(admin_server, "/_fn/invoke", method="POST", body="not json", headers=AUTH)
    assert status == 400 and json.loads(body) == {"error": "the body must be a JSON object"}


def test_reload_loads_the_tree_again(admin_server, tmp_path):
    job = post(admin_server, "/_fn/jobs", {"path": "/hello"})[1]
    write_tree(tmp_path, {"hello/get.py": "def handler(event):\n    return {'version': 2}\n",
                          "added.py": "def handler(event):\n    return 'new'\n"})
    status, answer = post(admin_server, "/_fn/reload", {})
    assert status == 200 and answer["ok"] is True and answer["routes"] == 6
    assert call_json(admin_server, "/hello") == (200, {"version": 2})
    assert call(admin_server, "/added")[2] == b"new"
    write_tree(tmp_path, {"fn.config.json": "{broken"})
    status, answer = post(admin_server, "/_fn/reload", {})
    assert status == 500 and answer["error"].startswith("reload failed: ") and "fn.config.json" in answer["error"]
    assert call_json(admin_server, "/hello") == (200, {"version": 2}), "the previous version keeps serving"
    assert wait_for_job(admin_server, job["id"])["status"] == "done", "jobs outlive reloads"


def test_a_jobs_life_cycle(admin_server):
    status, job = post(admin_server, "/_fn/jobs", {"path": "/hello", "query": {"name": "job"}, "context": {"n": 1}})
    assert status == 201 and job["status"] == "queued" and job["id"].startswith("job-") and job["attempt"] == 0
    done = wait_for_job(admin_server, job["id"])
    assert done["status"] == "done" and done["result_status"] == 200 and done["attempt"] == 1
    status, result = call_json(admin_server, f"/_fn/jobs/{job['id']}/result", headers=AUTH)
    assert status == 200 and result["status"] == 200 and result["id"] == job["id"]
    body = json.loads(result["body"])
    assert body["hello"] == "job" and body["user"] == {"n": 1} and body["ua"] == "apus-jobs"
    assert body["trigger"] == {"type": "job", "id": job["id"], "attempt": 1, "max_attempts": 1}
    status, listed = call_json(admin_server, "/_fn/jobs", headers=AUTH)
    assert [entry["id"] for entry in listed["jobs"]] == [job["id"]] and "result" not in listed["jobs"][0]
    assert call_json(admin_server, f"/_fn/jobs/{job['id']}", method="DELETE", headers=AUTH) == (409, {"error": "job is not queued"})
    assert call_json(admin_server, "/_fn/jobs/job-0-0-0", headers=AUTH) == (404, {"error": "job not found"})
    assert call_json(admin_server, "/_fn/jobs/..%2Fescape", headers=AUTH)[0] == 404


def test_a_crashing_jobs_attempts_and_result(admin_server):
    status, job = post(admin_server, "/_fn/jobs", {"path": "/boom", "max_attempts": 2, "retry_delay_ms": 100})
    assert status == 201 and job["max_attempts"] == 2
    failed = wait_for_job(admin_server, job["id"])
    assert failed["status"] == "failed" and failed["attempt"] == 2 and failed["last_error"] == "status 500"
    status, result = call_json(admin_server, f"/_fn/jobs/{job['id']}/result", headers=AUTH)
    assert status == 200 and result["status"] == 500 and json.loads(result["body"]) == {"error": "internal server error"}
    assert any("job " + job["id"] in line and "failed" in line for line in admin_server.lines)


def test_a_queued_job_can_be_canceled_and_a_full_queue_refuses(admin_server):
    # One job runs at a time here (APUS_JOBS_MAX_CONCURRENCY=1): the second waits.
    first = post(admin_server, "/_fn/jobs", {"path": "/slow", "query": {"s": "0.8"}})[1]
    second = post(admin_server, "/_fn/jobs", {"path": "/slow", "query": {"s": "0"}})[1]
    status, result = call_json(admin_server, f"/_fn/jobs/{second['id']}/result", headers=AUTH)
    assert status == 202 and result["error"] == "result not ready"
    status, canceled = call_json(admin_server, f"/_fn/jobs/{second['id']}", method="DELETE", headers=AUTH)
    assert status == 200 and canceled["status"] == "canceled"
    assert wait_for_job(admin_server, first["id"])["status"] == "done"
    time.sleep(0.2)
    assert call_json(admin_server, f"/_fn/jobs/{second['id']}", headers=AUTH)[1]["status"] == "canceled"
    assert call_json(admin_server, f"/_fn/jobs/{second['id']}/result", headers=AUTH) == (
        404, {"error": "result not found", "status": "canceled"})


def test_a_full_queue_refuses_jobs(tmp_path):
    write_tree(tmp_path, TREE)
    server = serve(tmp_path, env={"APUS_ADMIN_TOKEN": TOKEN, "APUS_JOBS_MAX_QUEUE": "1"})
    try:
        assert post(server, "/_fn/jobs", {"path": "/slow", "query": {"s": "0.5"}})[0] == 201
        status, answer = post(server, "/_fn/jobs", {"path": "/slow"})
        assert status == 429 and "the job queue is full (1)" in answer["error"]
    finally:
        server.stop()


def test_every_worker_process_sees_every_job(tmp_path):
    write_tree(tmp_path, TREE)
    server = serve(tmp_path, "--workers", "2", env={"APUS_ADMIN_TOKEN": TOKEN})
    try:
        ids = [post(server, "/_fn/jobs", {"path": "/hello"})[1]["id"] for _ in range(4)]
        assert len({job_id.split("-")[2] for job_id in ids}) >= 1
        for job_id in ids:
            assert wait_for_job(server, job_id)["status"] == "done"
            for _ in range(4):  # new connections: either worker answers
                assert call_json(server, f"/_fn/jobs/{job_id}/result", headers=AUTH)[0] == 200
    finally:
        server.stop()
