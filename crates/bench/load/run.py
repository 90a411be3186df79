#!/usr/bin/env python3
"""HTTPS load test of `enamel serve` (issue #4). Python standard library only, plus wrk.

For each run: reset the database to its seeded copy, wait until the machine is quiet, start
`enamel serve` pinned to one core on a fresh loopback port, time start-up to the first 200 from
/readyz, sign in through the API (password, then a TOTP code computed here) to get a bearer
token, read the idle RSS, then for each figure run wrk pinned to the other core (a warm-up that
is not counted, then the measured run) with a Lua script from this folder, and finally read the
RSS after load and stop the server. /healthz is measured first in every run: it is the limit the
other figures of that run are stated against.

The seeded site comes from `enamel init` + `enamel-bench seed --accounts-out FILE` (see
bench.sh and docs/benchmarks.md). Every wait is bounded in time; nothing leaves 127.0.0.1.
"""

import argparse
import base64
import hashlib
import hmac
import http.client
import json
import os
import resource
import shutil
import signal
import socket
import ssl
import statistics
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIGURES = ("healthz", "read", "search", "update", "create")
# wrk's default 2 s timeout would drop the slowest requests from the latency figures.
WRK_TIMEOUT = "30s"
TLS = ssl.create_default_context()
TLS.check_hostname = False
TLS.verify_mode = ssl.CERT_NONE  # the site's self-signed certificate, on loopback


def log(message):
    print(message, flush=True)


# ---- the machine ---------------------------------------------------------------------------


def cpu_jiffies():
    """(total, idle) jiffies of the whole machine from /proc/stat."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:9]]
    return sum(values), values[3] + values[4]


def busy_percent(seconds):
    t0, i0 = cpu_jiffies()
    time.sleep(seconds)
    t1, i1 = cpu_jiffies()
    return 100.0 * (1.0 - (i1 - i0) / max(1, t1 - t0))


def load1():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def wait_quiet(limit, max_wait, poll):
    """Waits (at most max_wait s, checking every poll s) until whole-machine CPU over 3 s is
    below limit %. Returns what was seen at the start of the run."""
    started = time.monotonic()
    while True:
        busy = busy_percent(3.0)
        seen = {"busy_pct": round(busy, 1), "load1": load1(),
                "waited_s": round(time.monotonic() - started)}
        if busy < limit:
            return dict(seen, quiet=True)
        if time.monotonic() - started + poll > max_wait:
            log(f"  machine still busy ({busy:.0f}% CPU) after {seen['waited_s']} s: measuring anyway")
            return dict(seen, quiet=False)
        log(f"  machine busy ({busy:.0f}% CPU, load {seen['load1']}); checking again in {poll} s")
        time.sleep(poll)


def proc_cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_mem_mib(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key = line.split(":", 1)[0]
            if key in ("VmRSS", "VmHWM"):
                out[key] = round(int(line.split()[1]) / 1024, 1)
    return out


PG_SHARED = (b"walwriter", b"checkpointer", b"background writer", b"autovacuum")


def pg_cpu_seconds(database):
    """CPU of the PostgreSQL processes serving this benchmark: the backends connected to
    `database` and the server's shared writers (they run on both cores, unpinned)."""
    if not database:
        return 0.0
    total = 0.0
    name = f" {database} ".encode()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/comm", "rb") as f:
                if f.read().strip() != b"postgres":
                    continue
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ")
            if name in cmdline or any(s in cmdline for s in PG_SHARED):
                total += proc_cpu_seconds(int(entry))
        except OSError:
            continue
    return total


def children_cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---- HTTPS, sign-in ------------------------------------------------------------------------


