"""`--limit-concurrency N`: past N requests being served, the server answers 503 at once (as
uvicorn does) instead of queueing without bound; the limit frees as responses end."""
import threading
import urllib.error
import urllib.request


def status_of(url):
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, None
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("retry-after")


def test_requests_past_the_limit_get_503_and_the_limit_frees(start_app):
    server = start_app("blocking:app", "--threads", "1", "--limit-concurrency", "2")
    results = []

    def call():
        results.append(status_of(server.url("/sleep?seconds=0.5")))

    callers = [threading.Thread(target=call) for _ in range(6)]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join(30)
    assert sorted(status for status, _ in results) == [200, 200, 503, 503, 503, 503]
    assert all(retry == "1" for status, retry in results if status == 503)
    assert status_of(server.url("/sleep?seconds=0"))[0] == 200
