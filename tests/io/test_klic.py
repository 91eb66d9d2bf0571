"""The KLIC (IMKL 2.0) importer on small deliveries written by hand."""

import zipfile

import numpy as np
import pytest

from tests.io.imkl_snippets import annotation, depth, document, line, link, network
from vkls.errors import InputError
from vkls.io.klic import UNKNOWN_ACCURACY, load_klic, read_klic
from vkls.model import NetworkKind
from vkls.pipeline import check, check_street
from vkls.rules.loader import load_norms

NORMS = load_norms()
X0, Y0 = 155000.0, 463000.0


def write(tmp_path, *members, name="delivery.gml"):
    path = tmp_path / name
    path.write_text(document(*members), encoding="utf-8")
    return path


def by_id(network_map):
    return {u.id: u for u in network_map.utilities}


def test_a_pipe_takes_theme_diameter_standard_depth_accuracy_and_owner_code(tmp_path):
    path = write(tmp_path, network("nl.imkl-KL1.water", "water", 1.0),
                 link("nl.imkl-KL1.L1", [(X0, Y0), (X0 + 10, Y0), (X0 + 10, Y0 + 5)]),
                 line("Waterleiding", "nl.imkl-KL1.W1", "nl.imkl-KL1.water", ["nl.imkl-KL1.L1"], diameter_mm=110,
                      accuracy="tot50cm"))
    (pipe,) = read_klic(str(path), NORMS).utilities
    assert (pipe.id, pipe.kind, pipe.owner, pipe.status) == ("KL1.W1", NetworkKind.WATER, "KL1", "in use")
    assert pipe.diameter == pytest.approx(0.110)
    np.testing.assert_allclose(pipe.points, [[X0, Y0, 1.055], [X0 + 10, Y0, 1.055], [X0 + 10, Y0 + 5, 1.055]])
    assert (pipe.accuracy_xy, pipe.accuracy_depth) == (0.5, UNKNOWN_ACCURACY)
    assert pipe.group == "KL1.water"


def test_defaults_per_kind_where_the_delivery_gives_no_diameter_or_depth(tmp_path):
    path = write(tmp_path, network("nl.imkl-KL1.ls", "laagspanning"), link("nl.imkl-KL1.L1", [(X0, Y0), (X0 + 5, Y0)]),
                 line("Elektriciteitskabel", "nl.imkl-KL1.E1", "nl.imkl-KL1.ls", ["nl.imkl-KL1.L1"], accuracy="onbekend"))
    imported = load_klic(str(path), NORMS)
    (cable,) = imported.network_map.utilities
    diameter = NORMS.number("networks.laagspanning.diameter")
    assert cable.diameter == diameter
    assert cable.points[:, 2] == pytest.approx(NORMS.number("networks.laagspanning.cover") + diameter / 2)
    assert cable.accuracy_xy == UNKNOWN_ACCURACY
    assert (imported.counts.diameters_default, imported.counts.depths_default) == (1, 1)


@pytest.mark.parametrize("standard_depth, diameter_mm", [(1e300, -110), (-0.5, 0), (25.0, 1e7)])
def test_implausible_standard_depth_and_diameter_fall_back_to_the_kind_defaults(tmp_path, standard_depth, diameter_mm):
    path = write(tmp_path, network("nl.imkl-KL1.water", "water", standard_depth),
                 link("nl.imkl-KL1.L1", [(X0, Y0), (X0 + 5, Y0)]),
                 line("Waterleiding", "nl.imkl-KL1.W1", "nl.imkl-KL1.water", ["nl.imkl-KL1.L1"], diameter_mm=diameter_mm))
    imported = load_klic(str(path), NORMS)
    (pipe,) = imported.network_map.utilities
    diameter = NORMS.number("networks.water.diameter")
    assert pipe.diameter == diameter
    assert pipe.points[:, 2] == pytest.approx(NORMS.number("networks.water.cover") + diameter / 2)
    counts = imported.counts
    assert (counts.diameters_default, counts.depths_default, counts.depths_standard) == (1, 1, 0)


