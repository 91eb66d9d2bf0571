"""vkls check / render / export-ifc on a KLIC delivery, the export formats and --trees, as a user meets them."""

from __future__ import annotations

import json
import zipfile

from click.testing import CliRunner

from tests.conftest import SAMPLES
from tests.io.imkl_snippets import document, line, link, network
from tests.io.test_klic_deliveries import DATA
from vkls.cli.main import cli

SMALL = DATA / "Levering_22G003180_1.zip"


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def test_check_a_delivery_prints_one_summary_line_on_stderr(tmp_path):
    result = run("check", SMALL, "-o", tmp_path / "report.json")
    assert result.exit_code == 1, result.output
    first = result.stderr.splitlines()[0]
    assert first.startswith("KLIC Levering_22G003180_1.zip: 34 of 34 cables, pipes and containers used, 0 skipped")
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["street"]["arrangement"] == "existing networks" and report["summary"]["objects"] == 36


def test_verbose_lists_every_imkl_type_with_read_used_skipped(tmp_path):
    result = run("check", SMALL, "--verbose", "-o", tmp_path / "report.csv")
    rows = result.stderr.splitlines()
    assert any(r.split()[:4] == ["Elektriciteitskabel", "16", "16", "0"] for r in rows)
    assert any(r.split()[:4] == ["Maatvoering", "209", "0", "209"] for r in rows)
    assert any("dimensioning on the map" in r for r in rows)


def test_quiet_prints_nothing():
    result = run("check", SMALL, "-q")
    assert result.exit_code == 1 and result.output == ""


def test_bad_deliveries_exit_2_with_one_line(tmp_path):
    cut = tmp_path / "cut.gml"
    text = document(network("w", "water", 1.0), link("L1", [(155000, 463000), (155005, 463000)]),
                    line("Waterleiding", "W1", "w", ["L1"]))
    cut.write_text(text[:300], encoding="utf-8")
    empty = tmp_path / "Levering_3.zip"
    with zipfile.ZipFile(empty, "w") as archive:
        archive.writestr("3/readme.txt", "no gml here")
    damaged = tmp_path / "Levering_4.zip"
    with zipfile.ZipFile(damaged, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("4/GI_gebiedsinformatielevering_4.xml", text * 20)
    raw = bytearray(damaged.read_bytes())
    raw[600:700] = bytes(b ^ 0x5A for b in raw[600:700])  # inside the compressed data
    damaged.write_bytes(bytes(raw))
    cases = [(cut, "not well-formed XML"), (empty, "the zip holds no GML"), (damaged, "the zip is damaged")]
    for name, (old, new), message in (
            ("dimension0.gml", ("<gml:LineString ", '<gml:LineString srsDimension="0" '), "srsDimension must be 2 or 3"),
            ("dimensiontext.gml", ("<gml:LineString ", '<gml:LineString srsDimension="abc" '),
             "srsDimension must be 2 or 3"),
            ("infinite.gml", ("155005 463000", "155005 inf"), "coordinates must be finite RD New metres"),
            ("nan.gml", ("155005 463000", "nan 463000"), "coordinates must be finite RD New metres")):
        path = tmp_path / name
        path.write_text(text.replace(old, new), encoding="utf-8")
        cases.append((path, message))
    for path, message in cases:
        result = run("check", path)
        assert result.exit_code == 2, (path, result.output)
        assert result.stderr.count("\n") == 1 and result.stderr.startswith(f"vkls: error: {path}") \
            and message in result.stderr, result.stderr


def test_exports_by_extension_and_binary_formats_need_a_file(tmp_path):
    for suffix in ("geojson", "gpkg", "bcf"):
        out = tmp_path / f"conflicts.{suffix}"
        result = run("check", SMALL, "-o", out)
        assert result.exit_code == 1 and out.stat().st_size > 0, result.output
    assert json.loads((tmp_path / "conflicts.geojson").read_text())["type"] == "FeatureCollection"
    assert zipfile.ZipFile(tmp_path / "conflicts.bcf").read("bcf.version").startswith(b"<?xml")
    result = run("check", SMALL, "--format", "bcf")
    assert result.exit_code == 2 and "give -o FILE.bcf" in result.stderr


def test_export_ifc_of_a_street_and_of_a_delivery(tmp_path):
    for source in (SAMPLES / "leiden-vkls.toml", SMALL):
        out = tmp_path / f"{source.stem}.ifc"
        result = run("export-ifc", source, "-o", out)
        assert result.exit_code == 0, result.output
        assert out.read_text().startswith("ISO-10303-21;") and "IFCSWEPTDISKSOLID" in out.read_text()
    result = run("export-ifc", SMALL, "-o", tmp_path / "scene.txt")
    assert result.exit_code == 2 and "ending in .ifc" in result.stderr


def test_render_a_delivery_from_above(tmp_path):
    out = tmp_path / "map.png"
    result = run("render", SMALL, "-o", out, "--view", "top", "--size", "320x200")
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"\x89PNG")
    for command in (["render", SMALL, "-o", out, "--view", "section"], ["section", SMALL, "--chainage", 5, "-o",
                                                                           tmp_path / "section.png"]):
        result = run(*command)
        assert result.exit_code == 2 and result.stderr.count("\n") == 1, result.output
        assert result.stderr.startswith(f"vkls: error: {SMALL}: ") and "no route to cut a section" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["map.png"]


def test_trees_option_adds_a_gis_layer_to_a_street(tmp_path):
    trees = tmp_path / "trees.geojson"
    # a point beside the Leiden route (RD New, no crs member): 2.5 m into the street at 6 m
    trees.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [92880.0, 464399.4]},
         "properties": {"id": "GIS1", "size_class": "2"}}]}), encoding="utf-8")
    result = run("check", SAMPLES / "leiden-vkls.toml", "--trees", trees, "--format", "json")
    assert result.exit_code == 1, result.output
    assert "trees: 1 of 1 from" in result.stderr
    named = {o for c in json.loads(result.stdout)["conflicts"] for o in c["objects"] if o}
    assert "GIS1" in named


def test_the_interactive_viewer_builds_for_a_delivery():
    from vkls.pipeline import check
    from vkls.viewer.interactive import build_viewer

    result = check(str(SMALL))
    viewer = build_viewer(result.street, result.scene, result.conflicts, off_screen=True, size=(320, 200))
    try:
        assert {"networks", "ground", "conflicts"} <= set(viewer.groups())
        assert viewer.pick(160, 100) is not None
    finally:
        viewer.plotter.close()
