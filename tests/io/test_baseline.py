import json

from click.testing import CliRunner

from tests.conftest import network
from vkls.cli.main import cli


def test_new_persisting_and_resolved(street_file, tmp_path):
    before = (network("G", "gasLageDruk", offset=1.0, depth=0.8, diameter=0.11)
              + network("W", "water", offset=1.3, depth=0.8, diameter=0.11))
    old = tmp_path / "old.json"
    assert CliRunner().invoke(cli, ["check", street_file(before), "-o", str(old)]).exit_code == 1
    old_ids = {c["id"] for c in json.loads(old.read_text())["conflicts"]}
    # the redesign fixes gas-water and adds telecom too close to water
    after = (network("G", "gasLageDruk", offset=0.9, depth=0.8, diameter=0.11)
             + network("W", "water", offset=1.5, depth=0.8, diameter=0.11)
             + network("T", "datatransport", offset=1.62, depth=0.8, diameter=0.05))
    new = tmp_path / "new.json"
    result = CliRunner().invoke(cli, ["check", street_file(after, name="after.toml"), "--baseline", str(old),
                                      "-o", str(new)])
    assert result.exit_code == 1
    document = json.loads(new.read_text())
    states = {c["id"]: c["baseline"] for c in document["conflicts"]}
    assert "new" in states.values()
    assert all(states[i] == "persisting" for i in states if i in old_ids)
    resolved = {c["id"] for c in document["resolved"]}
    assert resolved and resolved <= old_ids and not resolved & set(states)
    summary = document["summary"]["baseline"]
    assert summary["resolved"] == len(resolved)
    assert summary.get("new", 0) + summary.get("persisting", 0) == len(states)
    table = CliRunner().invoke(cli, ["check", street_file(after, name="after.toml"), "--baseline", str(old)]).output
    assert "Resolved since" in table and "new" in table


def test_bad_baseline_exits_2(street_file, tmp_path):
    body = network("G", "gasLageDruk", offset=1.0, depth=0.8)
    for content, message in (("not json", "not a JSON report"), ('{"conflicts": [{"x": 1}]}', "not a vkls JSON report")):
        bad = tmp_path / "bad.json"
        bad.write_text(content)
        result = CliRunner().invoke(cli, ["check", street_file(body), "--baseline", str(bad)])
        assert result.exit_code == 2 and message in result.stderr and str(bad) in result.stderr
    result = CliRunner().invoke(cli, ["check", street_file(body), "--baseline", str(tmp_path / "none.json")])
    assert result.exit_code == 2 and "baseline file not found" in result.stderr
