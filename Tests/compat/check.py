"""Checks a compat run against the floors in floors.json: the tests that pass, the share of the
run's HTTP requests Apus served with its own plans (any kind but ``asgi``), the share whose
dependencies FastAPI itself still solved (``solve_counter``: one line per top-level call of FastAPI's
``solve_dependencies``), and the requests that bypassed the server through Starlette's in-memory
transport (which must stay at the ceiling), and the differences the differential check found
between plans and FastAPI's own handler (each printed; routes whose answers change by themselves,
such as a token's expiry time, are listed with the reason in floors.json and not counted).

    check.py RESULTS_JSON ROUTE_STATS INMEMORY_COUNT FASTAPI_SOLVED DIFFERENCES
"""
import collections
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def count_lines(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [line.split() for line in f if line.strip()]


def main(results_path, stats_path, inmemory_path, solved_path, differences_path):
    with open(os.path.join(HERE, "floors.json")) as f:
        floors = json.load(f)
    with open(results_path) as f:
        summary = json.load(f)["summary"]
    stats = count_lines(stats_path)
    # WebSocket sessions (`websocket PATH`) run through the app and are no HTTP requests: counted
    # apart, never in the planned share.
    sessions = sum(1 for fields in stats if fields[0] == "websocket")
    kinds = collections.Counter(fields[0] for fields in stats if fields[0] != "websocket")
    total = sum(kinds.values())
    native = total - kinds.get("asgi", 0)
    share = native / total if total else 0.0
    inmemory = len(count_lines(inmemory_path))
    solved = len(count_lines(solved_path))
    solved_share = solved / total if total else 0.0
    by_kind = ", ".join(f"{count} {kind}" for kind, count in kinds.most_common())
    print(f"compat: {summary['passed']} passed, {summary['failed']} failed; requests through Apus: {total} "
          f"({by_kind}; planned share {share:.1%}); solved by FastAPI: {solved} ({solved_share:.1%}); "
          f"in-memory: {inmemory}" + (f"; WebSocket sessions through Apus: {sessions}" if sessions else ""))
    differences = []
    if os.path.exists(differences_path):
        with open(differences_path) as f:
            differences = [json.loads(line) for line in f if line.strip()]
    unstable = floors["differential_unstable_routes"]
    counted = [difference for difference in differences if difference["route"] not in unstable]
    print(f"compat: differential check: {len(differences)} answers differed from FastAPI's own handler's, "
          f"{len(differences) - len(counted)} of them on routes whose answers change by themselves")
    for difference in differences:
        why = unstable.get(difference["route"])
        print(f"compat:   {difference['request']} ({difference['plan']} plan of {difference['route']}): "
              f"{', '.join(sorted(difference['differences']))} differ" + (f" ({why})" if why else ""))
    problems = []
    if summary["passed"] < floors["passed"]:
        problems.append(f"passed {summary['passed']} < floor {floors['passed']}")
    if share + 1e-9 < floors["native_share"]:
        problems.append(f"native share {share:.3f} < floor {floors['native_share']}")
    if solved_share > floors["fastapi_solved_share"] + 1e-9:
        problems.append(f"FastAPI solved {solved_share:.3f} of the requests > ceiling {floors['fastapi_solved_share']}")
    if len(counted) > floors["differential_differences"]:
        problems.append(f"{len(counted)} differential differences > ceiling {floors['differential_differences']}")
    if inmemory > floors["inmemory_requests"]:
        problems.append(f"{inmemory} in-memory requests > ceiling {floors['inmemory_requests']}")
    if total == 0:
        problems.append("no request reached Apus (APUS_ROUTE_STATS is empty)")
    for problem in problems:
        print("compat: FAIL: " + problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:6]))
