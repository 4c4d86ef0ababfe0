#!/usr/bin/env bash
# Mutation testing of the who-may-do-what code (not part of `make test`: it takes about half an hour).
# 1. mutmut mutates the permission helpers (pyproject.toml, [tool.mutmut]) and runs the tests that cover
#    each mutant; every mutant must be killed.
# 2. scripts/route_checks.py turns off each check of the routes in turn (mutmut leaves decorated views
#    alone) and runs the access matrix and the route tests; every check must be missed by a test.
set -euo pipefail
cd "$(dirname "$0")/.."
make install-test >/dev/null
.venv/bin/pip install -q -e '.[test,mutation]'
rm -rf mutants
.venv/bin/mutmut run --max-children 2
.venv/bin/mutmut results --all true | sed 's/__mutmut_[0-9]*:/:/' | sort | uniq -c
survivors=$(.venv/bin/mutmut results | grep -c ':' || true)
echo "mutmut: ${survivors} mutants not killed"
.venv/bin/python scripts/route_checks.py
