"""`--metrics-port`: Prometheus text on a listener of its own, asserted after a known load:
requests by route template (never a raw path), method and status, exact; latency histograms
that add up; refusals; the routes and their plans; executor threads; a functions tree's
worker pools; and the process."""
import re
import socket
import subprocess
import time

from conftest import APUS_BIN, parse_responses, read_until_closed
from functions_support import call, serve, write_tree


def metrics_port(server):
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        for line in server.lines:
            match = re.search(r"Metrics at http://\S+:(\d+)/metrics", line)
            if match:
                return int(match.group(1))
        time.sleep(0.02)
    raise AssertionError("no metrics line:\n" + "\n".join(server.lines))


def exchange(port, raw):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(raw)
        return parse_responses(read_until_closed(sock))


def get(port, path):
    [(status, headers, body)] = exchange(port, f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    return status, headers, body


def parse_responses_until_one(sock):
    """The first response on a kept-alive connection (read until it is whole)."""
    data = b""
    while True:
        data += sock.recv(65536)
        head, _, body = data.partition(b"\r\n\r\n")
        length = re.search(rb"content-length: (\d+)", head, re.I)
        if length and len(body) >= int(length.group(1)):
            return parse_responses(data)


def scrape(server):
    status, headers, body = get(metrics_port(server), "/metrics")
    assert status == 200 and headers["content-type"].startswith("text/plain; version=0.0.4")
    samples = {}
    for line in body.decode().splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            samples[name] = float(value)
    return samples, body.decode()


def test_request_metrics_after_a_known_load(start_app):
    server = start_app("planned:app", "--metrics-port", "0")
    for item in (1, 2, 3, 4, 5):
        assert get(server.port, f"/params/{item}")[0] == 200
    assert get(server.port, "/params/0")[0] == 422  # a path parameter below its bound
    for _ in range(3):
        assert get(server.port, f"/no/such/path/{time.monotonic()}")[0] == 404
    assert exchange(server.port, b"GET / HTTP/1.1\r\n\r\n")[0][0] == 400  # no Host: refused
    assert get(server.port, "/metrics")[0] == 404  # the app's port is the app's

    samples, text = scrape(server)
    route = 'route="/params/{item_id}",method="GET"'
    assert samples[f'apus_http_requests_total{{{route},status="200"}}'] == 5
    assert samples[f'apus_http_requests_total{{{route},status="422"}}'] == 1
    # The three unknown paths and /metrics on the app's port: the app's 404s, one label.
    assert samples['apus_http_requests_total{route="<app>",method="GET",status="404"}'] == 4
    assert samples['apus_http_refused_total{status="400"}'] == 1
    assert "/no/such/path" not in text  # labels are templates, never paths

    buckets = [(line, value) for line, value in samples.items()
               if line.startswith(f"apus_http_request_duration_seconds_bucket{{{route}")]
    counts = [value for _, value in buckets]
    assert counts == sorted(counts) and counts[-1] == 6 and buckets[-1][0].endswith('le="+Inf"}')
    assert samples[f"apus_http_request_duration_seconds_count{{{route}}}"] == 6
    assert 0 < samples[f"apus_http_request_duration_seconds_sum{{{route}}}"] < 30

    assert samples["apus_http_requests_in_flight"] == 0
    assert samples["apus_http_connections_accepted_total"] >= 10
    assert samples["apus_http_received_bytes_total"] > 0 and samples["apus_http_sent_bytes_total"] > 0
    kinds = {re.search(r'kind="([^"]+)"', line).group(1) for line in samples if line.startswith("apus_route_info{route=\"/params/{item_id}\"")}
    assert kinds == {"injected"} or kinds == {"direct"}, kinds
    assert samples["apus_executor_jobs_total"] >= 6 and samples["apus_executor_threads"] >= 1
    assert samples["apus_executor_gil_held_seconds_total"] > 0
    # The asyncio thread's time with the GIL (its waits for events go through the runtime).
    assert samples["apus_asyncio_gil_held_seconds_total"] > 0
    assert samples["apus_asyncio_gil_wait_seconds_total"] >= 0
    assert samples["process_resident_memory_bytes"] > 10_000_000 and samples["process_open_fds"] > 3
    assert samples['apus_info{version="0.1.0"}'] == 1 or any(k.startswith("apus_info{") for k in samples)


def test_connections_by_state(start_app):
    server = start_app("planned:app", "--metrics-port", "0")
    # One HTTP/1.1 connection kept alive, idle once answered; one HTTP/2 connection (its preface
    # and SETTINGS, no request yet).
    idle = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    idle.sendall(b"GET /params/1 HTTP/1.1\r\nHost: x\r\n\r\n")
    assert parse_responses_until_one(idle)[0][0] == 200
    http2 = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    http2.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00")
    time.sleep(0.2)
    samples, _ = scrape(server)
    assert samples['apus_http_connections_by_state{state="idle"}'] == 1
    assert samples['apus_http_connections_by_state{state="http2"}'] == 1
    assert samples['apus_http_connections_by_state{state="active"}'] == 0
    assert samples["apus_http_connections"] == 2
    idle.close()
    http2.close()


def test_a_functions_tree_reports_its_pools(tmp_path):
    write_tree(tmp_path, {"hello.js": "exports.handler = () => 'hi';\n", "py.py": "def handler(event):\n    return 'py'\n"})
    server = serve(tmp_path, "--metrics-port", "0")
    try:
        for _ in range(4):
            assert call(server, "/hello")[2] == b"hi"
        assert call(server, "/py")[2] == b"py"
        samples, _ = scrape(server)
        assert samples['apus_http_requests_total{route="/hello",method="GET",status="200"}'] == 4
        assert samples['apus_http_requests_total{route="/py",method="GET",status="200"}'] == 1
        labels = 'function="hello.js",runtime="node"'
        assert samples[f"apus_function_workers_ready{{{labels}}}"] >= 1
        assert samples[f"apus_function_worker_deaths_total{{{labels}}}"] == 0
        assert samples["apus_functions_reloads_total"] == 0
    finally:
        server.stop()


def test_several_workers_answer_as_one_with_a_worker_label(start_app):
    """--workers 2: the supervisor's /metrics holds every worker's, each sample labelled with
    its worker, each family's HELP and TYPE once, and the supervisor's own counts; the requests
    add up to the load."""
    server = start_app("planned:app", "--workers", "2", "--metrics-port", "0")
    # The supervisor listens before its workers have imported the app: until then, a worker's
    # metrics are not there to read (and the gauge says so).
    deadline = time.monotonic() + 30
    while scrape(server)[0]["apus_workers_scraped"] < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    for _ in range(40):
        assert get(server.port, "/params/5")[0] == 200
    samples, text = scrape(server)
    assert samples["apus_workers_scraped"] == 2
    assert samples["apus_workers_started_total"] == 2 and samples["apus_workers_died_total"] == 0
    assert samples["apus_reloads_total"] == 0 and samples["apus_workers_finished_total"] == 0
    answered = {name: value for name, value in samples.items() if name.startswith("apus_http_requests_total{")}
    assert sum(answered.values()) == 40, answered
    assert all('worker="' in name for name in answered), answered
    assert text.count("# TYPE apus_http_requests_total counter") == 1
    assert {re.search(r'worker="(\d)"', name).group(1) for name in samples if name.startswith("apus_info{")} == {"0", "1"}
    assert re.search(r'worker="\d",route="/params/\{item_id\}",method="GET",status="200"', text)
