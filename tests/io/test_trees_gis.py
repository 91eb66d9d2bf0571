"""Trees from GeoJSON and GeoPackage layers, placed on a street's route or on a map."""

import json

import numpy as np
import pytest

from tests.conftest import BASE_STREET, network
from vkls.errors import InputError
from vkls.io.street_toml import read_street
from vkls.io.trees_gis import CLASS_DEFAULTS, DEFAULT_SIZE_CLASS, add_trees, read_trees
from vkls.model import NetworkKind, NetworkMap, Utility
from vkls.pipeline import check_street
from vkls.rules.loader import load_norms

NORMS = load_norms()
X0, Y0 = 155000.0, 463000.0  # the test street's route runs from here 20 m east, the street to its right (south)


def geojson(tmp_path, points, properties=None, crs=None, name="trees.geojson"):
    features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": list(p)},
                 "properties": (properties or [{}] * len(points))[n]} for n, p in enumerate(points)]
    document = {"type": "FeatureCollection", "features": features}
    if crs:
        document["crs"] = {"type": "name", "properties": {"name": crs}}
    path = tmp_path / name
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def wgs84(x, y):
    from pyproj import Transformer

    return Transformer.from_crs("EPSG:28992", "EPSG:4326", always_xy=True).transform(x, y)


def test_wgs84_geojson_is_transformed_to_rd_new_and_defaults_fill_in(tmp_path):
    path = geojson(tmp_path, [wgs84(X0 + 5, Y0 - 3), wgs84(X0 + 12, Y0 - 3)],
                   [{"id": "B7", "size_class": "1b", "trunk_diameter": 0.5, "crown_radius": 4},
                    {"stamdiameter_cm": 35, "kroondiameter": 5, "wortelscherm": "ja"}])
    first, second = read_trees(str(path))
    assert first.xy == pytest.approx((X0 + 5, Y0 - 3), abs=1e-3)
    assert (first.id, first.size_class, first.trunk_diameter, first.crown_radius) == ("B7", "1b", 0.5, 4.0)
    assert (second.id, second.size_class) == ("GIS-T2", DEFAULT_SIZE_CLASS)
    assert (second.trunk_diameter, second.crown_radius, second.root_barrier) == (0.35, 2.5, True)


def test_rd_coordinates_without_a_crs_member_and_the_legacy_crs_member(tmp_path):
    (tree,) = read_trees(str(geojson(tmp_path, [(X0, Y0)], [{"size_class": "3"}])))
    assert tree.xy == (X0, Y0) and (tree.trunk_diameter, tree.crown_radius) == CLASS_DEFAULTS["3"]
    (tree,) = read_trees(str(geojson(tmp_path, [(X0, Y0)], crs="urn:ogc:def:crs:EPSG::28992", name="b.geojson")))
    assert tree.xy == (X0, Y0)


def test_geopackage_trees_in_their_own_crs(tmp_path):
    import shapely
    from pyogrio.raw import write

    lon, lat = wgs84(X0 + 3, Y0 - 2)
    path = tmp_path / "trees.gpkg"
    write(path, geometry=shapely.to_wkb(np.array([shapely.Point(lon, lat)])),
          field_data=[np.array(["B1"], dtype=object), np.array(["2"], dtype=object), np.array([0.4])],
          fields=["boomnummer", "grootteklasse", "trunk_diameter"], crs="EPSG:4326", geometry_type="Point",
          driver="GPKG")
    (tree,) = read_trees(str(path))
    assert (tree.id, tree.size_class, tree.trunk_diameter) == ("B1", "2", 0.4)
    assert tree.xy == pytest.approx((X0 + 3, Y0 - 2), abs=1e-3)


