"""vkls check on a city store as a user meets it: streamed reports, rule selection, Dask, bad input."""

import csv
import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from tests.city.stores import random_arrays, write_store
from vkls.cli.main import cli


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    folder = tmp_path_factory.mktemp("city")
    write_store(folder, random_arrays(5, n_lines=600, n_trees=40, size=150), tile_size=50.0)
    return folder


def test_table_shows_counts_and_throughput(city):
    result = run("check", str(city), "--workers", "1")
    assert result.exit_code == 1
    assert "conflict(s) (" in result.output and "segments/s" in result.output
    assert "halo" in result.output and "C-" in result.output


def test_csv_and_json_reports_hold_every_conflict(city, tmp_path):
    out_csv, out_json = tmp_path / "c.csv", tmp_path / "c.json"
    assert run("check", str(city), "--workers", "1", "-o", str(out_csv)).exit_code == 1
    assert run("check", str(city / "city.toml"), "--workers", "1", "-o", str(out_json)).exit_code == 1
    rows = list(csv.DictReader(out_csv.open()))
    document = json.loads(out_json.read_text())
    assert len(rows) == len(document["conflicts"]) == document["summary"]["conflicts"] > 0
    assert {r["id"] for r in rows} == {c["id"] for c in document["conflicts"]}
    assert not list(tmp_path.glob(".*part"))  # nothing half-written left behind


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_csv_and_json_stream_to_standard_output(city, tmp_path, fmt):
    to_file = tmp_path / f"c.{fmt}"
    assert run("check", str(city), "--workers", "1", "-q", "-o", str(to_file)).exit_code == 1
    printed = run("check", str(city), "--workers", "1", "-q", "--format", fmt)
    assert printed.exit_code == 1 and printed.output == ""  # quiet: only the exit code tells
    streamed = run("check", str(city), "--workers", "1", "--format", fmt)  # progress goes to stderr
    assert streamed.exit_code == 1
    if fmt == "csv":
        assert streamed.stdout == to_file.read_text()
    else:
        assert json.loads(streamed.stdout)["conflicts"] == json.loads(to_file.read_text())["conflicts"]


def test_rule_selection_on_the_command_line(city, tmp_path):
    out = tmp_path / "clearance.csv"
    assert run("check", str(city), "--workers", "1", "--rule", "clearance", "-o", str(out)).exit_code == 1
    assert {r["rule"] for r in csv.DictReader(out.open())} == {"clearance"}


def test_dask_local_gives_the_same_ids(city, tmp_path):
    serial, on_dask = tmp_path / "serial.csv", tmp_path / "dask.csv"
    assert run("check", str(city), "--workers", "1", "-o", str(serial)).exit_code == 1
    assert run("check", str(city), "--workers", "2", "--dask", "local", "-o", str(on_dask)).exit_code == 1
    assert serial.read_text() == on_dask.read_text()


@pytest.mark.parametrize("args, message", [
    (["--rule", "clearence"], "unknown rule 'clearence'"),
    (["--format", "html"], "a city store is reported as table, json, csv"),
    (["--dask", "tcp://127.0.0.1:9"], "cannot reach the Dask scheduler"),
    (["--baseline", "old.json"], "--baseline is for a street file or a KLIC delivery, not a city store"),
    (["--trees", "trees.geojson"], "--trees is for a street file or a KLIC delivery, not a city store"),
])
def test_bad_options_exit_2_with_one_line(city, args, message, monkeypatch):
    monkeypatch.setattr("vkls.city.check.DASK_CONNECT_TIMEOUT", "1s")
    result = run("check", str(city), "--workers", "1", *args)
    assert result.exit_code == 2
    assert message in result.output and result.output.count("\n") == 1


def test_city_options_on_a_street_file_exit_2(tmp_path):
    from tests.conftest import SAMPLES

    result = run("check", str(SAMPLES / "leiden-vkls.toml"), "--dask", "local")
    assert result.exit_code == 2 and "--dask is for a city store" in result.output


def test_a_folder_without_city_toml_exits_2(tmp_path):
    result = run("check", str(tmp_path))
    assert result.exit_code == 2 and "not a city store" in result.output


def test_broken_manifest_exits_2_naming_the_key(city, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(city, copy)
    text = (copy / "city.toml").read_text().replace("tile_size = 50.0", "tile_size = -5.0")
    (copy / "city.toml").write_text(text)
    result = run("check", str(copy))
    assert result.exit_code == 2 and "city.toml: tile_size: expected a number > 0" in result.output


@pytest.mark.parametrize("runner", [["--workers", "1"], ["--workers", "2", "--dask", "local"]])
def test_a_truncated_tile_is_one_line_on_every_runner(city, tmp_path, runner):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(city, copy)
    tile = sorted((copy / "tiles").glob("*.npz"))[1]
    tile.write_bytes(tile.read_bytes()[:3000])
    out = tmp_path / "c.csv"
    # A process of its own: Dask's workers would log to the real standard error, which CliRunner does not see.
    result = subprocess.run([sys.executable, "-m", "vkls", "check", str(copy), *runner, "-o", str(out)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "unreadable tile file" in result.stderr, result.stderr
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["copy"]
