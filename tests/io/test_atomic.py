"""Atomic output: whole files or none, links followed, devices written in place, write errors named."""

from __future__ import annotations

import errno
import os

import pytest

from vkls.errors import InputError
from vkls.io.atomic import atomic_write


def test_writes_the_whole_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "report.csv"
    with atomic_write(target) as stream:
        stream.write("a,b\n")
    assert target.read_text() == "a,b\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.csv"]


def test_a_failure_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "report.csv"
    target.write_text("old\n")
    with pytest.raises(RuntimeError), atomic_write(target) as stream:
        stream.write("half")
        raise RuntimeError("stopped")
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.csv"]


def test_a_symbolic_link_is_followed_and_kept(tmp_path):
    real = tmp_path / "real.json"
    real.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    with atomic_write(link) as stream:
        stream.write("new")
    assert link.is_symlink()
    assert real.read_text() == "new"


def test_a_device_is_written_in_place_not_replaced():
    before = os.stat(os.devnull)
    with atomic_write(os.devnull) as stream:
        stream.write("discarded")
    after = os.stat(os.devnull)
    assert (after.st_rdev, after.st_ino) == (before.st_rdev, before.st_ino)
    assert not os.path.isfile(os.devnull)


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS])
def test_a_write_error_names_the_file_and_leaves_nothing(tmp_path, code):
    target = tmp_path / "report.json"
    with pytest.raises(InputError, match=r"report\.json: cannot write output \(") as caught, \
            atomic_write(target) as stream:
        stream.write("{")
        raise OSError(code, os.strerror(code))
    assert os.strerror(code) in str(caught.value)
    assert list(tmp_path.iterdir()) == []


def test_other_os_errors_pass_through(tmp_path):
    with pytest.raises(FileNotFoundError), atomic_write(tmp_path / "x.csv"):
        raise FileNotFoundError(errno.ENOENT, "not the output's fault")


def test_a_folder_is_refused(tmp_path):
    with pytest.raises(InputError, match="this is a folder"), atomic_write(tmp_path):
        pass
