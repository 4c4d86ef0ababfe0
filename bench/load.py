"""Load benchmark: start gunicorn on a seeded database, drive it with concurrent clients, print a table.

    .venv/bin/python -m bench.load                           # SQLite instance/bench.db (seed it first)
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench .venv/bin/python -m bench.load
    .venv/bin/python -m bench.load --clients 20 --duration 30 --scenario mixed

It starts `.venv/bin/gunicorn -w 2 -b 127.0.0.1:<port> wsgi:app` (PORTAL_ENV=development, since
production's Secure cookies are not sent back over plain http; REDIS_URL=redis://127.0.0.1:6379/14
so both workers share the rate-limit counters), waits for /healthz, then runs two phases:

- mixed: the clients split between anonymous visitors (/, /auth/login, /organisations/register,
  /healthz), leaders of approved organisations, each signed in as a different leader (/,
  /organisations/, /organisations/<her organisation>) and Mission staff (/staff/, the queue of
  pending organisations, the approved ones searched by name). Each client asks for its pages in
  turn, with no pause (a closed loop: a client sends its next request when the last one is answered).
- public: every client asks for the anonymous home page `/`: the throughput of a public page.

Each client is a thread with its own cookies; it opens a connection per request (gunicorn's sync
workers close it after each answer anyway) and sends `Accept-Encoding: gzip`. A request counts as an
error unless it is answered 2xx. Latency is measured by the client (so it includes the time a
request waits for a free worker); the server's own time per request comes from gunicorn's access
log (%(D)s). The run stops by itself after --duration seconds per phase (or --max-requests), and
gunicorn is stopped at the end whatever happens. Only 127.0.0.1 is ever targeted.
"""
from __future__ import annotations

import argparse
import gzip
import http.client
import itertools
import math
import os
import platform
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.seed_large import BENCH_PASSWORD, database_url, refuse_protected  # noqa: E402

