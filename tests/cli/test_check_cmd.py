"""The vkls check command as a user meets it: exit codes, report formats, bad input."""

import csv
import io
import json
import math

import pytest
from click.testing import CliRunner

from tests.conftest import SAMPLES, base_street, network
from vkls.cli.main import cli

REQUIRED_FIELDS = {"id", "rule", "objects", "required", "actual", "chainage_start", "chainage_end", "x", "y", "z",
                   "explanation"}


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_clean_design_exits_0_and_prints_a_summary(street_file):
    body = (network("T", "datatransport", offset=0.6, depth=0.6) + network("L", "laagspanning", offset=1.2, depth=0.7)
            + network("G", "gasLageDruk", offset=1.8, depth=0.7))
    result = run("check", street_file(body))
    assert result.exit_code == 0, result.output
    assert "0 conflict(s)" in result.output


def test_conflict_sample_exits_1_with_a_table_and_explanations():
    result = run("check", str(SAMPLES / "conflicts-demo.toml"))
    assert result.exit_code == 1
    assert "clearance" in result.output and "tree-distance" in result.output
    assert "required" in result.output and "source:" in result.output


def test_json_report_has_the_documented_fields(tmp_path):
    out = tmp_path / "conflicts.json"
    result = run("check", str(SAMPLES / "conflicts-demo.toml"), "--format", "json", "-o", str(out))
    assert result.exit_code == 1
    document = json.loads(out.read_text())
    assert set(document) >= {"conflicts", "summary"}
    assert document["summary"]["conflicts"] == len(document["conflicts"]) > 0
    for conflict in document["conflicts"]:
        assert REQUIRED_FIELDS <= set(conflict)
        assert len(conflict["objects"]) == 2
        assert conflict["chainage_start"] <= conflict["chainage"] + 1e-9
        assert conflict["chainage"] <= conflict["chainage_end"] + 1e-9
        # witness points are in RD New / NAP, near the route of the demo street
        assert 93000 < conflict["x"] < 93300 and 464500 < conflict["y"] < 464700 and -3 < conflict["z"] < 1
        assert conflict["explanation"].endswith((".", "?"))
    rules = {c["rule"] for c in document["conflicts"]}
    regimes = {c["regime"] for c in document["conflicts"]}
    assert {"clearance", "thermal", "tree-distance", "root-zone", "order", "access", "cover-depth"} <= rules
    assert {"parallel", "stacked", "crossing", "n/a"} <= regimes
    assert any(c["actual"] < 0 for c in document["conflicts"])  # a hard clash


def test_csv_report_by_extension(tmp_path):
    out = tmp_path / "conflicts.csv"
    result = run("check", str(SAMPLES / "leiden-vkls.toml"), "-o", str(out))
    assert result.exit_code == 1
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert rows and {"id", "rule", "object_a", "object_b", "required", "actual", "explanation"} <= set(rows[0])
    assert any(r["object_a"] == "W1" and r["object_b"] == "H1" and r["regime"] == "stacked" for r in rows)


def test_the_same_conflicts_in_json_and_csv(tmp_path):
    run("check", str(SAMPLES / "conflicts-demo.toml"), "-o", str(tmp_path / "a.json"))
    run("check", str(SAMPLES / "conflicts-demo.toml"), "-o", str(tmp_path / "a.csv"))
    from_json = [c["id"] for c in json.loads((tmp_path / "a.json").read_text())["conflicts"]]
    from_csv = [r["id"] for r in csv.DictReader(io.StringIO((tmp_path / "a.csv").read_text()))]
    assert from_json == from_csv


