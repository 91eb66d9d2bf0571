"""GIS and BIM exports, each read back with the field's own library (pyproj, pyogrio, bcf-client, ifcopenshell)."""

import io
import json
import zipfile

import numpy as np
import pytest

from tests.conftest import SAMPLES
from tests.io.test_klic_deliveries import DATA
from vkls.io.export_bcf import CAMERA_DISTANCE, report_bcf
from vkls.io.export_geojson import report_geojson
from vkls.io.export_gpkg import report_gpkg
from vkls.io.guids import ifc_guid, stable_uuid
from vkls.model import NetworkKind, NetworkMap, Utility
from vkls.pipeline import check, check_street
from vkls.rules.loader import load_norms


@pytest.fixture(scope="module")
def street_result():
    return check(str(SAMPLES / "leiden-vkls.toml"))


@pytest.fixture(scope="module")
def klic_result():
    return check(str(DATA / "Levering_22G003180_1.zip"))


def clean_result():
    pipe = Utility("W", NetworkKind.WATER, "test", 0.1, np.array([[155000.0, 463000.0, 1.0], [155010.0, 463000.0, 1.0]]))
    return check_street(NetworkMap("clean", "test", (pipe,)), load_norms())


def test_geojson_is_rfc7946_wgs84_with_rd_coordinates_in_the_properties(street_result, tmp_path):
    import pyogrio
    from pyproj import Transformer

    text = report_geojson(street_result)
    document = json.loads(text)
    assert document["type"] == "FeatureCollection" and "crs" not in document  # RFC 7946: WGS84 only
    features = document["features"]
    assert len(features) == len(street_result.conflicts)
    back = Transformer.from_crs("EPSG:4326", "EPSG:28992", always_xy=True)
    for feature, conflict in zip(features, street_result.conflicts):
        lon, lat = feature["geometry"]["coordinates"]
        assert 4.4 < lon < 4.6 and 52.1 < lat < 52.2  # Leiden, longitude first
        x, y = back.transform(lon, lat)
        assert (x, y) == pytest.approx((conflict.x, conflict.y), abs=0.005)
        props = feature["properties"]
        assert props["x_rd"] == pytest.approx(conflict.x, abs=1e-3) and props["id"] == conflict.id
        assert set(conflict.as_dict()) <= set(props)
    path = tmp_path / "conflicts.geojson"
    path.write_text(text, encoding="utf-8")
    info = pyogrio.read_info(path)
    assert info["features"] == len(features) and info["crs"] == "EPSG:4326"


def test_geopackage_in_rd_new_reads_back_with_pyogrio(klic_result, tmp_path):
    import pyogrio
    import shapely
    from pyogrio.raw import read

    path = tmp_path / "conflicts.gpkg"
    path.write_bytes(report_gpkg(klic_result))
    info = pyogrio.read_info(path, layer="conflicts")
    assert (info["crs"], info["geometry_type"], info["features"]) == ("EPSG:28992", "Point Z",
                                                                      len(klic_result.conflicts))
    meta, _, geometry, fields = read(path)
    columns = dict(zip(meta["fields"], fields))
    points = shapely.from_wkb(geometry)
    for n, conflict in enumerate(klic_result.conflicts):
        assert (points[n].x, points[n].y, points[n].z) == pytest.approx((conflict.x, conflict.y, conflict.z))
        assert columns["id"][n] == conflict.id and columns["object_a"][n] == conflict.objects[0]
        assert columns["actual"][n] == pytest.approx(conflict.actual, abs=1e-3)


def test_an_empty_geopackage_is_still_a_valid_layer(tmp_path):
    import pyogrio

    path = tmp_path / "none.gpkg"
    path.write_bytes(report_gpkg(clean_result()))
    assert pyogrio.read_info(path)["features"] == 0


