#!/usr/bin/env python3
"""One search at a time, term by term: which of the benchmark's search terms are slow, and how
slow (issue #13). Python standard library only.

Resets the seeded site as run.py does, starts `enamel serve` pinned to one core (this script
runs on the other), signs in, then sends every term of the seed's list in turn over one
keep-alive HTTPS connection, `--passes` times (the last pass is reported: the first warms the
caches), and prints p50/p90/p99/max and the slowest terms with their `total`. `--only A,B`
repeats just those terms `--repeat` times instead: whether a term is slow every time (its
walk) or only now and then (something beside it). The terms are the seed's synthetic names.

  python3 crates/bench/load/terms.py --enamel target/release/enamel --site SITE \\
      --sqlite-pristine SEEDED.db --signer-pristine SEEDED.signer.json
"""

import argparse
import http.client
import json
import os
import sys
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run  # noqa: E402  (the shared server, reset and sign-in helpers)


def percentile(sorted_values, fraction):
    return sorted_values[min(len(sorted_values) - 1, int(fraction * len(sorted_values)))]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--enamel", required=True)
    p.add_argument("--site", required=True)
    p.add_argument("--accounts", help="default: SITE/bench-accounts.json")
    p.add_argument("--sqlite-pristine")
    p.add_argument("--signer-pristine")
    p.add_argument("--passes", type=int, default=2)
    p.add_argument("--slowest", type=int, default=25)
    p.add_argument("--only", default="", help="comma-separated terms to repeat instead")
    p.add_argument("--repeat", type=int, default=20)
    p.add_argument("--server-cpu", default="0")
    p.add_argument("--client-cpu", default="1")
    a = p.parse_args()
    os.sched_setaffinity(0, {int(a.client_cpu)})
    args = argparse.Namespace(signer_pristine=a.signer_pristine, sqlite_pristine=a.sqlite_pristine,
                              pg_template=None, site=a.site, server_cpu=a.server_cpu,
                              enamel=a.enamel, ready_timeout=120.0)
    run.reset_database(args)
    with open(a.accounts or os.path.join(a.site, "bench-accounts.json")) as f:
        accounts = json.loads(f.readline())
    terms = accounts["search_terms"] if not a.only else a.only.split(",") * a.repeat
    port = run.free_port()
    proc, _ = run.start_server(args, port, None, Path(a.site) / "terms-server.log")
    try:
        token = run.sign_in(port, accounts["accounts"][0])
        conn = http.client.HTTPSConnection("127.0.0.1", port, context=run.TLS, timeout=30)
        headers = {"Authorization": "Bearer " + token}
        timed = []
        for _ in range(max(1, a.passes)):
            timed = []
            for term in terms:
                started = time.perf_counter()
                conn.request("GET", "/api/v1/patients?name=" + urllib.parse.quote(term),
                             headers=headers)
                response = conn.getresponse()
                body = response.read()
                elapsed = (time.perf_counter() - started) * 1000
                if response.status != 200:
                    raise SystemExit(f"HTTP {response.status} for a search: {body[:200]!r}")
                page = json.loads(body)
                timed.append((elapsed, term, page.get("total"), page.get("total_capped")))
        ms = sorted(t[0] for t in timed)
        print(f"{len(ms)} searches: p50 {percentile(ms, .5):.2f}  p90 {percentile(ms, .9):.2f}  "
              f"p99 {percentile(ms, .99):.2f}  max {ms[-1]:.2f} ms")
        for elapsed, term, total, capped in sorted(timed, reverse=True)[:a.slowest]:
            more = "+" if capped else ""
            print(f"  {elapsed:7.2f} ms  {term!r:34} total {total}{more}")
    finally:
        run.stop_server(proc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