# Every bad input: exit 2, one line on stderr naming the file and place, no traceback,
# and no (half-)written output file.
BAD_STREETS = {
    "malformed TOML": ("[street\nname = 1\n", r"not valid TOML.*line 1"),
    "truncated file": (base_street()[:-40], r"not valid TOML|missing"),
    "unknown network kind": (base_street() + network("X", "glasvezel"), r"networks\[0\]\.kind: unknown value 'glasvezel'"),
    "negative diameter": (base_street() + network("W", "water", diameter=-0.1),
                          r"networks\[0\]\.diameter: must be greater than 0"),
    "NaN offset": (base_street() + network("W", "water", offset="nan"), r"networks\[0\]\.offset: expected a finite"),
    "infinite depth": (base_street() + network("W", "water", depth="inf"), r"networks\[0\]\.depth: expected a finite"),
    "self-intersecting route": (base_street(coordinates="[[0,0],[10,0],[10,10],[5,-5]]") + network("W", "water"),
                                r"route\.coordinates: the route intersects itself"),
    "empty route": (base_street(coordinates="[]") + network("W", "water"), r"route\.coordinates: expected a list|at least 2"),
    "one-point route": (base_street(coordinates="[[0, 0]]") + network("W", "water"), r"at least 2 points, got 1"),
    "repeated route point": (base_street(coordinates="[[0,0],[0,0],[5,0]]") + network("W", "water"),
                             r"points 0 and 1 coincide"),
    "no networks": (base_street(), r"networks: at least one"),
    "typo in a key": (base_street() + network("W", "water").replace("owner", "ownr"), r"unknown key 'ownr'"),
    "zero-width zone": (base_street(zones=(("sidewalk", 0.0, "paving"),)) + network("W", "water"),
                        r"zones\[0\]\.width: must be greater than 0"),
    "duplicate id": (base_street() + network("W", "water") + network("W", "gasLageDruk"), r"duplicate id 'W'"),
    "count zero": (base_street() + network("W", "water", count=0), r"networks\[0\]\.count: must be at least 1"),
    "tree beyond the route": (base_street() + network("W", "water") + '[[trees]]\nid = "B"\nchainage = 99.0\n'
                              'offset = 3.0\nsize_class = "2"\ntrunk_diameter = 0.3\ncrown_radius = 3.0\n',
                              r"trees\[0\]\.chainage: lies beyond the end of the route"),
    "rack level with unknown network": (base_street("vkls") + network("W", "water")
                                        + '[rack]\n[[rack.levels]]\ndepth = 0.5\nnetworks = ["Q"]\n',
                                        r"rack\.levels\[0\]\.networks: unknown network 'Q'"),
    "connection to unknown network": (base_street() + network("W", "water")
                                      + '[[connections]]\nnetworks = ["Q"]\nspacing = 6.0\n',
                                      r"connections\[0\]\.networks: unknown network 'Q'"),
    "rack level without networks": (base_street("vkls") + network("W", "water")
                                    + '[rack]\n[[rack.levels]]\ndepth = 0.5\nnetworks = []\n',
                                    r"rack\.levels\[0\]\.networks: expected at least one name"),
    "segment length of a tenth of a micrometre": (
        base_street().replace('"horizontal"\n', '"horizontal"\nsegment_length = 1e-7\n') + network("W", "water"),
        r"street\.segment_length: must be at least 0\.05"),
    "house connections every micrometre": (base_street() + network("W", "water")
                                           + '[[connections]]\nnetworks = ["W"]\nspacing = 1e-6\n',
                                           r"connections\[0\]\.spacing: must be at least 0\.5"),
    "offset of 1e300 m": (base_street() + network("W", "water", offset="1e300"),
                          r"networks\[0\]\.offset: must be at most 1e\+06"),
    "first house connection at 1e300 m": (base_street() + network("W", "water")
                                          + '[[connections]]\nnetworks = ["W"]\nspacing = 6.0\nstart = 1e300\n',
                                          r"connections\[0\]\.start: must be at most 1e\+06"),
    "binary file": ("\x00\x01\x02\xff", r"not valid TOML|not a text"),
    "truncated XML instead of a street file": ('<?xml version="1.0"?>\n<imkl:FeatureCollection xmlns:imkl=',
                                               r"not valid TOML"),
}


