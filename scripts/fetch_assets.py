"""Fetch third-party browser assets from the npm registry into static/vendor/ (git-ignored).

htmx comes from the `htmx.org` package at a pinned version; the package file is
checked against the registry's sha512 integrity recorded here before anything is
unpacked. npm is used when it is installed; otherwise Python downloads the package
file itself, so a machine with only Python works.
"""
from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "static" / "vendor"
REGISTRY = os.environ.get("NPM_REGISTRY", "https://registry.npmjs.org")

ASSETS = [
    {
        "package": "htmx.org",
        "version": "2.0.11",
        "integrity": "sha512-Thx/WtpeOQqSrqBCw/A1cwGJGg4UrVa3+sW0GmrM3p4gJgO89ecH4qtbnyzDDWFvBTqjnIMCgELTNt636dtamA==",
        "files": {"package/dist/htmx.min.js": "htmx.min.js"},
    },
]


def check_integrity(data: bytes, integrity: str) -> None:
    algo, _, expected = integrity.partition("-")
    actual = base64.b64encode(hashlib.new(algo, data).digest()).decode()
    if actual != expected:
        raise SystemExit(f"Integrity check failed: expected {integrity}, got {algo}-{actual}")


def with_npm(name: str, version: str) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(["npm", "pack", f"{name}@{version}", "--json", "--silent"], cwd=tmp,
                             check=True, capture_output=True, text=True).stdout
        filename = json.loads(out)[0]["filename"]
        return (Path(tmp) / filename).read_bytes()


def with_python(name: str, version: str) -> bytes:
    base = name.split("/")[-1]
    url = f"{REGISTRY}/{name}/-/{base}-{version}.tgz"
    with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 (a fixed https registry URL)
        return response.read()


def fetch(asset: dict) -> None:
    targets = {VENDOR / dest for dest in asset["files"].values()}
    stamp = VENDOR / f".{asset['package']}-{asset['version']}"
    if stamp.exists() and all(t.exists() for t in targets):
        return
    use_npm = shutil.which("npm") and not os.environ.get("NO_NPM")
    data = (with_npm if use_npm else with_python)(asset["package"], asset["version"])
    check_integrity(data, asset["integrity"])
    VENDOR.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member, dest in asset["files"].items():
            extracted = tar.extractfile(member)
            if extracted is None:
                raise SystemExit(f"{member} is missing from {asset['package']}")
            (VENDOR / dest).write_bytes(extracted.read())
    for old in VENDOR.glob(f".{asset['package']}-*"):
        old.unlink()
    stamp.touch()
    print(f"Fetched {asset['package']} {asset['version']} ({'npm' if use_npm else 'python'}), integrity verified.")


if __name__ == "__main__":
    for a in ASSETS:
        fetch(a)
    sys.exit(0)