def test_diameter_units_cm_and_kabelbed_width(tmp_path):
    path = write(tmp_path, network("n", "warmte", 1.0), network("m", "middenspanning", 0.6),
                 link("L1", [(X0, Y0), (X0 + 5, Y0)]), link("L2", [(X0, Y0 + 3), (X0 + 5, Y0 + 3)]),
                 line("ThermischePijpleiding", "H1", "n", ["L1"], diameter_mm=20, unit="cm"),
                 line("Kabelbed", "K1", "m", ["L2"], diameter_mm=5, unit="cm", diameter_tag="ductWidth"))
    utilities = by_id(read_klic(str(path), NORMS))
    assert utilities["H1"].diameter == pytest.approx(0.20)
    assert utilities["K1"].diameter == pytest.approx(0.05)


def test_depth_annotations_are_attached_to_the_nearest_line_and_interpolated_by_chainage(tmp_path):
    path = write(tmp_path, network("g", "gasLageDruk", 1.0), network("w", "water", 1.0),
                 link("L1", [(X0, Y0), (X0 + 20, Y0)]), link("L2", [(X0, Y0 + 1.0), (X0 + 20, Y0 + 1.0)]),
                 line("OlieGasChemicalienPijpleiding", "G1", "g", ["L1"], diameter_mm=100),
                 line("Waterleiding", "W1", "w", ["L2"], diameter_mm=100),
                 # on the gas pipe (and nearer the water pipe, which is of another network: not attached there)
                 depth("D1", "g", (X0 + 5, Y0 + 0.6), 0.8), depth("D2", "g", (X0 + 15, Y0), 1.2, accuracy="tot50cm"),
                 depth("D3", "g", (X0 + 10, Y0 + 6.0), 2.0))  # 6 m away: too far
    imported = load_klic(str(path), NORMS)
    utilities = by_id(imported.network_map)
    gas = utilities["G1"]
    assert gas.points[:, 0].tolist() == pytest.approx([X0, X0 + 5, X0 + 15, X0 + 20])
    assert gas.points[:, 2].tolist() == pytest.approx([0.85, 0.85, 1.25, 1.25])  # constant beyond the ends
    assert np.interp(X0 + 10, gas.points[:, 0], gas.points[:, 2]) == pytest.approx(1.05)
    assert gas.accuracy_depth == 0.5  # the coarsest class among its annotations
    assert utilities["W1"].points[:, 2] == pytest.approx(1.05)  # untouched: standard depth
    counts = imported.counts.of("DiepteTovMaaiveld")
    assert (counts.read, counts.used, counts.n_skipped) == (3, 2, 1)
    (reason,) = counts.skipped
    assert "further than 2 m" in reason and counts.named[reason] == ["D3"]


def test_depth_nap_needs_a_ground_level_and_an_invert_annotation_gives_the_top(tmp_path):
    path = write(tmp_path, network("r", "rioolVrijverval", 2.0), link("L1", [(X0, Y0), (X0 + 20, Y0)]),
                 line("Rioolleiding", "R1", "r", ["L1"], diameter_mm=300),
                 depth("N1", "r", (X0, Y0), -0.5, kind="DiepteNAP", ground_level=1.0),
                 depth("N2", "r", (X0 + 10, Y0), -0.5, kind="DiepteNAP"),
                 depth("B1", "r", (X0 + 20, Y0), 2.5, reference="binnenonderkantBuis"))
    imported = load_klic(str(path), NORMS)
    (sewer,) = imported.network_map.utilities
    # N1: cover = maaiveldPeil - dieptePeil = 1.5; B1: invert 2.5 -> top 2.2; axis = top + 0.15
    assert sewer.points[[0, -1], 2].tolist() == pytest.approx([1.65, 2.35])
    nap = imported.counts.of("DiepteNAP")
    assert (nap.used, nap.n_skipped) == (1, 1) and "maaiveldPeil" in next(iter(nap.skipped))