HOST = "127.0.0.1"  # the only address this script ever sends to
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
REDIS_URL = "redis://127.0.0.1:6379/14"
SEARCH_TERMS = ["samahan", "pekerja", "sisters", "union", "ponorogo", "women"]
PAGES = {
    "anon": ["/", "/auth/login", "/organisations/register", "/healthz", "/trainings/", "/directory/",
             "/directory/?kind=shelter&language=id", "/campaigns/", "/campaigns/?role=marshal&language=id"],
    "leader": ["/", "/organisations/", "/organisations/{org}"],
    "staff": ["/staff/", "/staff/organisations", "/staff/organisations?state=approved&q={q}"],
    # Referrals (seed_large's 20,000): the queue of open cases, of closed ones, and a case (its read audited).
    "supervisor": ["/staff/referrals/", "/staff/referrals/?view=closed", "/staff/referrals/{ref}"],
}
ROLE_NAMES = {"anon": "anonymous", "leader": "leader", "staff": "staff", "supervisor": "supervisor"}
P95_TARGET_MS = 100
PUBLIC_TARGET_RPS = 250
CSRF_RE = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"|<input[^>]*value="([^"]+)"[^>]*name="csrf_token"')


# --- a client: one connection, its cookies ---

class Client:
    """A minimal HTTP/1.1 client: one connection per request (`Connection: close`, which gunicorn's sync
    workers do anyway), read to the end. About half the CPU of http.client per request, which matters
    when the load generator shares the machine with the server."""

    def __init__(self, port: int, number: int):
        self.port = port
        self.cookies: dict[str, str] = {}
        self.fixed = (f"Host: {HOST}:{port}\r\nAccept-Encoding: gzip\r\nAccept: text/html\r\n"
                      f"User-Agent: bench-load/1 (client {number})\r\nConnection: close\r\n")

    def request(self, method: str, path: str, body: bytes | None = None, tag: str = "-",
                content_type: str | None = None) -> tuple[int, dict, bytes]:
        head = f"{method} {path} HTTP/1.1\r\n{self.fixed}X-Bench-Page: {tag}\r\n"
        if self.cookies:
            head += "Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()) + "\r\n"
        if body is not None:
            head += f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
        with socket.create_connection((HOST, self.port), timeout=30) as sock:
            sock.sendall(head.encode("latin-1") + b"\r\n" + (body or b""))
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        raw = b"".join(chunks)
        header_block, sep, data = raw.partition(b"\r\n\r\n")
        if not sep or not header_block.startswith(b"HTTP/1."):
            raise http.client.BadStatusLine(raw[:80].decode("latin-1"))
        lines = header_block.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "set-cookie":
                self._cookie(value)
            headers[name] = value
        if headers.get("transfer-encoding", "").lower() == "chunked":
            data = _unchunk(data)
        return status, headers, data

    def _cookie(self, header: str) -> None:
        name, _, rest = header.partition("=")
        value = rest.split(";", 1)[0]
        lowered = header.lower()
        if not value or "max-age=0" in lowered or "expires=thu, 01 jan 1970" in lowered:
            self.cookies.pop(name.strip(), None)
        else:
            self.cookies[name.strip()] = value

    def text(self, headers: dict, data: bytes) -> str:
        if headers.get("content-encoding") == "gzip":
            data = gzip.decompress(data)
        return data.decode("utf-8", "replace")

    def sign_in(self, identifier: str, password: str) -> None:
        status, headers, data = self.request("GET", "/auth/login")
        match = CSRF_RE.search(self.text(headers, data)) if status == 200 else None
        if not match:
            raise RuntimeError(f"GET /auth/login answered {status} without a csrf_token")
        form = urllib.parse.urlencode({"identifier": identifier, "password": password,
                                       "csrf_token": match.group(1) or match.group(2), "next": ""})
        status, headers, _ = self.request("POST", "/auth/login", body=form.encode(),
                                          content_type="application/x-www-form-urlencoded")
        if status != 303:
            raise RuntimeError(f"signing in as {identifier} answered {status}, not 303")


def _unchunk(data: bytes) -> bytes:
    out, pos = [], 0
    while True:
        end = data.index(b"\r\n", pos)
        size = int(data[pos:end].split(b";")[0], 16)
        if size == 0:
            return b"".join(out)
        out.append(data[end + 2:end + 2 + size])
        pos = end + 2 + size + 2


# --- who the clients are ---

@dataclass
class Persona:
    role: str                 # anon | leader | staff
    login: str | None = None  # phone or e-mail
    org_id: int | None = None
    org_size: int | None = None
    largest: bool = False     # the leader of the largest organisation: her page is reported on its own row
    refs: tuple = ()          # a supervisor's cases, opened in turn


def personas(url: str, n: int, mix: dict[str, int], seed: int) -> list[Persona]:
    """n clients split by the weights of mix; leaders are different people of approved organisations."""
    from sqlalchemy import create_engine, text
    total = sum(mix.values())
    quotas = {role: n * w / total for role, w in mix.items()}
    counts = {role: int(q) for role, q in quotas.items()}
    for role in sorted(quotas, key=lambda r: quotas[r] - counts[r], reverse=True)[:n - sum(counts.values())]:
        counts[role] += 1
    engine = create_engine(url)
    with engine.connect() as conn:
        staff = [r[0] for r in conn.execute(text(
            "SELECT email FROM users WHERE role = 'staff' AND is_enabled AND email IS NOT NULL ORDER BY id"))]
        leaders = conn.execute(text(
            "SELECT u.phone, o.id, (SELECT count(*) FROM memberships x WHERE x.organisation_id = o.id"
            "  AND x.state <> 'removed') FROM memberships m JOIN users u ON u.id = m.user_id"
            " JOIN organisations o ON o.id = m.organisation_id WHERE m.role = 'leader' AND m.state = 'active'"
            " AND o.state = 'approved' AND u.is_enabled AND u.phone IS NOT NULL ORDER BY o.id")).all()
        supervisors = [r[0] for r in conn.execute(text(
            "SELECT email FROM users WHERE role = 'supervisor' AND is_enabled AND email IS NOT NULL ORDER BY id"))]
        refs = [r[0] for r in conn.execute(text(
            "SELECT ref FROM referrals WHERE state IN ('assigned', 'submitted', 'triaged') ORDER BY id LIMIT 2000"))]
    engine.dispose()
    if counts.get("supervisor") and not (supervisors and refs):
        sys.exit("The database has no supervisors or no open referrals: run bench/seed_large.py first.")
    if (counts.get("staff") and not staff) or (counts.get("leader") and not leaders):
        sys.exit("The database has no staff or no leaders of approved organisations: run bench/seed_large.py first.")
    rng = random.Random(seed)
    # Leaders picked at random (most organisations are small), and one of them the leader of the
    # largest organisation, whose page lists the most members: the worst case, on a row of its own.
    largest = max(leaders, key=lambda r: r[2])
    chosen = rng.sample([r for r in leaders if r is not largest], max(0, min(counts.get("leader", 0),
                                                                            len(leaders)) - 1))
    out = [Persona("anon") for _ in range(counts.get("anon", 0))]
    out += [Persona("leader", phone, org_id, size) for phone, org_id, size in chosen]
    if counts.get("leader"):
        out.append(Persona("leader", largest[0], largest[1], largest[2], largest=True))
    out += [Persona("staff", staff[i % len(staff)]) for i in range(counts.get("staff", 0))]
    out += [Persona("supervisor", supervisors[i % len(supervisors)], refs=tuple(rng.sample(refs, min(50, len(refs)))))
            for i in range(counts.get("supervisor", 0))]
    rng.shuffle(out)  # roles interleaved, so that all start at once
    return out


def label(role: str, template: str, who: Persona | None = None) -> str:
    if who is not None and who.largest and "{org}" in template:
        return f"{ROLE_NAMES[role]} {template.replace('{org}', f'<largest: {who.org_size} people>')}"
    return f"{ROLE_NAMES[role]} {template.replace('{org}', '<id>').replace('{q}', '<term>').replace('{ref}', '<ref>')}"


# --- a phase ---

@dataclass
class Result:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    statuses: dict[str, dict[int, int]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    started: float = 0.0
    last_done: float = 0.0
    window: float = 0.0


def run_phase(name: str, port: int, people: list[Persona], duration: float, warmup: float,
              max_requests: int, plans: dict[str, list[str]], think: float = 0.0) -> Result:
    result = Result()
    ready = threading.Barrier(len(people) + 1)
    go = threading.Event()
    clock: dict[str, float] = {}
    budget = itertools.count()  # next() is atomic in CPython: the total bound on measured requests

    def client_main(number: int, who: Persona):
        client = Client(port, number)
        latencies: dict[str, list[float]] = {}
        statuses: dict[str, dict[int, int]] = {}
        try:
            if who.role != "anon":
                client.sign_in(who.login, BENCH_PASSWORD)
        except Exception as e:  # a client that cannot sign in does not take part; the run says so
            result.failures.append(f"client {number} ({who.role} {who.login}): {e}")
        ok = not any(f.startswith(f"client {number} ") for f in result.failures)
        try:
            ready.wait(timeout=120)
        except threading.BrokenBarrierError:
            return
        go.wait()
        if not ok:
            return
        rng = random.Random(number)
        pages = plans[who.role]
        last_done = 0.0
        for i in itertools.count(number):
            now = time.perf_counter()
            if now >= clock["end"]:
                break
            template = pages[i % len(pages)]
            path = template.format(org=who.org_id, q=rng.choice(SEARCH_TERMS),
                                   ref=rng.choice(who.refs) if who.refs else "")
            key = label(who.role, template, who)
            measured = now >= clock["start"]
            if measured and next(budget) >= max_requests:
                break
            t0 = time.perf_counter()
            try:
                status, _, _ = client.request("GET", path, tag=f"{name}|{key}" if measured else "-")
            except (OSError, http.client.HTTPException):
                status = 0
            elapsed = time.perf_counter() - t0
            if measured:
                last_done = t0 + elapsed
                latencies.setdefault(key, []).append(elapsed)
                by_status = statuses.setdefault(key, {})
                by_status[status] = by_status.get(status, 0) + 1
            if think:  # a pause between pages, like a person reading (exponential, mean `think` s)
                time.sleep(min(rng.expovariate(1 / think), max(0.0, clock["end"] - time.perf_counter())))
        with lock:
            result.last_done = max(result.last_done, last_done)
            for key, values in latencies.items():
                result.latencies.setdefault(key, []).extend(values)
            for key, by_status in statuses.items():
                merged = result.statuses.setdefault(key, {})
                for status, n in by_status.items():
                    merged[status] = merged.get(status, 0) + n

    lock = threading.Lock()
    threads = [threading.Thread(target=client_main, args=(i, who), daemon=True) for i, who in enumerate(people)]
    for t in threads:
        t.start()
    ready.wait(timeout=120)
    now = time.perf_counter()
    clock["start"], clock["end"] = now + warmup, now + warmup + duration
    go.set()
    for t in threads:
        t.join(timeout=warmup + duration + 60)
    result.started = clock["start"]
    # Normally the whole --duration; shorter when --max-requests stopped the clients first.
    result.window = min(duration, max(result.last_done - clock["start"], 1e-3))
    return result


# --- the server ---

def free_port(preferred: int) -> int:
    for port in (preferred, 0):
        with socket.socket() as s:
            try:
                s.bind((HOST, port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise RuntimeError("no free port")


def start_gunicorn(url: str, port: int, workers: int, logdir: Path, gunicorn: Path | str = GUNICORN) -> subprocess.Popen:
    env = dict(os.environ, DATABASE_URL=url, PORTAL_ENV="development", REDIS_URL=REDIS_URL,
               SECRET_KEY=os.environ.get("SECRET_KEY") or f"bench-{random.getrandbits(64):x}")
    cmd = [str(gunicorn), "-w", str(workers), "-b", f"{HOST}:{port}",
           "--access-logfile", str(logdir / "access.log"),
           "--access-logformat", "%(D)s %(s)s %({x-bench-page}i)s", "wsgi:app"]
    with open(logdir / "gunicorn.log", "wb") as log:
        return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)


def wait_healthy(proc: subprocess.Popen, port: int, logdir: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        conn = http.client.HTTPConnection(HOST, port, timeout=2)
        try:
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except (OSError, http.client.HTTPException):
            pass
        finally:
            conn.close()
        time.sleep(0.2)
    tail = (logdir / "gunicorn.log").read_text(errors="replace")[-3000:]
    raise RuntimeError(f"gunicorn did not answer /healthz with 200 within {timeout:.0f} s:\n{tail}")


def stop_gunicorn(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()  # the master stops its workers
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # its own process group (start_new_session)
            proc.wait(timeout=5)


# --- CPU accounting, from /proc ---

TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[str, int, float] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    comm = raw[raw.index("(") + 1:raw.rindex(")")]
    fields = raw[raw.rindex(")") + 2:].split()
    return comm, int(fields[1]), (int(fields[11]) + int(fields[12])) / TICK  # ppid, utime + stime


def cpu_snapshot(master: int) -> dict[str, float]:
    """CPU seconds so far: gunicorn (master and workers), PostgreSQL's processes, this process, the machine."""
    out = {"gunicorn": 0.0, "postgres": 0.0}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        st = _stat(int(entry.name))
        if st is None:
            continue
        comm, ppid, cpu = st
        if int(entry.name) == master or ppid == master:
            out["gunicorn"] += cpu
        elif comm == "postgres":
            out["postgres"] += cpu
    t = os.times()
    out["load generator"] = t.user + t.system
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    values = [int(v) / TICK for v in fields]
    out["_idle"] = values[3] + values[4]
    out["_total"] = sum(values[:8])
    return out


# --- reporting ---

def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[max(0, math.ceil(q * len(sorted_values)) - 1)]


def server_times(logdir: Path) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    path = logdir / "access.log"
    if not path.exists():
        return out
    for line in path.read_text(errors="replace").splitlines():
        parts = line.split(" ", 2)
        if len(parts) == 3 and parts[2] != "-" and parts[0].isdigit():
            out.setdefault(parts[2], []).append(int(parts[0]) / 1e6)
    return out


def table(name: str, result: Result, server: dict[str, list[float]], order: list[str]) -> tuple[str, list[str]]:
    lines = [
        "| page | requests | req/s | p50 ms | p95 ms | p99 ms | server p50 ms | server p95 ms | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    missed = []
    total = 0
    window = result.window or 1
    for key in [k for k in order if k in result.latencies]:
        values = sorted(result.latencies[key])
        srv = sorted(server.get(f"{name}|{key}", []))
        errors = sum(n for status, n in result.statuses[key].items() if not 200 <= status < 300)
        total += len(values)
        p95 = percentile(values, 0.95) * 1000
        srv_cols = (f"{percentile(srv, 0.5) * 1000:.1f} | {percentile(srv, 0.95) * 1000:.1f}" if srv else "– | –")
        lines.append(f"| {key} | {len(values)} | {len(values) / window:.1f} | {percentile(values, 0.5) * 1000:.1f} "
                     f"| {p95:.1f} | {percentile(values, 0.99) * 1000:.1f} | {srv_cols} | {errors} |")
        if p95 > P95_TARGET_MS:
            missed.append(f"{key}: p95 {p95:.0f} ms > {P95_TARGET_MS} ms")
        if errors:
            bad = {s: n for s, n in result.statuses[key].items() if not 200 <= s < 300}
            missed.append(f"{key}: {errors} errors " + ", ".join(f"{s or 'no answer'}×{n}" for s, n in bad.items()))
    lines.append(f"| **all** | {total} | **{total / window:.1f}** | | | | | | |")
    return "\n".join(lines), missed


def machine() -> str:
    mem = next((line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal:")), "0")
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True, timeout=10).stdout.strip() or "?"
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except OSError:
        commit, dirty = "?", ""
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.machine())
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    return (f"{datetime.now(timezone.utc).astimezone().strftime('%Y-%m-%d %H:%M %Z')}; {os.cpu_count()} cores "
            f"({cpu}), {int(mem) / 1024 / 1024:.1f} GiB memory; commit {commit}"
            f"{' (with uncommitted changes)' if dirty else ''}; load average before the run {load}")


def interpreter(gunicorn: Path | str) -> str:
    """Which Python runs gunicorn (the interpreter's build matters: see docs/benchmarks.md)."""
    first = Path(gunicorn).read_text(errors="replace").split("\n", 1)[0]
    python = first[2:].strip() if first.startswith("#!") else sys.executable
    try:
        out = subprocess.run([python, "-c", "import platform, sys; print(platform.python_version(), sys.executable)"],
                             capture_output=True, text=True, timeout=30).stdout.split()
        version, executable = out
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return f"gunicorn: {gunicorn}."
    return f"gunicorn: {gunicorn}, on Python {version} ({os.path.realpath(executable)})."


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="default: $DATABASE_URL, else sqlite instance/bench.db")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--duration", type=float, default=30, help="measured seconds per phase")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of load before measuring")
    parser.add_argument("--max-requests", type=int, default=100_000, help="bound on measured requests per phase")
    parser.add_argument("--scenario", choices=["mixed", "public", "all"], default="all")
    parser.add_argument("--mix", default="anon=2,leader=2,staff=1", help="weights of the kinds of client (mixed)")
    parser.add_argument("--think", type=float, default=0.0,
                        help="mean pause in seconds between a client's requests (default 0: a closed loop)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--gunicorn", default=str(GUNICORN), help="the gunicorn to run, which picks the Python "
                        "(default: the project's .venv/bin/gunicorn; see docs/benchmarks.md on the interpreter)")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--seed", type=int, default=1, help="which leaders are picked")
    args = parser.parse_args(argv)
    if not 1 <= args.clients <= 200 or not 0 < args.duration <= 600 or not 0 <= args.warmup <= 60 \
            or not 0 <= args.think <= 60:
        parser.error("keep --clients within 1..200, --duration within 0..600 s, --warmup within 0..60 s "
                     "and --think within 0..60 s")
    mix = {k.strip(): int(v) for k, v in (part.split("=") for part in args.mix.split(","))}
    if set(mix) - set(PAGES) or sum(mix.values()) <= 0:
        parser.error(f"--mix takes weights of {', '.join(PAGES)}")

    url = database_url(args.database_url)
    refuse_protected(url)
    from sqlalchemy.engine import make_url
    shown_url = make_url(url).render_as_string(hide_password=True)
    phases = ["mixed", "public"] if args.scenario == "all" else [args.scenario]
    print(f"# Load benchmark on {shown_url}\n\n{machine()}.\n"
          f"{interpreter(args.gunicorn)}\n"
          f"gunicorn -w {args.workers} (sync workers), {args.clients} clients"
          f"{f' pausing {args.think:g} s on average between requests' if args.think else ' with no pause'}, "
          f"{args.warmup:g} s warm-up then {args.duration:g} s measured per phase.\n", flush=True)

    load1 = float(Path("/proc/loadavg").read_text().split()[0])
    if load1 > 0.5:
        print(f"Warning: the machine is busy (load average {load1:.2f}) before the run: the figures will be "
              f"lower than on a quiet machine. See the CPU lines under the tables.\n", flush=True)
    logdir = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    port = free_port(args.port)
    proc = start_gunicorn(url, port, args.workers, logdir, args.gunicorn)
    def _terminated(signum, frame):
        raise KeyboardInterrupt  # so that gunicorn is stopped on the way out
    previous = signal.signal(signal.SIGTERM, _terminated)
    results = {}
    try:
        wait_healthy(proc, port, logdir)
        for name in phases:
            if name == "mixed":
                people = personas(url, args.clients, mix, args.seed)
                plans = PAGES
            else:
                people = [Persona("anon") for _ in range(args.clients)]
                plans = {"anon": ["/"]}
            roles = {r: sum(p.role == r for p in people) for r in PAGES}
            sizes = sorted(p.org_size for p in people if p.org_size is not None and not p.largest)
            sizes += [p.org_size for p in people if p.largest]
            print(f"Phase {name}: " + ", ".join(f"{n} {ROLE_NAMES[r]}" for r, n in roles.items() if n) +
                  (f" (their organisations have {', '.join(map(str, sizes[:-1]))} and, the largest, {sizes[-1]} "
                   f"people)" if sizes else "") + " …",
                  flush=True)
            before = cpu_snapshot(proc.pid)
            result = run_phase(name, port, people, args.duration, args.warmup, args.max_requests, plans,
                               args.think)
            after = cpu_snapshot(proc.pid)
            results[name] = (result, {k: after[k] - before[k] for k in after}, people, plans)
            for failure in result.failures:
                print(f"  ! {failure}", flush=True)
            time.sleep(1)
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130
    finally:
        stop_gunicorn(proc)
        signal.signal(signal.SIGTERM, previous)

    server = server_times(logdir)
    all_missed = []
    for name, (result, cpu, people, plans) in results.items():
        order = [label(role, t) for role in PAGES for t in plans.get(role, [])]
        order += sorted(k for k in result.latencies if k not in order)
        text, missed = table(name, result, server, order)
        busy = (cpu["_total"] - cpu["_idle"])
        window = cpu["_total"] / (os.cpu_count() or 1)
        others = busy - cpu["gunicorn"] - cpu["postgres"] - cpu["load generator"]
        print(f"\n## Phase {name} ({result.window:.1f} s measured)\n\n{text}\n")
        print(f"CPU over the phase (sign-ins and warm-up included), {os.cpu_count()} cores × {window:.0f} s = {cpu['_total']:.0f} "
              f"core-seconds: gunicorn {cpu['gunicorn']:.1f}, PostgreSQL {cpu['postgres']:.1f}, load generator "
              f"{cpu['load generator']:.1f}, other processes {max(others, 0):.1f}, idle {cpu['_idle']:.1f}.")
        if name == "public":
            rps = sum(len(v) for v in result.latencies.values()) / (result.window or 1)
            if rps < PUBLIC_TARGET_RPS:
                missed.append(f"public page /: {rps:.0f} requests/s < {PUBLIC_TARGET_RPS}")
        all_missed += [f"{name}: {m}" for m in missed]
        all_missed += [f"{name}: {f}" for f in result.failures]
    print(f"\nTargets: p95 ≤ {P95_TARGET_MS} ms on every page, ≥ {PUBLIC_TARGET_RPS} requests/s on a public page.")
    if all_missed:
        print("Missed:\n" + "\n".join(f"- {m}" for m in all_missed))
    else:
        print("All met.")
    print(f"\n(gunicorn's logs: {logdir})")
    return 1 if all_missed else 0


if __name__ == "__main__":
    sys.exit(main())
