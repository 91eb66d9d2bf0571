"""Write output files atomically: a reader never sees half a file, a failed run leaves none."""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path

from vkls.errors import InputError

#: Errors of writing (not of the content): a full disk or quota, a file too large, a read-only or
#: failing device. They become one-line errors naming the output file.
_WRITE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EIO, errno.EPIPE})


@contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "w", encoding: str | None = "utf-8", newline: str | None = None):
    """Open a temporary file next to ``path``; on success rename it over ``path``.

    On any exception the temporary file is removed and ``path`` is left untouched. A symbolic
    link is followed: the file it points to is replaced and the link kept. A path that is not a
    regular file (``/dev/null``, ``/dev/stdout``, a named pipe) is written to directly, since
    renaming over it would replace the device or pipe with a file.

    Raises
    ------
    InputError
        The folder of ``path`` does not exist or is not writable, ``path`` is a folder, or writing
        failed (disk full, read-only file system).
    """
    target = Path(os.path.realpath(path)) if os.path.islink(path) else Path(path)
    if target.is_dir():
        raise InputError("cannot write output: this is a folder", source=str(path))
    if target.exists() and not stat.S_ISREG(target.stat().st_mode):
        with write_errors(path), open(target, mode, **_text_options(mode, encoding, newline)) as stream:
            yield stream
        return
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise InputError("cannot write output: the folder does not exist", source=str(path))
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=folder)
    except OSError as error:
        raise InputError(f"cannot write output ({error.strerror})", source=str(path)) from None
    try:
        with write_errors(path):
            with os.fdopen(handle, mode, **_text_options(mode, encoding, newline)) as stream:
                yield stream
            os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes files private; a report is an ordinary file
            os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise


@contextmanager
def write_errors(path):
    """Context manager: an :class:`OSError` of writing (see :data:`_WRITE_ERRNOS`) becomes an
    :class:`InputError` naming ``path``."""
    try:
        yield
    except OSError as error:
        if error.errno not in _WRITE_ERRNOS:
            raise
        raise InputError(f"cannot write output ({error.strerror})", source=str(path)) from None


def _text_options(mode: str, encoding: str | None, newline: str | None) -> dict:
    return {} if "b" in mode else {"encoding": encoding, "newline": newline}


def _umask() -> int:
    """The process's file-creation mask (read by setting it and putting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
