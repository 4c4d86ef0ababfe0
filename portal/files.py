"""Files only the portal's own account may read: instance/ holds the database, the secret key, messages with
codes and uploaded materials. Modes are given when a file or folder is made, whatever the umask."""
from __future__ import annotations

import os
import secrets
import stat
from contextlib import suppress
from pathlib import Path
from typing import BinaryIO


def private_dir(path: str | os.PathLike) -> Path:
    """A folder for this account only (0700), whatever the umask: instance/ and the folders in it hold
    the database, the secret key, messages with codes and uploaded files. One made looser before is
    tightened."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    tighten(path)
    return path


def tighten(path: str | os.PathLike) -> None:
    """Take the group's and others' rights away from a file or folder made before this rule."""
    mode = stat.S_IMODE(os.stat(path).st_mode)
    if mode & 0o077:
        os.chmod(path, mode & 0o700)


def create_private(path: str | os.PathLike) -> BinaryIO:
    """A new file, open for writing, that only this account can read from its first byte: the mode is
    given when it is made (a chmod after writing leaves a moment when others can read it), and a file or
    link already there under that name is refused (FileExistsError)."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb")


def write_once(path: Path, text: str) -> None:
    """Put a private file in place whole, unless one is there already: of processes starting together
    (gunicorn's workers, the worker) the first wins, and the others read its text, never a part of it."""
    scratch = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    try:
        with create_private(scratch) as f:
            f.write(text.encode())
        with suppress(FileExistsError):
            os.link(scratch, path)
    finally:
        scratch.unlink(missing_ok=True)
