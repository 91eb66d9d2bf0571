"""Write output files atomically: a reader never sees half a file, a failed run leaves none."""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

from vkls.errors import InputError


@contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "w", encoding: str | None = "utf-8", newline: str | None = None):
    """Open a temporary file next to ``path``; on success rename it over ``path``.

    On any exception the temporary file is removed and ``path`` is left untouched.

    Raises
    ------
    InputError
        The folder of ``path`` does not exist or is not writable.
    """
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise InputError("cannot write output: the folder does not exist", source=str(path))
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=folder)
    except OSError as error:
        raise InputError(f"cannot write output ({error.strerror})", source=str(path)) from None
    binary = "b" in mode
    try:
        with os.fdopen(handle, mode, **({} if binary else {"encoding": encoding, "newline": newline})) as stream:
            yield stream
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes files private; a report is an ordinary file
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise


def _umask() -> int:
    """The process's file-creation mask (read by setting it and putting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
