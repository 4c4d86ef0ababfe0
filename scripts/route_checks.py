"""Mutants of the routes' own checks, which mutmut does not make: mutmut 3 leaves decorated functions alone,
and every view is decorated. Each `require(...)` and `abort(403|404)` line of portal/**/routes.py is
turned off in turn, in a copy of the tree, and the access matrix and the route tests are run against it:
a check whose removal no test notices is printed as a survivor. Part of scripts/mutation.sh; not of
`make test` (about 20 runs of the tests).

    .venv/bin/python scripts/route_checks.py [--tests tests/test_access.py ...] [--only referrals directory]
"""
from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHECK = re.compile(r"^(\s*)(require\(.*\)|abort\(40[34]\))\s*$")
TESTS = ["tests/test_access.py", "tests/test_trainings_routes.py", "tests/test_organisations.py",
         "tests/test_materials.py", "tests/test_sign_ins.py", "tests/test_referrals_routes.py",
         "tests/test_directory.py", "tests/test_campaigns_routes.py"]


def checks() -> list[tuple[Path, int, str]]:
    found = []
    for path in sorted(ROOT.glob("portal/**/routes.py")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if CHECK.match(line):
                found.append((path.relative_to(ROOT), number, line.strip()))
    return found


def run(tree: Path, tests: list[str]) -> bool:
    """True when the tests fail (the mutant is killed)."""
    env = {"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-n", "2", "-p", "no:cacheprovider",
                           *tests], cwd=tree, env=env, capture_output=True, text=True)
    return done.returncode != 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tests", nargs="*", default=TESTS)
    parser.add_argument("--only", nargs="*", default=[], help="only the routes files whose path holds one of these")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="route-checks-") as tmp:
        tree = Path(tmp) / "tree"
        shutil.copytree(ROOT, tree, ignore=shutil.ignore_patterns(".venv", ".git", "mutants", "instance",
                                                                   "__pycache__", "node_modules"))
        if run(tree, args.tests):
            print("the tests fail on the unchanged tree: nothing to measure")
            return 2
        survivors, total = [], 0
        for path, number, line in checks():
            if args.only and not any(part in str(path) for part in args.only):
                continue
            total += 1
            target = tree / path
            original = target.read_text()
            lines = original.splitlines(keepends=True)
            indent = CHECK.match(lines[number - 1]).group(1)
            lines[number - 1] = f"{indent}pass  # mutant: {line}\n"
            target.write_text("".join(lines))
            start = time.perf_counter()
            killed = run(tree, args.tests)
            target.write_text(original)
            print(f"{'killed ' if killed else 'SURVIVED'} {path}:{number} {line}  ({time.perf_counter() - start:.0f} s)",
                  flush=True)
            if not killed:
                survivors.append(f"{path}:{number} {line}")
    print(f"\n{total - len(survivors)} of {total} route checks killed")
    for s in survivors:
        print("survived:", s)
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
