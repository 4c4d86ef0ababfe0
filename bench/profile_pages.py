"""Where a page's time goes, in-process: the pages of bench/load.py through Flask's test client on the
seeded database, one request at a time, with no HTTP server and no other load in the way.

    .venv/bin/python -m bench.profile_pages                    # SQLite instance/bench.db
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench .venv/bin/python -m bench.profile_pages
    .venv/bin/python -m bench.profile_pages --repeat 100 --profile /trainings/ --sort tottime

For each page it prints the median and p90 wall time and the median and least CPU time of the whole
request (routing, sign-in cookie, queries, templates, compression, headers), the bytes sent, the number
of SQL statements and, on PostgreSQL, the CPU time the server's processes spent on our connections.
When the machine is shared, the least CPU time is the steadiest of these. With --profile PAGE it runs
that page --repeat times under cProfile and prints the functions that took the most time. Server-side figures only: the HTTP parsing of gunicorn and the wait
for a free worker are not in them. Read only: nothing is written to the database but sign-ins.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.seed_large import BENCH_PASSWORD, bench_config, database_url, refuse_protected  # noqa: E402

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def sign_in(client, login: str) -> None:
    page = client.get("/auth/login").get_data(as_text=True)
    match = CSRF_RE.search(page)
    if match is None:
        raise SystemExit(f"no csrf_token on /auth/login: {page[:300]!r}")
    token = match.group(1) or match.group(2)
    r = client.post("/auth/login", data={"identifier": login, "password": BENCH_PASSWORD, "csrf_token": token,
                                         "next": ""})
    if r.status_code != 303:
        raise SystemExit(f"signing in as {login} answered {r.status_code}")


def _proc_cpu(pid: int) -> float:
    """user + system CPU seconds of a process (0 once it is gone)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = raw[raw.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="default: $DATABASE_URL, else sqlite instance/bench.db")
    parser.add_argument("--repeat", type=int, default=40, help="requests per page")
    parser.add_argument("--only", default="", help="only pages whose label contains this")
    parser.add_argument("--profile", default="", help="profile the page with this label (or those whose "
                        "label contains it)")
    parser.add_argument("--sort", default="cumulative", choices=["cumulative", "tottime"])
    parser.add_argument("--sampler", action="store_true", help="profile with pyinstrument (a sampling "
                        "profiler, much less distorting than cProfile on Jinja's generators) if it is importable")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--sql", action="store_true", help="print each page's SQL statements with their median "
                        "time (parameters inlined where they can be)")
    parser.add_argument("--production", action="store_true", help="ProductionConfig's cookie settings "
                        "(the test client sends Secure cookies back over http)")
    args = parser.parse_args(argv)
    url = database_url(args.database_url)
    refuse_protected(url)
    os.environ.setdefault("SECRET_KEY", "bench-profile")

    from sqlalchemy import event

    from bench.load import SEARCH_TERMS, personas
    from portal import create_app
    from portal.extensions import db

    config = bench_config(url)
    if args.production:
        config.SESSION_COOKIE_SECURE = config.REMEMBER_COOKIE_SECURE = True
    app = create_app(config)
    people = personas(url, 20, {"anon": 2, "leader": 2, "staff": 1}, 1)
    leader = next(p for p in people if p.role == "leader" and not p.largest)
    largest = next(p for p in people if p.largest)
    staff = next(p for p in people if p.role == "staff")

    pages = [  # (label, who, path)
        ("anonymous /", None, "/"),
        ("anonymous /auth/login", None, "/auth/login"),
        ("anonymous /organisations/register", None, "/organisations/register"),
        ("anonymous /healthz", None, "/healthz"),
        ("anonymous /trainings/", None, "/trainings/"),
        ("anonymous /campaigns/", None, "/campaigns/"),
        ("anonymous /campaigns/?role=marshal&language=id", None, "/campaigns/?role=marshal&language=id"),
        ("leader /", leader, "/"),
        ("leader /organisations/", leader, "/organisations/"),
        (f"leader /organisations/<id> ({leader.org_size} people)", leader, f"/organisations/{leader.org_id}"),
        (f"leader /organisations/<largest: {largest.org_size}>", largest, f"/organisations/{largest.org_id}"),
        ("leader /trainings/", leader, "/trainings/"),
        ("staff /staff/", staff, "/staff/"),
        ("staff /staff/organisations", staff, "/staff/organisations"),
        ("staff /staff/organisations?state=approved&q=<term>", staff,
         "/staff/organisations?state=approved&q={q}"),
    ]
    if args.only:
        pages = [p for p in pages if args.only in p[0]]
    exact = any(p[0] == args.profile for p in pages)  # else every page whose label contains it

    # Requests must not run inside an app context of ours: Flask would reuse it, and its `g` (where
    # Flask-Login keeps the user) would carry over from one request to the next.
    clients = {}
    for who in {id(p[1]): p[1] for p in pages}.values():
        c = app.test_client()
        c.environ_base.update({"REMOTE_ADDR": "127.0.0.1", "HTTP_ACCEPT": "text/html"})
        if who is not None:
            sign_in(c, who.login)
        c.environ_base["HTTP_ACCEPT_ENCODING"] = "gzip"  # as load.py's clients
        clients[id(who)] = c
    statements = [0]
    timings: dict[str, list[float]] = {}  # statement -> durations, with --sql
    started: list[float] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        statements[0] += 1
        started.append(time.perf_counter())

    def after(conn, cursor, statement, parameters, context, executemany):
        if args.sql:
            timings.setdefault(" ".join(statement.split()), []).append(time.perf_counter() - started[-1])
        started.pop()

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    backends: set[int] = set()  # PostgreSQL: the server processes of our connections, for their CPU time
    if engine.dialect.name == "postgresql":
        @event.listens_for(engine, "connect")
        def _backend(dbapi_connection, record):
            backends.add(dbapi_connection.info.backend_pid)
        engine.dispose()  # so that every connection of the pool passes through "connect"

    def backend_cpu() -> float:
        return sum(_proc_cpu(pid) for pid in backends)

    print(f"# {len(pages)} pages, {args.repeat} requests each, in-process on "
          f"{url.split('@')[-1] if '@' in url else url}\n")
    pg = engine.dialect.name == "postgresql"
    print("| page | status | bytes | SQL | wall p50 ms | wall p90 ms | CPU p50 ms | CPU min ms |"
          + (" PostgreSQL CPU ms |" if pg else ""))
    print("|---|---:|---:|---:|---:|---:|---:|---:|" + ("---:|" if pg else ""))
    for name, who, path in pages:
        client = clients[id(who)]
        walls, cpus = [], []
        for n in range(3):  # warm the caches (templates, translations, connections)
            client.get(path.format(q=SEARCH_TERMS[n % len(SEARCH_TERMS)]))
        profiler = None
        if args.profile and (args.profile == name if exact else args.profile in name):
            if args.sampler:
                from pyinstrument import Profiler
                profiler = Profiler(interval=0.0005)
                profiler.enable, profiler.disable = profiler.start, profiler.stop
            else:
                profiler = cProfile.Profile()
        server_before = backend_cpu()
        for n in range(args.repeat):
            target = path.format(q=SEARCH_TERMS[n % len(SEARCH_TERMS)])
            statements[0] = 0
            c0, t0 = time.process_time(), time.perf_counter()
            if profiler:
                profiler.enable()
            r = client.get(target)
            if profiler:
                profiler.disable()
            walls.append(time.perf_counter() - t0)
            cpus.append(time.process_time() - c0)
        server_cpu = (backend_cpu() - server_before) / args.repeat
        walls.sort()
        sql_report = ""
        if args.sql:  # each statement: its median time and how many times a request runs it
            sql_report = "\n".join(f"    {statistics.median(v) * 1000:7.2f} ms  x{len(v) / (args.repeat + 3):.0f}  {k[:400]}"
                                   for k, v in sorted(timings.items(), key=lambda kv: -statistics.median(kv[1])))
            timings.clear()
        print(f"| {name} | {r.status_code} | {len(r.data)} | {statements[0]} | {statistics.median(walls) * 1000:.1f} "
              f"| {walls[int(len(walls) * 0.9) - 1] * 1000:.1f} | {statistics.median(cpus) * 1000:.1f} | {min(cpus) * 1000:.1f} |"
              + (f" {server_cpu * 1000:.1f} |" if pg else ""), flush=True)
        if sql_report:
            print(sql_report)
        if profiler and args.sampler:
            print("\n```\n" + profiler.output_text(unicode=False, color=False, show_all=False) + "```\n")
        elif profiler:
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(args.sort).print_stats(args.top)
            print("\n```\n" + out.getvalue() + "```\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