def test_a_cable_in_its_sleeve_shares_its_group_and_is_not_a_conflict_but_a_crossing_is(tmp_path):
    path = write(tmp_path, network("ms", "middenspanning", 0.8), network("g", "gasLageDruk", 0.8),
                 link("L1", [(X0, Y0), (X0 + 30, Y0)]), link("L2", [(X0 + 10, Y0 + 0.1), (X0 + 16, Y0 + 0.1)]),
                 link("L3", [(X0 + 20, Y0 - 5), (X0 + 20, Y0 + 5)]),
                 line("Elektriciteitskabel", "E1", "ms", ["L1"]),
                 line("Mantelbuis", "M1", "ms", ["L2"], diameter_mm=160),
                 line("OlieGasChemicalienPijpleiding", "G1", "g", ["L3"], diameter_mm=63))
    imported = load_klic(str(path), NORMS)
    utilities = by_id(imported.network_map)
    assert utilities["E1"].group == utilities["M1"].group != utilities["G1"].group
    assert imported.counts.groups == 1
    result = check_street(imported.network_map, NORMS)
    pairs = {frozenset(c.objects) for c in result.conflicts if c.objects[1]}
    assert frozenset({"E1", "M1"}) not in pairs
    assert frozenset({"E1", "G1"}) in pairs  # the crossing at the same standard depth


def test_a_line_of_another_network_drawn_through_a_sleeve_joins_its_group(tmp_path):
    path = write(tmp_path, network("ms", "middenspanning", 0.8), network("g", "gasLageDruk", 1.0),
                 link("L1", [(X0, Y0), (X0 + 8, Y0)]), link("L2", [(X0 - 5, Y0), (X0 + 20, Y0)]),
                 link("L3", [(X0 - 5, Y0 + 0.2), (X0 + 20, Y0 + 0.2)]),
                 line("Mantelbuis", "M1", "ms", ["L1"], diameter_mm=200),
                 line("OlieGasChemicalienPijpleiding", "G1", "g", ["L2"], diameter_mm=63),
                 line("OlieGasChemicalienPijpleiding", "G2", "g", ["L3"], diameter_mm=63))
    utilities = by_id(read_klic(str(path), NORMS))
    assert utilities["G1"].group == utilities["M1"].group
    # G2 (0.2 m beside the sleeve's axis, another network) is not in it, but it is in G1's network
    assert utilities["G2"].group == utilities["G1"].group


def test_status_out_of_use_orphan_and_projected(tmp_path):
    path = write(tmp_path, network("w", "water", 1.0), network("o", "wees"),
                 link("L1", [(X0, Y0), (X0 + 5, Y0)]), link("L2", [(X0, Y0 + 5), (X0 + 5, Y0 + 5)]),
                 link("L3", [(X0, Y0 + 9), (X0 + 5, Y0 + 9)]),
                 line("Waterleiding", "W1", "w", ["L1"], status="disused"),
                 line("Elektriciteitskabel", "E1", "o", ["L2"]),
                 line("Waterleiding", "W2", "w", ["L3"], status="projected"))
    utilities = by_id(read_klic(str(path), NORMS))
    assert utilities["W1"].status == "out of use" and "out of use" in utilities["W1"].label
    assert (utilities["E1"].status, utilities["E1"].kind) == ("orphan", NetworkKind.LAAGSPANNING)
    assert utilities["W2"].status == "in use" and "projected" in utilities["W2"].label


def test_unknown_and_unchecked_themes_and_missing_geometry_are_skipped_counted_and_named(tmp_path):
    path = write(tmp_path, network("hs", "hoogspanning", 1.2), network("x", "teleportatie"), network("w", "water", 1),
                 link("L1", [(X0, Y0), (X0 + 5, Y0)]), link("L2", [(X0, Y0)]),
                 line("Elektriciteitskabel", "E1", "hs", ["L1"]), line("Elektriciteitskabel", "E2", "x", ["L1"]),
                 line("Waterleiding", "W1", "w", ["NOPE"]), line("Waterleiding", "W2", "w", ["L2"]),
                 line("Waterleiding", "W3", "w", ["L1"]), annotation("A1"), annotation("A2"))
    imported = load_klic(str(path), NORMS)
    assert [u.id for u in imported.network_map.utilities] == ["W3"]
    cables = imported.counts.of("Elektriciteitskabel")
    assert (cables.read, cables.used, cables.n_skipped) == (2, 0, 2)
    reasons = {reason: cables.named[reason] for reason in cables.skipped}
    assert any("hoogspanning" in r and ids == ["E1"] for r, ids in reasons.items())
    assert any("unknown theme 'teleportatie'" in r and ids == ["E2"] for r, ids in reasons.items())
    pipes = imported.counts.of("Waterleiding")
    assert (pipes.read, pipes.used, pipes.n_skipped) == (3, 1, 2)
    assert all(r.startswith("missing geometry") for r in pipes.skipped)
    assert sorted(sum((pipes.named[r] for r in pipes.skipped), [])) == ["W1", "W2"]
    assert imported.counts.of("Annotatie").read == 2
    summary, *table = imported.network_map.notes
    assert "1 of 5 cables, pipes and containers used, 4 skipped" in summary
    assert any("E1" in row and "hoogspanning" in row for row in table)