def call(port, method, path, body=None, timeout=10.0):
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=TLS, timeout=timeout)
    try:
        headers = {}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def totp(secret_b32, unix_time):
    """RFC 6238: SHA-1, 6 digits, 30-second steps (as enamel_crypto::totp_code)."""
    secret = secret_b32.strip().upper()
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    mac = hmac.new(key, struct.pack(">Q", int(unix_time) // 30), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def sign_in(port, account):
    """Password, then TOTP; a code works once, so a refused code waits for the next step."""
    for _ in range(3):
        status, raw = call(port, "POST", "/api/v1/auth/login",
                           {"username": account["username"], "password": account["password"]})
        if status != 200:
            raise SystemExit(f"sign-in (password step) answered HTTP {status}: {raw[:200]!r}")
        mfa_token = json.loads(raw)["mfa_token"]
        status, raw = call(port, "POST", "/api/v1/auth/mfa",
                           {"mfa_token": mfa_token, "code": totp(account["totp_secret"], time.time())})
        if status == 200:
            return json.loads(raw)["access_token"]
        time.sleep(31 - time.time() % 30)
    raise SystemExit("sign-in (TOTP step) refused three times")


# ---- the server ----------------------------------------------------------------------------


SIGNER_MEMORY = Path("audit-signing") / "checkpoint-signer-memory.json"


def reset_database(args):
    """Back to the seeded state, so each run starts at the same number of patients. The audit
    checkpoint signer's memory goes back with it: left as the last run wrote it, it names a
    longer log than the reset database holds, and the server (rightly) refuses to sign."""
    if args.signer_pristine:
        memory = Path(args.site) / SIGNER_MEMORY
        shutil.copyfile(args.signer_pristine, memory)
        os.chmod(memory, 0o600)
    if args.sqlite_pristine:
        db = Path(args.site) / "enamel.db"
        for suffix in ("-wal", "-shm"):
            Path(str(db) + suffix).unlink(missing_ok=True)
        shutil.copyfile(args.sqlite_pristine, db)
        os.chmod(db, 0o600)
        return None
    if args.pg_template:
        run_db = f"{args.pg_template}_run"
        for sql in (f'DROP DATABASE IF EXISTS "{run_db}"',
                    f'CREATE DATABASE "{run_db}" TEMPLATE "{args.pg_template}"'):
            subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", args.pg_admin_url, "-c", sql],
                           check=True, timeout=600)
        return f"{args.pg_server_url.rstrip('/')}/{run_db}"
    return None


def drop_run_database(args):
    if args.pg_template:
        subprocess.run(["psql", "-q", args.pg_admin_url, "-c",
                        f'DROP DATABASE IF EXISTS "{args.pg_template}_run"'], timeout=600)


def start_server(args, port, database_url, log_path):
    # Enamel refuses ENAMEL_* variables it does not know, such as the token meant for wrk.
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENAMEL_BENCH")}
    # The per-address API limit (50/s by default) would answer 429 to a load generator on
    # one address: raised to its maximum for the benchmark, and said so in the results.
    env["ENAMEL_HTTP__API_REQUESTS_PER_SEC"] = "100000"
    env["ENAMEL_HTTP__API_TOKEN_REQUESTS_PER_SEC"] = "100000"
    if database_url:
        env["ENAMEL_DATABASE__URL"] = database_url
    cmd = ["taskset", "-c", args.server_cpu, args.enamel, "--data-dir", args.site,
           "serve", "--listen", f"127.0.0.1:{port}"]
    out = open(log_path, "wb")
    started = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
    out.close()
    while time.monotonic() - started < args.ready_timeout:
        if proc.poll() is not None:
            raise SystemExit(f"the server stopped at start-up; see {log_path}")
        try:
            status, _ = call(port, "GET", "/readyz", timeout=2.0)
            if status == 200:
                return proc, time.monotonic() - started
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(0.005)
    stop_server(proc)
    raise SystemExit(f"the server was not ready within {args.ready_timeout} s; see {log_path}")


def stop_server(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


# ---- wrk -----------------------------------------------------------------------------------


def split_figure(spec):
    """`search` or `search@1` (the same script with 1 connection instead of --connections)."""
    name, _, conns = spec.partition("@")
    return name, int(conns) if conns else None


def run_wrk(args, port, spec, seconds, token, files):
    figure, conns = split_figure(spec)
    cmd = ["taskset", "-c", args.client_cpu, args.wrk, "-t1", f"-c{conns or args.connections}",
           f"-d{seconds}s", "--timeout", WRK_TIMEOUT, "--latency", "-s",
           str(HERE / f"{figure}.lua"), f"https://127.0.0.1:{port}"]
    if figure in files:
        cmd += ["--", str(files[figure])]
    env = dict(os.environ, ENAMEL_BENCH_TOKEN=token)
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=seconds + 60)
    for line in proc.stdout.splitlines():
        if line.startswith("WRKJSON "):
            return json.loads(line[len("WRKJSON "):]), proc.stdout
    raise SystemExit(f"wrk gave no result for {figure}:\n{proc.stdout}\n{proc.stderr}")


def measure(args, port, pid, figure, token, files, out_dir, run_no):
    before = wait_quiet(args.quiet_pct, args.figure_wait, args.poll)
    if args.warmup > 0:
        run_wrk(args, port, figure, args.warmup, token, files)
    peak = {"VmRSS": 0.0}
    stop = threading.Event()

    def sample():
        while not stop.wait(0.5):
            try:
                peak["VmRSS"] = max(peak["VmRSS"], proc_mem_mib(pid)["VmRSS"])
            except (OSError, KeyError):
                return

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    t0, i0 = cpu_jiffies()
    pg_db = f"{args.pg_template}_run" if args.pg_template else None
    d0 = pg_cpu_seconds(pg_db)
    s0, c0, w0 = proc_cpu_seconds(pid), children_cpu_seconds(), time.monotonic()
    result, text = run_wrk(args, port, figure, args.seconds, token, files)
    wall = time.monotonic() - w0
    s1, c1 = proc_cpu_seconds(pid), children_cpu_seconds()
    db_cores = (pg_cpu_seconds(pg_db) - d0) / wall
    t1, i1 = cpu_jiffies()
    stop.set()
    sampler.join(timeout=5)
    (out_dir / f"wrk-{figure.replace('@', '-c')}-{run_no}.txt").write_text(text)
    secs = result["duration_us"] / 1e6
    busy_cores = 2.0 * (1.0 - (i1 - i0) / max(1, t1 - t0))  # 2 cores on this machine
    server_cores = (s1 - s0) / wall
    wrk_cores = (c1 - c0) / wall
    errors = sum(result[k] for k in ("connect_errors", "read_errors", "write_errors", "timeouts"))
    figures = {
        "rps": result["requests"] / secs,
        "p50_ms": result["p50_us"] / 1000,
        "p90_ms": result["p90_us"] / 1000,
        "p99_ms": result["p99_us"] / 1000,
        "max_ms": result["max_us"] / 1000,
        "requests": result["requests"],
        "non_2xx": result["status_errors"],
        "socket_errors": errors,
        "server_cores": round(server_cores, 2),
        "server_cpu_us_per_req": 1e6 * (s1 - s0) / max(1, result["requests"]),
        "wrk_cores": round(wrk_cores, 2),
        "db_cores": round(db_cores, 2),
        "others_pct_of_machine": round(
            max(0.0, busy_cores - server_cores - wrk_cores - db_cores) * 50, 1),
        "rss_peak_mib": peak["VmRSS"],
        "before": before,
    }
    log(f"  {figure:7s} {figures['rps']:9.0f} req/s  p50 {figures['p50_ms']:.2f} ms  "
        f"p99 {figures['p99_ms']:.2f} ms  non-2xx {figures['non_2xx']}  socket errors {errors}  "
        f"server {server_cores:.2f} cores, {figures['server_cpu_us_per_req']:.0f} µs/req"
        + (f", PostgreSQL {db_cores:.2f} cores; " if pg_db else "; ")
        + 
        f"others {figures['others_pct_of_machine']}%  (quiet before: {before['busy_pct']}%)")
    return figures


def one_run(args, run_no, accounts, files, out_dir):
    log(f"run {run_no}:")
    database_url = reset_database(args)
    before = wait_quiet(args.quiet_pct, args.max_wait, args.poll)
    port = free_port()
    proc, startup = start_server(args, port, database_url, out_dir / f"server-{run_no}.log")
    try:
        token = sign_in(port, accounts["accounts"][0])
        time.sleep(1.0)
        idle = proc_mem_mib(proc.pid)
        log(f"  start-up to ready {startup * 1000:.0f} ms; idle RSS {idle['VmRSS']} MiB "
            f"(machine before: {before['busy_pct']}% CPU, load {before['load1']})")
        figures = {}
        for figure in args.figures:
            figures[figure] = measure(args, port, proc.pid, figure, token, files, out_dir, run_no)
        after = proc_mem_mib(proc.pid)
    finally:
        stop_server(proc)
        drop_run_database(args)
    return {"run": run_no, "startup_ms": startup * 1000, "idle": idle, "after": after,
            "before": before, "figures": figures}


# ---- the summary ---------------------------------------------------------------------------


def spread(values, fmt):
    if not values:
        return "—", "—"
    return fmt(statistics.median(values)), f"{fmt(min(values))}–{fmt(max(values))}"


def summarize(runs, label):
    lines = [f"### {label}", "",
             "| Figure | Median | Min–max | Against /healthz in the same run (median, min–max) "
             "| Others' CPU during, % of machine (per run) |",
             "|---|---:|---:|---|---|"]
    kilo = lambda v: f"{v:,.0f}"
    ms = lambda v: f"{v:.2f}"
    pct = lambda v: f"{v:.1f} %" if v < 10 else f"{v:.0f} %"
    times = lambda v: f"{v:.1f}×"
    has_health = all("healthz" in r["figures"] for r in runs)
    specs = list(runs[0]["figures"]) if runs else []
    for figure in specs:
        if not all(figure in r["figures"] for r in runs):
            continue
        f = [r["figures"][figure] for r in runs]
        h = [r["figures"]["healthz"] for r in runs] if has_health else None
        for key, name, fmt in (("rps", "req/s", kilo), ("p50_ms", "p50 ms", ms),
                               ("p99_ms", "p99 ms", ms)):
            med, rng = spread([x[key] for x in f], fmt)
            if figure == "healthz" or not has_health:
                rel = "(the limit)" if figure == "healthz" else ""
            elif key == "rps":
                m, r = spread([x[key] / y[key] * 100 for x, y in zip(f, h)], pct)
                rel = f"{m} ({r}) of its req/s"
            else:
                m, r = spread([x[key] / y[key] for x, y in zip(f, h)], times)
                rel = f"{m} ({r}) its {name.split()[0]}"
            others = ", ".join(f"{x['others_pct_of_machine']:.0f}" for x in f) if key == "rps" else ""
            lines.append(f"| {figure} {name} | {med} | {rng} | {rel} | {others} |")
        bad = sum(x["non_2xx"] + x["socket_errors"] for x in f)
        if bad:
            lines.append(f"| {figure}: non-2xx or socket errors (all runs) | {bad} | | | |")
    med, rng = spread([r["startup_ms"] for r in runs], lambda v: f"{v:.0f}")
    lines.append(f"| start-up to ready, ms | {med} | {rng} | | |")
    med, rng = spread([r["idle"]["VmRSS"] for r in runs], lambda v: f"{v:.1f}")
    lines.append(f"| RSS idle (after sign-in), MiB | {med} | {rng} | | |")
    peaks = [max([x["rss_peak_mib"] for x in r["figures"].values()] or [0]) for r in runs]
    med, rng = spread(peaks, lambda v: f"{v:.1f}")
    lines.append(f"| RSS under load (highest 0.5 s sample), MiB | {med} | {rng} | | |")
    med, rng = spread([r["after"]["VmHWM"] for r in runs], lambda v: f"{v:.1f}")
    lines.append(f"| RSS peak (VmHWM) after all figures, MiB | {med} | {rng} | | |")
    quiet = [r["figures"][f]["before"]["busy_pct"] for r in runs for f in r["figures"]]
    others = [r["figures"][f]["others_pct_of_machine"] for r in runs for f in r["figures"]]
    lines += ["", f"Machine CPU in the 3 s before each figure: {min(quiet)}–{max(quiet)} %; "
              f"other processes during the figures: {min(others)}–{max(others)} % of the machine; "
              f"1-min load at run start: {', '.join(str(r['before']['load1']) for r in runs)}."]
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--enamel", required=True, help="the release `enamel` binary")
    p.add_argument("--site", required=True, help="data dir of the `enamel init`-ed site")
    p.add_argument("--accounts", required=True, help="the file `enamel-bench seed --accounts-out` wrote")
    p.add_argument("--out", required=True, help="folder for results.json, wrk outputs and server logs")
    p.add_argument("--label", default="run", help="title of the printed table")
    p.add_argument("--sqlite-pristine", help="seeded SQLite file copied over SITE/enamel.db before each run")
    p.add_argument("--signer-pristine",
                   help="the checkpoint signer's memory as it was for the seeded database")
    p.add_argument("--pg-template", help="seeded PostgreSQL database; each run gets a copy (TEMPLATE)")
    p.add_argument("--pg-admin-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    p.add_argument("--pg-server-url", default="postgres://postgres@127.0.0.1:5432")
    p.add_argument("--figures", default=",".join(FIGURES),
                   help="comma-separated; NAME@N runs NAME with N connections instead")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--seconds", type=int, default=15)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--connections", type=int, default=64)
    p.add_argument("--server-cpu", default="0")
    p.add_argument("--client-cpu", default="1")
    p.add_argument("--wrk", default="/usr/bin/wrk")
    p.add_argument("--quiet-pct", type=float, default=10.0)
    p.add_argument("--max-wait", type=int, default=900, help="longest wait for quiet before a run, s")
    p.add_argument("--figure-wait", type=int, default=300, help="longest wait for quiet before a figure, s")
    p.add_argument("--resummarize", action="store_true",
                   help="only print the table again from OUT/results.json")
    p.add_argument("--poll", type=int, default=30)
    p.add_argument("--ready-timeout", type=float, default=120.0)
    args = p.parse_args()
    if args.resummarize:
        saved = json.loads((Path(args.out) / "results.json").read_text())
        log(summarize(saved["runs"], args.label))
        return 0
    args.figures = [f.strip() for f in args.figures.split(",") if f.strip()]
    unknown = [f for f in args.figures if split_figure(f)[0] not in FIGURES]
    if unknown or not args.figures:
        raise SystemExit(f"unknown figures {unknown}; choose from {', '.join(FIGURES)}")
    if not 1 <= args.runs <= 10 or not 1 <= args.seconds <= 600:
        raise SystemExit("--runs must be 1–10 and --seconds 1–600")

    # The driver (sign-in, samplers, readiness polls) stays off the server's core.
    os.sched_setaffinity(0, {int(args.client_cpu)})
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    with open(args.accounts) as f:
        accounts = json.loads(f.readline())
    files = {"read": out_dir / "read-ids.txt", "update": out_dir / "update-targets.txt",
             "search": out_dir / "search-terms.txt"}
    files["read"].write_text("\n".join(accounts["read_ids"]) + "\n")
    files["update"].write_text("".join(
        f"{u['id']}\t{u['family_name']}\t{u['given_name']}\t{u['birth_date']}\n"
        for u in accounts["update"]))
    files["search"].write_text("\n".join(accounts["search_terms"]) + "\n")

    runs = [one_run(args, k, accounts, files, out_dir) for k in range(1, args.runs + 1)]
    settings = {k: v for k, v in vars(args).items() if k not in ("accounts",)}
    (out_dir / "results.json").write_text(json.dumps({"settings": settings, "runs": runs}, indent=1))
    table = summarize(runs, args.label)
    (out_dir / "summary.md").write_text(table + "\n")
    log("\n" + table)


if __name__ == "__main__":
    sys.exit(main())
