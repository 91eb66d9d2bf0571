"""vkls render, vkls section and vkls view as a user meets them: files, exit codes, bad input."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from tests.viewer.conftest import STREET
from vkls.cli.main import cli

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def _png_size(data: bytes) -> tuple[int, int]:
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


@pytest.mark.parametrize("view", ["iso", "top", "section"])
def test_render_writes_a_png_and_exits_0(tmp_path, view):
    out = tmp_path / f"{view}.png"
    result = run("render", STREET, "-o", out, "--view", view, "--chainage", "12", "--size", "320x200")
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    assert data.startswith(PNG_MAGIC) and _png_size(data) == (320, 200)
    assert "written to" in result.output
    assert [p.name for p in tmp_path.iterdir()] == [out.name]


def test_render_conflicts_only(tmp_path):
    out = tmp_path / "only.png"
    assert run("render", STREET, "-o", out, "--conflicts-only", "--size", "320x200").exit_code == 0
    assert out.read_bytes().startswith(PNG_MAGIC)


@pytest.mark.parametrize("args, message", [
    (["-o", "{out}.jpg"], "ending in .png"),
    (["-o", "{out}.png", "--size", "big"], "WIDTHxHEIGHT"),
    (["-o", "{out}.png", "--size", "10x10"], "16 to 8000"),
    (["-o", "{out}.png", "--view", "section", "--chainage", "500"], f"{STREET}: chainage 500 m is outside the route"),
    (["-o", "{out}.png", "--view", "section", "--chainage", "nan"], f"{STREET}: chainage nan m is outside the route"),
    (["-o", "{missing}/x.png"], "folder does not exist"),
])
def test_render_bad_input_exits_2_with_one_line(tmp_path, args, message):
    args = [a.format(out=tmp_path / "view", missing=tmp_path / "missing") for a in args]
    result = run("render", STREET, *args)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("vkls: error:") and message in lines[0], result.output


def test_render_of_a_missing_street_file_exits_2(tmp_path):
    result = run("render", tmp_path / "nope.toml", "-o", tmp_path / "x.png")
    assert result.exit_code == 2 and "vkls: error:" in result.output


def test_a_failed_render_leaves_an_existing_file_alone(tmp_path, monkeypatch):
    from vkls.viewer import render

    out = tmp_path / "view.png"
    out.write_bytes(b"old")

    def broken(*args, **kwargs):
        raise RuntimeError("renderer exploded")

    monkeypatch.setattr(render, "png_bytes", broken)
    with pytest.raises(RuntimeError):
        run("render", STREET, "-o", out, "--size", "64x64")
    assert out.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["view.png"]


@pytest.mark.parametrize("suffix, magic", [("svg", b"<?xml"), ("png", PNG_MAGIC)])
def test_section_writes_svg_or_png(tmp_path, suffix, magic):
    out = tmp_path / f"section.{suffix}"
    result = run("section", STREET, "--chainage", "15", "-o", out)
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(magic)


@pytest.mark.parametrize("args, message", [
    (["--chainage", "15", "-o", "{out}.pdf"], "ending in .svg or .png"),
    (["--chainage", "-3", "-o", "{out}.svg"], "outside the route"),
])
def test_section_bad_input_exits_2(tmp_path, args, message):
    args = [a.format(out=tmp_path / "s") for a in args]
    result = run("section", STREET, *args)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.output


def test_section_needs_a_chainage(tmp_path):
    result = run("section", STREET, "-o", tmp_path / "s.svg")
    assert result.exit_code == 2 and "--chainage" in result.output


def test_view_opens_the_window(monkeypatch):
    from vkls.viewer import interactive

    opened = {}

    def fake_open(street, scene, conflicts, chainage=None, conflicts_only=False):
        opened.update(name=street.name, chainage=chainage, conflicts_only=conflicts_only)

    monkeypatch.setattr(interactive, "open_viewer", fake_open)
    result = run("view", STREET, "--chainage", "3")
    assert result.exit_code == 0, result.output
    assert opened == {"name": "viewer test street", "chainage": 3.0, "conflicts_only": False}
    assert run("view", STREET, "--chainage", "99").exit_code == 2


def test_check_writes_an_html_report_with_pictures(tmp_path):
    out = tmp_path / "report.html"
    result = run("check", STREET, "--format", "html", "-o", out)
    assert result.exit_code in (0, 1), result.output
    page = out.read_text()
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert page.count('<img src="data:image/png;base64,') >= 1
    assert "viewer test street" in page


def test_cli_and_check_do_not_import_the_drawing_libraries():
    code = ("import sys, vkls, vkls.cli.main, vkls.pipeline; "
            "heavy = [m for m in ('pyvista', 'vtk', 'vtkmodules', 'matplotlib') if m in sys.modules]; "
            "assert not heavy, heavy")
    subprocess.run([sys.executable, "-c", code], check=True)
