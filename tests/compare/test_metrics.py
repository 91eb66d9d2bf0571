"""Hand-computed comparison figures on simple rectangular sections."""

import json
import math

import pytest
from click.testing import CliRunner

from tests.conftest import REPO, SAMPLES, base_street, network
from vkls.cli.main import cli
from vkls.compare.metrics import layout_metrics
from vkls.pipeline import check
from vkls.rules.loader import load_norms

NORMS = load_norms()
STREET = base_street(zones=(("sidewalk", 5.0, "paving"), ("road", 6.0, "asphalt")),
                     coordinates="[[155000.0, 463000.0], [155050.0, 463000.0]]")
POLYGON = 32 * math.sin(2 * math.pi / 64)  # area of the 64-gon circle of radius 1 (shapely, quad_segs 16)


def metrics(street_file, body, extra=""):
    return layout_metrics(check(street_file(body, extra, base=STREET)), NORMS)


def test_one_pipe_claims_its_own_circle_only(street_file):
    m = metrics(street_file, network("W", "water", offset=2.0, depth=1.0, diameter=0.2))
    assert m.claimed_width == pytest.approx(0.2)
    assert m.claimed_area == pytest.approx(POLYGON * 0.01)
    assert m.free_width == pytest.approx(11.0 - 0.2)
    assert m.street_width == 11.0 and m.sidewalk_width == 5.0


def test_neighbours_claim_half_their_required_distance(street_file):
    # gas-water 0.30 m side by side: each pipe (r 0.05) grows by 0.15 m
    body = (network("G", "gasLageDruk", offset=1.0, depth=0.7, diameter=0.1)
            + network("W", "water", offset=2.0, depth=0.7, diameter=0.1))
    m = metrics(street_file, body)
    assert m.claimed_width == pytest.approx(2 * 0.4)
    assert m.claimed_area == pytest.approx(2 * POLYGON * 0.2 ** 2)
    assert m.sidewalk_need == pytest.approx(2.2) and m.fits_sidewalk


def test_trench_volume_openings_and_exposed_networks(street_file):
    # water d 0.1, cover 0.9: trench 0.1 + 2 x 0.3 wide, 1.0 + 0.1 deep -> 0.77 m2, x 2 m = 1.54 m3
    body = (network("W", "water", offset=2.0, depth=0.9, diameter=0.1)
            + network("L", "laagspanning", offset=2.2, depth=0.5, diameter=0.05))
    m = metrics(street_file, body)
    water = next(d for d in m.digs if d.network == "W")
    assert water.trench_area == pytest.approx(0.77)
    assert water.volume == pytest.approx(1.54)
    assert water.exposed == ["L"]
    assert water.openings_per_100m_year == pytest.approx(0.06)  # water's share of 1 opening per 100 m per year
    cable = next(d for d in m.digs if d.network == "L")
    assert cable.exposed == []
    # LV: 0.05 + 0.6 wide, 0.55 + 0.1 deep
    assert cable.volume == pytest.approx(0.65 * 0.65 * 2.0)
    assert m.excavation_per_100m_year == pytest.approx(1.54 * 0.06 + 0.65 * 0.65 * 2.0 * 0.10)
    assert m.exposures_per_100m_year == pytest.approx(0.06)


def test_root_volume_left_over_a_pipe(street_file):
    # tree right above a water pipe (its claim: the 0.2 m radius circle, since gas is the nearest
    # neighbour and needs 0.15 m); root zone radius max(1 + 1, 12 x 0.1) = 2 m, 1.5 m deep
    body = (network("W", "water", offset=2.0, depth=0.7, diameter=0.1)
            + network("G", "gasLageDruk", offset=4.5, depth=0.7, diameter=0.1))
    tree = ('[[trees]]\nid = "B1"\nchainage = 25.0\noffset = 2.0\nsize_class = "3"\ntrunk_diameter = 0.1\n'
            'crown_radius = 1.0\n')
    m = metrics(street_file, body, tree)
    (room,) = m.trees
    assert room.zone_volume == pytest.approx(math.pi * 4 * 1.5, rel=1e-3)
    # the claim circle lies inside every slice wider than itself: |s - c| < sqrt(4 - 0.04)
    assert room.claimed_volume == pytest.approx(POLYGON * 0.2 ** 2 * 2 * math.sqrt(4 - 0.04), rel=0.01)
    assert room.free_volume == pytest.approx(room.zone_volume - room.claimed_volume)
    assert room.need == 12.0 and room.meets_need


def test_narrow_street_report_says_nen_does_not_fit(tmp_path):
    out = tmp_path / "narrow.html"
    result = CliRunner().invoke(cli, ["compare", str(SAMPLES / "narrow-nen7171.toml"),
                                      str(SAMPLES / "narrow-vkls.toml"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    page = out.read_text()
    assert "DOES NOT FIT the sidewalk" in page
    assert page.count("data:image/png;base64,") == 4  # a section and a 3D view per layout
    assert "How each figure is computed" in page


@pytest.mark.parametrize("name, files", [
    ("leiden", ["leiden-nen7171.toml", "leiden-vkls.toml", "leiden-vkls-double.toml"]),
    ("narrow", ["narrow-nen7171.toml", "narrow-vkls.toml"]),
])
def test_compare_reports_match_golden(tmp_path, name, files):
    import os

    out = tmp_path / "c.json"
    result = CliRunner().invoke(cli, ["compare", *[str(SAMPLES / f) for f in files], "-o", str(out)])
    assert result.exit_code == 0, result.output
    got = json.loads(out.read_text())
    for layout in got["layouts"]:
        layout["file"] = os.path.basename(layout["file"])
    golden = REPO / "tests" / "golden" / f"compare-{name}.json"
    if os.environ.get("VKLS_UPDATE_GOLDEN"):
        golden.write_text(json.dumps(got, indent=1) + "\n")
    assert got == json.loads(golden.read_text())


def test_a_wide_and_a_narrow_rack_street_side_by_side_with_pictures(tmp_path):
    out = tmp_path / "c.md"
    result = CliRunner().invoke(cli, ["compare", str(SAMPLES / "leiden-vkls.toml"), str(SAMPLES / "narrow-vkls.toml"),
                                      "-o", str(out)])
    assert result.exit_code == 0, result.output  # the narrow street's section once had no room for its legend
    assert out.read_text().count("(data:image/png;base64,") == 4  # a section and a 3D view per layout


def test_compare_bad_input(tmp_path):
    runner = CliRunner()
    one = runner.invoke(cli, ["compare", str(SAMPLES / "leiden-vkls.toml"), "-o", str(tmp_path / "r.html")])
    assert one.exit_code == 2 and "at least two layouts" in one.stderr
    pdf = runner.invoke(cli, ["compare", str(SAMPLES / "leiden-vkls.toml"), str(SAMPLES / "narrow-vkls.toml"),
                              "-o", str(tmp_path / "r.pdf")])
    assert pdf.exit_code == 2 and "use .html, .md or .json" in pdf.stderr
    assert not any(tmp_path.iterdir())
