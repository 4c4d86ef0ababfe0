"""Materials (DRID): staff keep a library of training modules and educational materials, each in
the languages it exists in. Every change is one transaction with its audit row.

Uploaded files: PDF and images only, told by their content (filetype), never by their name or the
browser's word; at most MATERIALS_MAX_BYTES; written under MATERIALS_DIR with a random name (to a
temporary file first, then renamed), and removed again if the transaction does not commit. The
uploader's file name is only ever a download name, made safe; a hostile one is refused.
"""
from __future__ import annotations

import hashlib
import os
import re
import secrets
import time
import unicodedata
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import filetype
import nh3
from flask import current_app
from flask_babel import lazy_gettext as _l
from markdown_it import MarkdownIt
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import safe_join
from werkzeug.utils import secure_filename

from portal.accounts.roles import Power, can
from portal.audit import changed, record
from portal.files import create_private, private_dir
from portal.extensions import db
from portal.trainings.materials.models import FILE_KINDS, Material, MaterialVersion, format_size
from portal.trainings.models import DELIVERY_LANGUAGES, PROGRAMMES, Course
from portal.web import DomainError, NotAllowed

CHUNK = 64 * 1024
HEAD = 262  # filetype reads at most this many bytes
MAX_NAME = 120  # the column's length
MAX_TEXT = 50_000


class FileTooLarge(DomainError):
    def __init__(self, limit: int | None = None):
        limit = limit or current_app.config["MATERIALS_MAX_BYTES"]
        super().__init__(_l("This file is too large. Send a file of at most %(max)s.", max=format_size(limit)))


class WrongFileType(DomainError):
    message = _l("Only PDF files and pictures (JPEG, PNG or WebP) can be uploaded. This file is none of these.")


class EmptyFile(DomainError):
    message = _l("This file is empty.")


class BadFileName(DomainError):
    message = _l("The file's name has characters that are not allowed. Rename the file using letters, "
                 "numbers and dashes, then send it again.")


class BadLink(DomainError):
    message = _l("Write a full web address that starts with https://")


class NothingToShow(DomainError):
    message = _l("Give this language version a file, a link or a text.")


class LanguageTaken(DomainError):
    message = _l("This material already has a version in that language. Change that version instead.")


class TextTooLong(DomainError):
    message = _l("The text is too long.")


# --- who may do what ---

def can_manage_library(user) -> bool:
    return can(user, Power.MANAGE_MATERIALS)


def can_view(user, material: Material) -> bool:
    """Published materials are for everyone, signed in or not; the others for staff only."""
    return material.published or can_manage_library(user)


# --- text versions: Markdown rendered safely ---

_markdown = MarkdownIt("commonmark", {"html": False, "breaks": True})
TAGS = {"p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "a", "ul", "ol", "li",
        "blockquote", "code", "pre"}


def render_text(source: str) -> Markup:
    """Plain text or Markdown as safe HTML: raw HTML is shown as text, never run; links only to
    http(s), mailto and tel; no images (they would cost data, and load from elsewhere)."""
    html = _markdown.render(source or "")
    return Markup(nh3.clean(html, tags=TAGS, attributes={"a": {"href", "title"}, "ol": {"start"}},
                            url_schemes={"http", "https", "mailto", "tel"},
                            link_rel="noopener noreferrer nofollow"))


# --- checks shared with the forms ---

def check_link(url: str) -> str:
    """An https address with a host, or BadLink."""
    url = (url or "").strip()
    if len(url) > 500 or any(c.isspace() or unicodedata.category(c) == "Cc" for c in url):
        raise BadLink()
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises on a port that is not a number)
    except ValueError:
        raise BadLink() from None
    if parts.scheme.lower() != "https" or not parts.hostname or parts.username or parts.password:
        raise BadLink()
    return url