def test_an_object_with_two_links_becomes_two_utilities_of_one_group(tmp_path):
    path = write(tmp_path, network("ls", "laagspanning", 0.6), link("L1", [(X0, Y0), (X0 + 5, Y0)]),
                 link("L2", [(X0 + 5, Y0), (X0 + 5, Y0 + 5)]), line("Elektriciteitskabel", "E1", "ls", ["L1", "L2"]))
    imported = load_klic(str(path), NORMS)
    assert [u.id for u in imported.network_map.utilities] == ["E1/1", "E1/2"]
    assert imported.counts.of("Elektriciteitskabel").used == 1


@pytest.mark.parametrize("srs", ["urn:ogc:def:crs:EPSG::28992", "urn:x-ogc:def:crs:EPSG:28992", "EPSG:28992",
                                 "http://www.opengis.net/def/crs/EPSG/0/28992", "urn:ogc:def:crs:EPSG::7415"])
def test_rd_new_spellings_are_accepted(tmp_path, srs):
    path = write(tmp_path, network("w", "water", 1.0), link("L1", [(X0, Y0), (X0 + 5, Y0)], srs=srs),
                 line("Waterleiding", "W1", "w", ["L1"]))
    assert len(read_klic(str(path), NORMS).utilities) == 1


def test_another_crs_is_an_error_naming_file_and_element(tmp_path):
    path = write(tmp_path, network("w", "water", 1.0), link("L1", [(4.4, 52.1), (4.5, 52.1)], srs="EPSG:4326"),
                 line("Waterleiding", "W1", "w", ["L1"]))
    with pytest.raises(InputError) as error:
        read_klic(str(path), NORMS)
    assert str(error.value).startswith(f"{path}: L1 <gml:LineString>: coordinates in 'EPSG:4326'")


def test_truncated_xml_is_an_error_with_its_line(tmp_path):
    text = document(network("w", "water", 1.0), link("L1", [(X0, Y0), (X0 + 5, Y0)]),
                    line("Waterleiding", "W1", "w", ["L1"]))
    path = tmp_path / "cut.xml"
    path.write_text(text[: len(text) // 2], encoding="utf-8")
    with pytest.raises(InputError) as error:
        read_klic(str(path), NORMS)
    assert "not well-formed XML" in str(error.value) and f"{path}: line " in str(error.value)


def test_an_xml_that_is_not_imkl_is_an_error(tmp_path):
    path = tmp_path / "street.xml"
    path.write_text('<?xml version="1.0"?><street><name>x</name></street>', encoding="utf-8")
    with pytest.raises(InputError, match="not an IMKL delivery: the root element is <street>"):
        read_klic(str(path), NORMS)


def test_the_gml_is_streamed_out_of_the_zip(tmp_path):
    gml = document(network("w", "water", 1.0), link("L1", [(X0, Y0), (X0 + 5, Y0)]),
                   line("Waterleiding", "W1", "w", ["L1"]))
    path = tmp_path / "Levering_1.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("1/_Startpagina.html", "<html/>")
        archive.writestr("1/GI_gebiedsinformatielevering_1_V2.xml", gml)
    result = check(str(path))
    assert [u.id for u in result.street.utilities] == ["W1"]
    assert result.street.name == "Levering_1" and not list(tmp_path.glob("1"))  # nothing extracted


def test_a_zip_without_gml_is_an_error_listing_its_files(tmp_path):
    path = tmp_path / "Levering_2.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("2/_Startpagina.html", "<html/>")
        archive.writestr("2/map.png", b"png")
    with pytest.raises(InputError, match=r"the zip holds no GML \(.xml/.gml\) file; it holds: 2/_Startpagina.html, "
                                         r"2/map.png"):
        read_klic(str(path), NORMS)


def test_a_file_that_is_not_a_zip_is_an_error(tmp_path):
    path = tmp_path / "broken.zip"
    path.write_bytes(b"not a zip")
    with pytest.raises(InputError, match="not a zip file"):
        read_klic(str(path), NORMS)