def test_bcf_reads_back_with_bcf_client_one_topic_per_conflict(street_result, tmp_path):
    import bcf.bcfxml
    from PIL import Image

    path = tmp_path / "conflicts.bcf"
    path.write_bytes(report_bcf(street_result))
    document = bcf.bcfxml.load(path)
    assert len(document.topics) == len(street_result.conflicts)
    origin = street_result.scene.origin
    with zipfile.ZipFile(path) as archive:
        assert archive.read("bcf.version").count(b'VersionId="2.1"') == 1
        for conflict in street_result.conflicts:
            guid = str(stable_uuid(f"topic:{conflict.id}"))
            topic = document.topics[guid]
            assert topic.topic.title.startswith(f"{conflict.id} {conflict.rule}")
            assert conflict.explanation in topic.topic.description
            (viewpoint,) = topic.viewpoints.values()
            camera = viewpoint.visualization_info.perspective_camera
            eye = np.array([camera.camera_view_point.x, camera.camera_view_point.y, camera.camera_view_point.z])
            look = np.array([camera.camera_direction.x, camera.camera_direction.y, camera.camera_direction.z])
            target = np.array([conflict.x - origin[0], conflict.y - origin[1], conflict.z])
            assert eye + look * CAMERA_DISTANCE == pytest.approx(target, abs=1e-4)
            selected = {c.ifc_guid for c in viewpoint.visualization_info.components.selection.component}
            assert selected == {ifc_guid(o) for o in conflict.objects if o}
            image = Image.open(io.BytesIO(archive.read(f"{guid}/snapshot.png")))
            assert image.format == "PNG" and image.size[0] > 100


def test_ifc_of_a_street_reads_back_with_ifcopenshell(street_result, tmp_path):
    import ifcopenshell
    import ifcopenshell.geom

    from vkls.io.export_ifc import scene_ifc

    path = tmp_path / "scene.ifc"
    path.write_text(scene_ifc(street_result.street, street_result.scene), encoding="utf-8")
    model = ifcopenshell.open(str(path))
    assert model.schema == "IFC4"
    scene = street_result.scene
    networks = {k.value for k in NetworkKind}
    expected = {o.id for o in scene.objects if o.kind in networks}
    segments = model.by_type("IfcPipeSegment") + model.by_type("IfcCableSegment")
    assert {e.Name for e in segments} == expected
    assert {e.Name for e in model.by_type("IfcCableCarrierSegment")} == {o.id for o in scene.objects if o.kind == "rack"}
    assert len(model.by_type("IfcGeographicElement")) == len(street_result.street.trees)
    water = next(e for e in segments if e.Name == "W1")
    (disk,) = water.Representation.Representations[0].Items
    assert disk.is_a("IfcSweptDiskSolid")
    assert disk.Radius == pytest.approx(street_result.street.network("W1").diameter / 2)
    assert water.GlobalId == ifc_guid("W1") and water.is_a("IfcPipeSegment")
    assert len({e.GlobalId for e in model.by_type("IfcRoot")}) == len(model.by_type("IfcRoot"))
    (conversion,) = model.by_type("IfcMapConversion")
    assert (conversion.Eastings, conversion.Northings) == pytest.approx(tuple(scene.origin))
    shape = ifcopenshell.geom.create_shape(ifcopenshell.geom.settings(), water)
    verts = np.array(shape.geometry.verts).reshape(-1, 3)
    assert verts[:, 0].max() - verts[:, 0].min() == pytest.approx(street_result.scene.alignment.length, abs=1.0)


def test_ifc_of_a_klic_delivery_has_one_element_per_utility_with_stable_ids(klic_result):
    import ifcopenshell

    from vkls.io.export_ifc import scene_ifc

    stamp = "2026-01-01T00:00:00"  # the header's creation time is the one thing that is not the scene's
    text = scene_ifc(klic_result.street, klic_result.scene, time_stamp=stamp)
    model = ifcopenshell.file.from_string(text)
    elements = model.by_type("IfcPipeSegment") + model.by_type("IfcCableSegment")
    assert sorted(e.Name for e in elements) == sorted(u.id for u in klic_result.street.utilities)
    assert scene_ifc(klic_result.street, klic_result.scene, time_stamp=stamp) == text  # deterministic, with GlobalIds