# Path separators ("../"), control characters (NUL among them) and the invisible marks that reorder
# or hide text ("annual-report\u202efdp.exe" shows as "annual-reportexe.pdf").
_HOSTILE = re.compile(r"[/\\\x00-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def check_name(original: str) -> None:
    """Refuse a hostile file name (BadFileName): a path, control characters, hidden marks, too long."""
    if len(original or "") > 255 or _HOSTILE.search(original or ""):
        raise BadFileName()


def download_name(original: str, content_type: str, fallback: str) -> str:
    """A safe download name: the uploader's name in ASCII letters, digits, dots and dashes, with the
    extension of what the file really is; `fallback` when nothing of the name survives."""
    check_name(original)
    ext = FILE_KINDS[content_type][0]
    stem = secure_filename(os.path.splitext(original)[0])[:MAX_NAME - len(ext) - 1].strip("._-")
    return f"{stem or fallback}.{ext}"


# --- stored files ---

def storage_dir() -> Path:
    return private_dir(current_app.config["MATERIALS_DIR"])


def file_path(version: MaterialVersion) -> Path | None:
    """Where a version's file is, or None; the stored name is ours, and checked all the same."""
    if not version.storage_name:
        return None
    joined = safe_join(str(storage_dir()), version.storage_name)
    return Path(joined) if joined else None


class _Stored:
    """A file written under a random name; `discard()` removes it again."""

    def __init__(self, name, content_type, size, sha256):
        self.name, self.content_type, self.size, self.sha256 = name, content_type, size, sha256

    def discard(self):
        _remove(self.name)


def _remove(name: str | None):
    if not name:
        return
    joined = safe_join(str(storage_dir()), name)
    if joined:
        try:
            os.unlink(joined)
        except FileNotFoundError:
            pass
        except OSError:
            current_app.logger.warning("Could not remove a material file: %s", name)


def store(upload) -> _Stored:
    """Check an upload (a werkzeug FileStorage, or anything with .stream and .filename) and write it
    under a random name. Raises FileTooLarge, WrongFileType or EmptyFile; nothing stays written then."""
    limit = current_app.config["MATERIALS_MAX_BYTES"]
    stream = upload.stream
    head = stream.read(HEAD)
    if not head:
        raise EmptyFile()
    kind = filetype.guess_mime(head)
    if kind not in FILE_KINDS:
        raise WrongFileType()
    folder = storage_dir()
    name = secrets.token_hex(16)
    tmp = folder / f".{name}.part"
    digest, size = hashlib.sha256(), 0
    try:
        with create_private(tmp) as out:
            chunk = head
            while chunk:
                size += len(chunk)
                if size > limit:
                    raise FileTooLarge(limit)
                digest.update(chunk)
                out.write(chunk)
                chunk = stream.read(CHUNK)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, folder / name)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return _Stored(name, kind, size, digest.hexdigest())


# --- materials (staff) ---

def _check_fields(programme: str, course_id: int | None):
    if programme not in PROGRAMMES:
        raise DomainError(_l("Choose a programme."))
    if course_id is not None and db.session.get(Course, course_id) is None:
        raise DomainError(_l("This course no longer exists."))


def create_material(staff, title: str, programme: str, course_id: int | None = None, summary: str = "",
                    published: bool = True) -> Material:
    if not can_manage_library(staff):
        raise NotAllowed()
    _check_fields(programme, course_id)
    material = Material(title=title.strip(), programme=programme, course_id=course_id,
                        summary=(summary or "").strip(), published=published)
    db.session.add(material)
    db.session.flush()
    record(staff, "material.created", material, {"programme": programme, "course_id": course_id,
                                                 "published": published})
    db.session.commit()
    return material


def update_material(staff, material: Material, title: str, programme: str, course_id: int | None = None,
                    summary: str = "", published: bool = True) -> Material:
    if not can_manage_library(staff):
        raise NotAllowed()
    _check_fields(programme, course_id)
    material.title, material.programme, material.course_id = title.strip(), programme, course_id
    material.summary, material.published = (summary or "").strip(), published
    record(staff, "material.updated", material, {
        "changed": changed(material, "title", "programme", "course_id", "summary", "published"),
        "programme": programme, "course_id": course_id, "published": published})
    db.session.commit()
    return material


def delete_material(staff, material: Material) -> None:
    """The material, its versions and their files are gone; the audit row stays."""
    if not can_manage_library(staff):
        raise NotAllowed()
    names = [v.storage_name for v in material.versions if v.storage_name]
    record(staff, "material.deleted", material, {"versions": len(material.versions)})
    db.session.delete(material)
    db.session.commit()
    for name in names:
        _remove(name)


# --- language versions (staff) ---

def _check_version(language: str, url: str | None, text: str | None) -> tuple[str | None, str]:
    if language not in DELIVERY_LANGUAGES:
        raise DomainError(_l("Choose a language."))
    url = check_link(url) if url and url.strip() else None
    text = (text or "").strip()
    if len(text) > MAX_TEXT:
        raise TextTooLong()
    return url, text


@contextmanager
def _transaction(stored: _Stored | None):
    """The work inside commits as one unit; if anything fails, the file just written goes too."""
    try:
        yield
        db.session.commit()
    except IntegrityError:  # two staff adding the same language at once
        db.session.rollback()
        if stored:
            stored.discard()
        raise LanguageTaken() from None
    except BaseException:
        db.session.rollback()
        if stored:
            stored.discard()
        raise


def _fill(version: MaterialVersion, stored: _Stored, fallback: str, original: str):
    version.storage_name, version.content_type = stored.name, stored.content_type
    version.size, version.sha256 = stored.size, stored.sha256
    version.filename = download_name(original, stored.content_type, fallback)