@pytest.mark.parametrize("case", sorted(BAD_STREETS))
def test_bad_street_input_exits_2_with_one_clear_line(tmp_path, case):
    text, message = BAD_STREETS[case]
    path = tmp_path / "bad.toml"
    path.write_bytes(text.encode("utf-8", "surrogateescape") if isinstance(text, str) else text)
    out = tmp_path / "report.json"
    result = CliRunner().invoke(cli, ["check", str(path), "-o", str(out)])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"vkls: error: {path}")
    assert "Traceback" not in result.output
    import re

    assert re.search(message, lines[0]), lines[0]
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind either


def test_a_street_file_with_a_byte_order_mark_reads_as_without(tmp_path):
    plain = (SAMPLES / "leiden-vkls.toml").read_text(encoding="utf-8")
    marked = tmp_path / "notepad.toml"
    marked.write_bytes("\ufeff".encode() + plain.encode())
    without = CliRunner().invoke(cli, ["check", str(SAMPLES / "leiden-vkls.toml"), "--format", "csv"])
    result = CliRunner().invoke(cli, ["check", str(marked), "--format", "csv"])
    assert result.exit_code == without.exit_code == 1, result.output
    assert result.stdout == without.stdout


def test_the_output_may_not_be_the_file_being_checked(tmp_path):
    street = tmp_path / "street.toml"
    street.write_bytes((SAMPLES / "leiden-vkls.toml").read_bytes())
    result = CliRunner().invoke(cli, ["check", str(street), "-o", str(street), "--format", "json"])
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"vkls: error: {street}: --output: is the file being checked")
    assert street.read_bytes() == (SAMPLES / "leiden-vkls.toml").read_bytes()


def test_a_deeply_nested_baseline_is_one_line(tmp_path):
    baseline = tmp_path / "deep.json"
    baseline.write_text("[" * 100_000 + "]" * 100_000)
    result = CliRunner().invoke(cli, ["check", str(SAMPLES / "leiden-vkls.toml"), "--baseline", str(baseline)])
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert "not a JSON report (nested too deeply)" in result.stderr


def test_missing_file_and_folder_exit_2(tmp_path):
    for target, message in ((tmp_path / "nope.toml", "file not found"), (tmp_path, "a folder that is not a city store")):
        result = CliRunner().invoke(cli, ["check", str(target)])
        assert result.exit_code == 2 and message in result.stderr


VALUE = '\nstatus = "local"\nsource = "x"\n'
BAD_NORMS = {
    "not UTF-8": (b"\xff\xfe\x00", "not valid TOML (not UTF-8 text)"),
    "text for a number": ('[networks.datatransport.cover]\nvalue = "deep"' + VALUE,
                          "networks.datatransport.cover.value: expected a number as in networks.toml, got 'deep'"),
    "number for a list": ("[placement.vkls_order]\nvalue = 3" + VALUE,
                          "placement.vkls_order.value: expected a list of kinds as in placement.toml, got 3.0"),
    "empty order": ("[placement.vkls_order]\nvalue = []" + VALUE,
                    "placement.vkls_order: expected a list of different network kinds, each once"),
    "order naming a kind twice": ('[placement.vkls_order]\nvalue = ["water", "water"]' + VALUE,
                                  "placement.vkls_order: expected a list of different network kinds, each once"),
    "minimum cover below the maximum": ("[networks.water.cover_min]\nvalue = 5" + VALUE,
                                        "networks.water.cover_min: cover_min 5 m is deeper than cover_max"),
    "zero diameter": ("[networks.water.diameter]\nvalue = 0" + VALUE,
                      "networks.water.diameter.value: must be greater than 0"),
    "zero rack post spacing": ("[placement.rack_post_spacing]\nvalue = 0" + VALUE,
                               "placement.rack_post_spacing.value: must be greater than 0"),
    "clearance of a kilometre": ('[[clearance.pair]]\nkinds = ["water", "warmte"]\nparallel = 1000\ncrossing = 0.5'
                                 + VALUE, r"clearance.pair[0].parallel: must be at most 25, got 1000"),
    "1e300 m working room": ("[access.working_room]\nvalue = 1e300" + VALUE,
                             "access.working_room: must be at most 10000, got 1e+300"),
}


