#!/usr/bin/env python3
"""Ratios of Apus to each peer from one run of the peer matrix (raw.jsonl): median requests/s
and p99 per endpoint. Ratios from one run are what to compare; absolute numbers vary by day."""
import json
import statistics
import sys

ENDPOINTS = ["plaintext", "json", "items", "post"]


def main(path):
    records = [json.loads(line) for line in open(path) if line.strip()]
    records = [r for r in records if r.get("rps") is not None and r.get("verified", True)]
    servers = sorted({r["server"] for r in records})
    medians = {}
    for server in servers:
        for endpoint in ENDPOINTS:
            runs = [r for r in records if r["server"] == server and r["endpoint"] == endpoint]
            if runs:
                medians[server, endpoint] = (statistics.median(r["rps"] for r in runs),
                                             statistics.median(r["p99_ms"] for r in runs))
    ours = [s for s in servers if s.startswith("apus")]
    peers = [s for s in servers if not s.startswith("apus")]
    for apus in ours:
        print(f"\n{apus}: requests/s ratio (p99 ratio) against each peer, same run, medians")
        print("| peer | " + " | ".join(ENDPOINTS) + " |")
        print("|---|" + "---|" * len(ENDPOINTS))
        for peer in peers:
            cells = []
            for endpoint in ENDPOINTS:
                if (apus, endpoint) in medians and (peer, endpoint) in medians:
                    (a_rps, a_p99), (p_rps, p_p99) = medians[apus, endpoint], medians[peer, endpoint]
                    cells.append(f"{a_rps / p_rps:.2f}x ({a_p99 / p_p99:.2f}x)")
                else:
                    cells.append("n/a")
            print(f"| {peer} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main(sys.argv[1])
