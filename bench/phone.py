"""Cold and warm loads of the public pages on a slow phone connection.

Starts gunicorn (2 workers) on 127.0.0.1 over a fresh SQLite database with the demo data, and
loads each public page in Debian's Chromium at a Pixel 5's size (393 x 851, 2.75 dppx) under
CDP network emulation (400 ms latency, 400 kbit/s down and up): first with an empty cache
(cold), then again (warm). Prints bytes on the wire (CDP encodedDataLength, headers included),
requests, first contentful paint and the load event, per page.

    .venv/bin/python bench/phone.py [--runs 3] [--port 5077]

Targets: first contentful paint within 1.0 s and fully loaded within 1.5 s.
"""
from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["/", "/auth/login", "/auth/register", "/organisations/register", "/auth/reset", "/trainings/", "/materials/"]
THROTTLE = {"offline": False, "latency": 400, "downloadThroughput": 400_000 / 8, "uploadThroughput": 400_000 / 8}
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


def start_server(port: int, workdir: Path) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{workdir / 'phone.db'}", "PORTAL_ENV": "development",
           "SECRET_KEY": "bench"}
    flask = [str(ROOT / ".venv/bin/flask"), "--app", "portal"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([*flask, "seed-demo", "--if-empty"], cwd=ROOT, env=env, check=True, capture_output=True)
    server = subprocess.Popen([str(ROOT / ".venv/bin/gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "wsgi:app"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("gunicorn did not start")


def measure(page, cdp, url) -> dict:
    sizes: dict[str, int] = {}
    cdp.on("Network.loadingFinished", lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"]))
    page.goto(url, wait_until="load")
    timing = page.evaluate("""() => new Promise(resolve => {
        const done = fcp => resolve({load: performance.getEntriesByType('navigation')[0].loadEventEnd, fcp});
        const seen = performance.getEntriesByName('first-contentful-paint')[0];
        if (seen) return done(seen.startTime);
        new PerformanceObserver(list => {
            const fcp = list.getEntriesByName('first-contentful-paint')[0];
            if (fcp) done(fcp.startTime);
        }).observe({type: 'paint', buffered: true});
        setTimeout(() => done(NaN), 5000);
    })""")
    return {"bytes": sum(sizes.values()), "requests": len(sizes), **timing}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--port", type=int, default=5077)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright
    with tempfile.TemporaryDirectory() as tmp:
        server = start_server(args.port, Path(tmp))
        try:
            rows = []
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
                for path in PAGES:
                    cold_runs, warm_runs = [], []
                    for _ in range(args.runs):
                        context = browser.new_context(viewport={"width": 393, "height": 851},
                                                      device_scale_factor=2.75, is_mobile=True, has_touch=True)
                        page = context.new_page()
                        cdp = context.new_cdp_session(page)
                        cdp.send("Network.enable")
                        cdp.send("Network.emulateNetworkConditions", THROTTLE)
                        url = f"http://127.0.0.1:{args.port}{path}"
                        cold_runs.append(measure(page, cdp, url))
                        warm_runs.append(measure(page, cdp, url))
                        context.close()
                    rows.append((path, cold_runs, warm_runs))
                browser.close()
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(10)
    med = lambda runs, key: statistics.median(r[key] for r in runs)  # noqa: E731
    print(f"Throttled 400 ms / 400 kbit/s, 393x851, median of {args.runs} runs")
    print(f"{'page':<26}{'cold KB':>8}{'req':>5}{'FCP ms':>8}{'load ms':>9}{'warm KB':>9}{'req':>5}"
          f"{'FCP ms':>8}{'load ms':>9}")
    for path, cold, warm in rows:
        print(f"{path:<26}{med(cold, 'bytes') / 1024:>8.1f}{med(cold, 'requests'):>5.0f}{med(cold, 'fcp'):>8.0f}"
              f"{med(cold, 'load'):>9.0f}{med(warm, 'bytes') / 1024:>9.1f}{med(warm, 'requests'):>5.0f}"
              f"{med(warm, 'fcp'):>8.0f}{med(warm, 'load'):>9.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