def _details(version: MaterialVersion) -> dict:
    return {"language": version.language, "file": version.has_file, "size": version.size,
            "sha256": version.sha256, "link": bool(version.url), "text": version.has_text}


def _has(upload) -> bool:
    return upload is not None and bool(getattr(upload, "filename", None))


def add_version(staff, material: Material, language: str, title: str = "", upload=None, url: str = "",
                text: str = "") -> MaterialVersion:
    """A new language version: a file, a link or a text (or several). Nothing changes if refused."""
    if not can_manage_library(staff):
        raise NotAllowed()
    url, text = _check_version(language, url, text)
    if not (_has(upload) or url or text):
        raise NothingToShow()
    if db.session.scalar(select(MaterialVersion.id).where(MaterialVersion.material_id == material.id,
                                                          MaterialVersion.language == language)):
        raise LanguageTaken()
    if _has(upload):
        check_name(upload.filename)
    stored = store(upload) if _has(upload) else None
    with _transaction(stored):
        version = MaterialVersion(material_id=material.id, language=language, title=(title or "").strip(),
                                  url=url, text=text)
        if stored:
            _fill(version, stored, f"material-{material.id}-{language}", upload.filename)
        db.session.add(version)
        db.session.flush()
        record(staff, "material_version.added", version, {"material_id": material.id, **_details(version)})
    return version


def update_version(staff, version: MaterialVersion, title: str = "", upload=None, url: str = "",
                   text: str = "", remove_file: bool = False) -> MaterialVersion:
    """Change a version's title, link or text; replace its file with `upload`, or remove the file."""
    if not can_manage_library(staff):
        raise NotAllowed()
    url, text = _check_version(version.language, url, text)
    keeps_file = _has(upload) or (version.has_file and not remove_file)
    if not (keeps_file or url or text):
        raise NothingToShow()
    if _has(upload):
        check_name(upload.filename)
    stored = store(upload) if _has(upload) else None
    old = version.storage_name if (stored or remove_file) else None
    with _transaction(stored):
        version.title, version.url, version.text = (title or "").strip(), url, text
        if stored:
            _fill(version, stored, f"material-{version.material_id}-{version.language}", upload.filename)
        elif remove_file:
            version.storage_name = version.filename = version.content_type = None
            version.size = version.sha256 = None
        record(staff, "material_version.updated", version, {
            "changed": changed(version, "title", "url", "text", "storage_name"),
            "material_id": version.material_id, "replaced_file": bool(stored),
            "removed_file": bool(remove_file and not stored), **_details(version)})
    _remove(old)
    return version


def delete_version(staff, version: MaterialVersion) -> None:
    if not can_manage_library(staff):
        raise NotAllowed()
    name = version.storage_name
    record(staff, "material_version.removed", version, {"material_id": version.material_id,
                                                        "language": version.language})
    db.session.delete(version)
    db.session.commit()
    _remove(name)


# --- files that no material holds ---

SWEEP_AFTER = 3600  # seconds: a file younger than this may belong to an upload still being committed
_STORED_NAME = re.compile(r"^\.?[0-9a-f]{32}(\.part)?$")


def sweep_files(now: float | None = None) -> int:
    """Remove stored files that no version holds, older than SWEEP_AFTER: left when the process died
    between writing an upload and committing it, or between committing a removal and unlinking its file.
    Only names of the kind `store()` writes are touched, so nothing else in the folder is at risk."""
    now = time.time() if now is None else now
    folder = storage_dir()
    held = set(db.session.scalars(select(MaterialVersion.storage_name).where(MaterialVersion.storage_name.is_not(None))))
    removed = 0
    with os.scandir(folder) as entries:
        for entry in entries:
            if not entry.is_file(follow_symlinks=False) or not _STORED_NAME.match(entry.name) or entry.name in held:
                continue
            try:
                age = now - entry.stat(follow_symlinks=False).st_mtime
            except FileNotFoundError:  # removed meanwhile, by its version's removal or another worker
                continue
            if age >= SWEEP_AFTER:
                _remove(entry.name)
                removed += 1
    return removed


def sweep_files_job() -> str | None:
    """The worker's periodic job, once an hour (the first time when the worker starts)."""
    last = current_app.extensions.get("materials.last_sweep")
    if last is not None and time.monotonic() - last < SWEEP_AFTER:
        return None
    current_app.extensions["materials.last_sweep"] = time.monotonic()
    try:
        n = sweep_files()
    except OSError as e:  # a storage problem must not stop the worker, which also sends the outbox
        current_app.logger.warning("Sweeping the materials folder failed: %s", type(e).__name__)
        return None
    return f"Materials: {n} files that no material holds were removed." if n else None
