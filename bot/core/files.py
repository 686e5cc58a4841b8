"""The one way files are written and read safely: atomic replacement, private modes, and
reads that never leave their folder.

Why one module: every place that writes (knowledge files, history copies, the saved index,
the heartbeat, the command fingerprint) must leave either the old or the new bytes after a
crash, and every place that serves a file back (the loader, ``/kb download``, ``/kb restore``,
history copies) must refuse one whose real path is outside its folder: a symlink
``env.md -> /proc/self/environ`` in a git-synced knowledge folder must not put the bot's own
environment (its token) into an index, a history copy or a Discord attachment.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
import tempfile
from pathlib import Path
from typing import BinaryIO

TEMP_PREFIX = ".kbtmp-"
PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700

log = logging.getLogger(__name__)


class OutsideFolder(OSError):
    """A path that resolves (through a symlink, ``..`` or a bind) outside the folder it was looked up in."""


def fsync_dir(directory: Path) -> None:
    """Make a rename in ``directory`` durable (no-op where folders cannot be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def make_private(path: Path, mode: int) -> None:
    """Give an existing file or folder ``mode`` when it is more open than that.

    What an older version (or a default umask) left readable by others (a ``data/`` folder of
    0755, a database of 0644) holds user ids and questions. A path owned by another user keeps
    the operator's choice, with a warning.
    """
    try:
        if stat.S_IMODE(os.stat(path).st_mode) & ~mode:
            os.chmod(path, mode)
    except PermissionError:
        log.warning("cannot make %s private (owned by another user)", path)
    except FileNotFoundError:
        pass


def make_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) readable by this user only; an existing folder is made private."""
    path = Path(path)
    if path.is_dir():
        make_private(path, PRIVATE_DIR)
    else:
        path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    return path


def atomic_write(path: Path, data: bytes | str, *, mode: int | None = PRIVATE_FILE,
                 keep_mode: bool = False) -> None:
    """Replace ``path`` with ``data`` so that readers and crashes see the old or the new bytes only.

    Written to a hidden temporary file in the same folder, flushed and fsynced, renamed over the
    target, then the folder is fsynced. The new file gets ``mode`` (private by default); with
    ``keep_mode`` an existing file keeps its own mode (a moderator's 0644 knowledge file stays
    0644 when replaced from Discord), and ``mode`` applies only to a new file.
    """
    path = Path(path)
    if isinstance(data, str):
        data = data.encode("utf-8")
    if keep_mode:
        with contextlib.suppress(FileNotFoundError):
            mode = stat.S_IMODE(path.stat().st_mode)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=TEMP_PREFIX, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            if mode is not None:
                os.fchmod(f.fileno(), mode)
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)


def create_private(path: Path) -> BinaryIO:
    """A new file open for writing, readable by this user only whatever the umask."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    return os.fdopen(fd, "wb")


def is_inside(path: Path, folder: Path) -> bool:
    """True when ``path``'s real location (symlinks resolved) is inside ``folder``'s real location.

    An entry of the folder itself that is not a symbolic link is inside by construction (whatever
    the folder's own real path), which spares resolving every name of a large folder.
    """
    path, folder = Path(path), Path(folder)
    try:
        if path.parent == folder and not stat.S_ISLNK(os.lstat(path).st_mode):
            return True
    except FileNotFoundError:
        pass  # not there (yet): where it would be is decided by its real path below
    except (OSError, ValueError):
        return False
    try:
        real = Path(os.path.realpath(path))
        root = Path(os.path.realpath(folder))
    except (OSError, ValueError):
        return False
    return real == root or root in real.parents


def read_inside(path: Path, folder: Path, max_bytes: int | None = None) -> bytes:
    """The bytes of ``path``, refusing a file whose real path is outside ``folder`` or that is not
    a regular file (a FIFO would block, a device would never end); at most ``max_bytes`` + 1 bytes
    are read, so the caller can tell an oversized file without reading it whole.

    Raises :class:`OutsideFolder` for a path that escapes, :class:`OSError` otherwise.
    """
    path = Path(path)
    if not is_inside(path, folder):
        raise OutsideFolder(f"{path.name} points outside {Path(folder).name}/ (a symbolic link?)")
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    direct = path.parent == Path(folder) and not os.path.islink(path)  # no need to resolve it
    fd = os.open(path if direct else os.path.realpath(path), flags)
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            raise OSError(f"{path.name} is not a regular file")
        return f.read() if max_bytes is None else f.read(max_bytes + 1)
