"""Static files from memory, compressed once: css, js and htmx are small and asked for on every
first visit, so they are read and compressed (brotli, gzip) when first served, then cached by
the browser for a year (their URLs carry a content hash, see static_version)."""
from __future__ import annotations

import base64
import gzip
import hashlib
import mimetypes
from pathlib import Path

import brotli
from flask import Response, abort, current_app, request
from werkzeug.security import safe_join

COMPRESSIBLE = {".css", ".js", ".svg", ".json", ".txt", ".html"}
_cache: dict[tuple[str, float], dict] = {}


def _load(path: Path) -> dict:
    key = (str(path), path.stat().st_mtime)
    entry = _cache.get(key)
    if entry is None:
        raw = path.read_bytes()
        entry = {"identity": raw, "etag": hashlib.sha256(raw).hexdigest()[:16]}
        if path.suffix in COMPRESSIBLE and len(raw) > 300:
            entry["br"] = brotli.compress(raw, quality=11)
            entry["gzip"] = gzip.compress(raw, 9)
        _cache[key] = entry
    return entry


def serve_static(filename: str):
    folder = current_app.static_folder
    joined = safe_join(folder, filename)
    if joined is None or not Path(joined).is_file():
        abort(404)
    path = Path(joined)
    entry = _load(path)
    accepted = request.headers.get("Accept-Encoding", "").lower()
    encoding = next((e for e in ("br", "gzip") if e in entry and e in accepted), "identity")
    response = Response(entry[encoding], mimetype=mimetypes.guess_type(path.name)[0] or "application/octet-stream")
    if encoding != "identity":
        response.headers["Content-Encoding"] = encoding
    response.headers["Vary"] = "Accept-Encoding"
    response.set_etag(f"{entry['etag']}-{encoding}")
    response.cache_control.public = True
    response.cache_control.max_age = int(current_app.config["SEND_FILE_MAX_AGE_DEFAULT"].total_seconds()) \
        if request.args.get("v") else 3600
    if request.args.get("v"):
        response.cache_control.immutable = True
    return response.make_conditional(request)


def stylesheet() -> tuple[str, str]:
    """Our one stylesheet, for inlining in each page: on a slow phone connection a linked
    stylesheet costs a whole round trip before the first paint. Returns (css, CSP source)."""
    path = Path(current_app.static_folder) / "css" / "app.css"
    entry = _load(path)
    if "inline" not in entry:
        css = entry["identity"].decode()
        digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
        entry["inline"] = (css, f"'sha256-{digest}'")
    return entry["inline"]


def init_app(app):
    app.view_functions["static"] = serve_static