@pytest.mark.parametrize("feature, message", [
    ({"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}, "properties": {}},
     "features[0]: expected a Point geometry, got LineString"),
    ({"type": "Feature", "geometry": {"type": "Point", "coordinates": [X0, Y0]}, "properties": {"size_class": "4"}},
     "feature 1: size class must be one of 1a, 1b, 2, 3, got '4'"),
    ({"type": "Feature", "geometry": {"type": "Point", "coordinates": [X0, Y0]},
      "properties": {"trunk_diameter": -0.2}}, "feature 1: trunk_diameter must be greater than 0, got -0.2"),
    ({"type": "Feature", "geometry": {"type": "Point", "coordinates": [5000000.0, Y0]}, "properties": {}},
     "outside RD New's area"),
    ("x", "features[0]: expected a Feature object"),
    ({"type": "Feature", "geometry": {"type": "Point", "coordinates": [X0]}, "properties": {}},
     "features[0]: a Point needs its x and y coordinates, got [155000.0]"),
    ({"type": "Feature", "geometry": {"type": "Point", "coordinates": [X0, Y0]}, "properties": ["id"]},
     "features[0]: properties must be an object"),
    ({"type": "Feature", "geometry": "Point"}, "features[0]: expected a Point geometry, got none"),
    ({"type": "Feature", "geometry": {"type": "Point", "coordinates": [X0, Y0]}, "properties": {"wortelscherm": "misschien"}},
     "feature 1: root_barrier must be yes or no (ja/nee, true/false, 1/0), got 'misschien'"),
    ({"type": "Feature", "geometry": {"type": "Point", "coordinates": [X0, Y0]}, "properties": {"crown_radius": 1e300}},
     "feature 1: crown_radius must be at most 40, got 1e+300"),
])
def test_bad_tree_layers_are_named(tmp_path, feature, message):
    path = tmp_path / "bad.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}), encoding="utf-8")
    with pytest.raises(InputError) as error:
        read_trees(str(path))
    assert message in str(error.value) and str(error.value).startswith(str(path))


def test_a_damaged_geopackage_is_one_line_without_gdal_warnings(tmp_path):
    import subprocess
    import sys

    from tests.conftest import SAMPLES

    fake = tmp_path / "trees.gpkg"
    fake.write_bytes(b"SQLite format 3\x00" + bytes(2000))
    # A process of its own: pytest would catch the warnings before they reach standard error.
    result = subprocess.run([sys.executable, "-m", "vkls", "check", str(SAMPLES / "leiden-vkls.toml"), "--trees",
                             str(fake)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith(f"vkls: error: {fake}: cannot read"), \
        result.stderr


def test_features_that_are_not_a_list_are_named(tmp_path):
    path = tmp_path / "bad.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": "x"}), encoding="utf-8")
    with pytest.raises(InputError, match="expected a GeoJSON FeatureCollection of points"):
        read_trees(str(path))


def test_trees_are_projected_onto_a_streets_route(tmp_path):
    street_file = tmp_path / "street.toml"
    street_file.write_text(BASE_STREET + network("W1", "water", offset=2.0), encoding="utf-8")
    street = read_street(str(street_file), NORMS)
    trees = read_trees(str(geojson(tmp_path, [(X0 + 6, Y0 - 2.5), (X0 + 30, Y0 - 1)], [{"id": "B1"}, {"id": "B2"}])))
    placed, skipped = add_trees(street, trees, "trees.geojson")
    (tree,) = placed.trees
    assert (tree.id, tree.chainage, tree.offset) == ("B1", pytest.approx(6.0), pytest.approx(2.5))
    assert skipped == ["B2"]  # 10 m beyond the end of the 20 m route
    rules = {c.rule for c in check_street(placed, NORMS).conflicts if "B1" in c.objects[0] + (c.objects[1] or "")}
    assert "tree-distance" in rules  # the water main runs 0.5 m from the trunk


def test_trees_join_a_map_by_their_position_and_clash_with_its_cables(tmp_path):
    cable = Utility("L", NetworkKind.LAAGSPANNING, "t", 0.05, np.array([[X0, Y0, 0.6], [X0 + 10, Y0, 0.6]]))
    trees = read_trees(str(geojson(tmp_path, [(X0 + 5, Y0 + 1)])))
    network_map, skipped = add_trees(NetworkMap("m", "test", (cable,)), trees, "trees.geojson")
    assert skipped == [] and network_map.trees[0].xy == (X0 + 5, Y0 + 1)
    assert {"tree-distance", "root-zone"} <= {c.rule for c in check_street(network_map, NORMS).conflicts}
    with pytest.raises(InputError, match="tree id 'GIS-T1' is already used"):
        add_trees(network_map, trees, "trees.geojson")
    named_like_the_cable = read_trees(str(geojson(tmp_path, [(X0 + 5, Y0 + 1)], [{"id": "L"}], name="l.geojson")))
    with pytest.raises(InputError, match="tree id 'L' is already used"):
        add_trees(NetworkMap("m", "test", (cable,)), named_like_the_cable, "l.geojson")


def test_a_tree_may_not_take_a_networks_id_in_a_street(tmp_path):
    street_file = tmp_path / "street.toml"
    street_file.write_text(BASE_STREET + network("W1", "water", offset=2.0), encoding="utf-8")
    street = read_street(str(street_file), NORMS)
    trees = read_trees(str(geojson(tmp_path, [(X0 + 6, Y0 - 2.5)], [{"id": "W1"}])))
    with pytest.raises(InputError, match="tree id 'W1' is already used"):
        add_trees(street, trees, "trees.geojson")