@pytest.mark.parametrize("case", sorted(BAD_NORMS))
def test_bad_norms_values_exit_2_with_one_line_naming_the_norms_file(tmp_path, case):
    content, message = BAD_NORMS[case]
    norms = tmp_path / "mine.toml"
    norms.write_bytes(content if isinstance(content, bytes) else content.encode())
    for command in (["check", str(SAMPLES / "leiden-vkls.toml")], ["norms", "show"]):
        result = CliRunner().invoke(cli, [*command, "--norms", str(norms)])
        assert result.exit_code == 2, result.output
        assert result.stderr.count("\n") == 1 and result.stderr.startswith(f"vkls: error: {norms}: "), result.stderr
        assert message in result.stderr, result.stderr


def test_bad_norms_file_exits_2_naming_file_and_key(tmp_path):
    cases = {
        'parallel = -0.3': r"clearance\.pair\[0\]\.parallel: must not be negative",
        'parallel = nan': r"clearance\.pair\[0\]\.parallel: expected a finite number",
    }
    for line, message in cases.items():
        norms = tmp_path / "mine.toml"
        norms.write_text(f'[[clearance.pair]]\nkinds = ["water", "warmte"]\n{line}\ncrossing = 0.5\n'
                         'status = "local"\nsource = "x"\n')
        result = CliRunner().invoke(cli, ["check", str(SAMPLES / "leiden-vkls.toml"), "--norms", str(norms)])
        assert result.exit_code == 2
        assert str(norms) in result.stderr
        import re

        assert re.search(message, result.stderr), result.stderr
    norms.write_text('[[clearance.pair]]\nkinds = ["water", "lava"]\nparallel = 1.0\ncrossing = 0.5\n'
                     'status = "local"\nsource = "x"\n')
    result = CliRunner().invoke(cli, ["check", str(SAMPLES / "leiden-vkls.toml"), "--norms", str(norms)])
    assert result.exit_code == 2 and "unknown kind 'lava'" in result.stderr
    norms.write_text('[networks.water.cover]\nvalue = 0.9\nstatus = "local"\n')
    result = CliRunner().invoke(cli, ["check", str(SAMPLES / "leiden-vkls.toml"), "--norms", str(norms)])
    assert result.exit_code == 2 and "networks.water.cover.source" in result.stderr


def test_failed_run_keeps_an_existing_report_untouched(tmp_path):
    out = tmp_path / "report.json"
    out.write_text("previous report")
    bad = tmp_path / "bad.toml"
    bad.write_text(base_street() + network("X", "lava"))
    result = CliRunner().invoke(cli, ["check", str(bad), "-o", str(out)])
    assert result.exit_code == 2
    assert out.read_text() == "previous report"


def test_output_into_a_missing_folder_exits_2(tmp_path):
    result = CliRunner().invoke(cli, ["check", str(SAMPLES / "leiden-nen7171.toml"), "-o",
                                      str(tmp_path / "no" / "such" / "dir" / "r.json")])
    assert result.exit_code == 2 and "folder does not exist" in result.stderr


def test_usage_errors_exit_2():
    assert CliRunner().invoke(cli, ["check"]).exit_code == 2
    assert CliRunner().invoke(cli, ["check", "x.toml", "--format", "pdf"]).exit_code == 2
    assert CliRunner().invoke(cli, ["frobnicate"]).exit_code == 2


def test_help_texts():
    result = run("--help")
    assert result.exit_code == 0 and "check" in result.output
    result = run("check", "--help")
    assert "Exit code 0" in result.output and "--norms" in result.output


def test_report_numbers_are_millimetres(tmp_path):
    out = tmp_path / "r.json"
    run("check", str(SAMPLES / "conflicts-demo.toml"), "-o", str(out))
    for conflict in json.loads(out.read_text())["conflicts"]:
        for key in ("required", "actual", "x", "y", "z"):
            assert math.isclose(conflict[key], round(conflict[key], 3))
