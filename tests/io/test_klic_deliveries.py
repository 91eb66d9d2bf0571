"""The KLIC importer and the check on the four real example deliveries in ../shared/data/klic/.

Counts, themes, depths and diameters are checked against the GML itself, read independently
here with regular expressions; crossings are found with shapely.
"""

import re
import zipfile
from pathlib import Path

import numpy as np
import pytest
import shapely

from vkls.io.klic import THEME_KINDS, load_klic, object_id
from vkls.pipeline import check_street
from vkls.rules.loader import load_norms

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "klic"
DELIVERIES = ("Levering_22G003180_1.zip", "Levering_22O000518_1.zip", "Levering_22G003178_1.zip",
              "Levering_22C001966_3.zip")
LINE_TYPES = ("Elektriciteitskabel", "Telecommunicatiekabel", "Waterleiding", "OlieGasChemicalienPijpleiding",
              "Rioolleiding", "ThermischePijpleiding", "Mantelbuis", "Kabelbed", "Duct")
NORMS = load_norms()


def gml_text(name: str) -> str:
    with zipfile.ZipFile(DATA / name) as archive:
        member = next(n for n in archive.namelist() if "GI_gebiedsinformatielevering" in n)
        return archive.read(member).decode("utf-8")


def features(text: str, type_name: str) -> list[str]:
    """The text of every ``imkl:<type_name>`` feature."""
    return re.findall(rf"<imkl:{type_name}\s.*?</imkl:{type_name}>", text, flags=re.S)


def networks_of_lines(text: str) -> dict:
    """object id -> gml:id of its Utiliteitsnet, for every cable, pipe and container."""
    network_of = {}
    for type_name in LINE_TYPES:
        for feature in features(text, type_name):
            gml_id = re.search(r'gml:id="([^"]+)"', feature).group(1)
            network_of[object_id(gml_id)] = re.search(r'<net:inNetwork xlink:href="([^"]+)"', feature).group(1)
    return network_of


def chainage_of(points: np.ndarray, line, xy) -> tuple[float, np.ndarray]:
    along = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(points[:, :2], axis=0).T))])
    return line.project(shapely.Point(xy)), along


@pytest.fixture(scope="module", params=DELIVERIES)
def delivery(request):
    """(name, GML text, KlicImport) of one delivery."""
    return request.param, gml_text(request.param), load_klic(str(DATA / request.param), NORMS)


@pytest.fixture(scope="module")
def checked():
    """name -> (KlicImport, CheckResult) for every delivery."""
    results = {}
    for name in DELIVERIES:
        imported = load_klic(str(DATA / name), NORMS)
        results[name] = imported, check_street(imported.network_map, NORMS)
    return results


def test_the_deliveries_are_there():
    assert all((DATA / name).is_file() for name in DELIVERIES), DATA


def test_object_counts_per_type_match_the_gml(delivery):
    name, text, imported = delivery
    total = 0
    for type_name in LINE_TYPES:
        in_gml = len(features(text, type_name))
        count = imported.counts.types.get(type_name)
        assert (count.read if count else 0) == in_gml, (name, type_name)
        if count:
            assert count.used + count.n_skipped == count.read
            total += count.used
    assert total == len({u.id.split("/")[0] for u in imported.network_map.utilities})
    for type_name in ("Annotatie", "Maatvoering", "Appurtenance", "UtilityLink"):
        assert imported.counts.types[type_name].read == len(re.findall(rf"<[\w-]+:{type_name}\s", text))


def test_every_line_of_the_gml_is_used_with_the_kind_of_its_networks_theme(delivery):
    name, text, imported = delivery
    themes = {re.search(r'gml:id="([^"]+)"', f).group(1): re.search(r'Thema/(\w+)"', f).group(1)
              for f in features(text, "Utiliteitsnet")}
    network_of = networks_of_lines(text)
    for utility in imported.network_map.utilities:
        theme = themes[network_of[utility.id.split("/")[0]]]
        assert utility.kind == THEME_KINDS[theme], (name, utility.id)


def test_diameters_come_through_where_given(delivery):
    name, text, imported = delivery
    given = {}
    for type_name in LINE_TYPES:
        for feature in features(text, type_name):
            match = re.search(r'<us-net-common:(?:pipeDiameter|ductWidth)(?![^>]*nil="true")[^>]*uom="[^"]*::(mm|cm)"'
                              r'[^>]*>([\d.]+)<', feature)
            if match and float(match.group(2)) > 0:
                gml_id = re.search(r'gml:id="([^"]+)"', feature).group(1)
                given[object_id(gml_id)] = float(match.group(2)) * {"mm": 0.001, "cm": 0.01}[match.group(1)]
    assert imported.counts.diameters_given == len(given)
    for utility in imported.network_map.utilities:
        base = utility.id.split("/")[0]
        expected = given.get(base, NORMS.number(f"networks.{utility.kind.value}.diameter"))
        assert utility.diameter == pytest.approx(expected), (name, utility.id)


def test_standard_depths_and_depth_annotations_come_through(delivery):
    name, text, imported = delivery
    standard = {}
    for feature in features(text, "Utiliteitsnet"):
        depth = re.search(r"<imkl:standaardDieptelegging[^>]*>([\d.]+)<", feature)
        if depth:
            standard[re.search(r'gml:id="([^"]+)"', feature).group(1)] = depth.group(1)
    annotations = re.findall(r"<imkl:DiepteTovMaaiveld\s.*?<imkl:dieptePeil[^>]*>([\d.]+)<.*?<gml:pos>([^<]+)<.*?"
                             r'inNetwork xlink:href="([^"]+)"', text, flags=re.S)
    network_of = networks_of_lines(text)
    utilities = imported.network_map.utilities
    lines = [shapely.LineString(u.points[:, :2]) for u in utilities]
    attached = set()
    for value, pos, net in annotations:
        xy = np.array(pos.split(), dtype=float)
        mine = [n for n, u in enumerate(utilities) if network_of[u.id.split("/")[0]] == net]
        n = min(mine, key=lambda k: lines[k].distance(shapely.Point(xy)))
        if lines[n].distance(shapely.Point(xy)) > 2.0:
            continue
        attached.add(n)
        at, along = chainage_of(utilities[n].points, lines[n], xy)
        cover = np.interp(at, along, utilities[n].points[:, 2]) - utilities[n].diameter / 2
        assert cover == pytest.approx(float(value)), (name, utilities[n].id)
    if annotations:
        counts = imported.counts.of("DiepteTovMaaiveld")
        assert counts.read == len(annotations)
        assert counts.used == sum(1 for value, pos, net in annotations if min(
            lines[n].distance(shapely.Point(np.array(pos.split(), dtype=float)))
            for n, u in enumerate(utilities) if network_of[u.id.split("/")[0]] == net) <= 2.0)
    for n, utility in enumerate(utilities):
        if n in attached:
            continue
        net = network_of[utility.id.split("/")[0]]
        cover = float(standard[net]) if net in standard else NORMS.number(f"networks.{utility.kind.value}.cover")
        assert utility.points[:, 2] - utility.diameter / 2 == pytest.approx(cover), (name, utility.id)


def test_the_annotations_of_22G003178_move_their_pipes_off_the_standard_depth():
    imported = load_klic(str(DATA / "Levering_22G003178_1.zip"), NORMS)
    assert imported.counts.of("DiepteTovMaaiveld").used == 19
    assert imported.counts.depths_annotated == 17  # some pipes carry several annotations
    covers = {round(float(c), 3) for u in imported.network_map.utilities for c in u.points[:, 2] - u.diameter / 2}
    assert 1.2 in covers  # the high-pressure gas network's standard depth is 1.0; one annotation says 1.2


def test_the_check_finishes_and_its_report_is_sane(checked):
    for name, (imported, result) in checked.items():
        summary = result.summary()
        ids = {u.id for u in imported.network_map.utilities}
        assert summary["objects"] == len(ids)
        assert summary["certain"] + summary["possible"] == summary["conflicts"] > 0
        group = {u.id: u.group for u in imported.network_map.utilities}
        for conflict in result.conflicts:
            assert conflict.objects[0] in ids and (conflict.objects[1] is None or conflict.objects[1] in ids)
            if conflict.objects[1]:
                assert group[conflict.objects[0]] != group[conflict.objects[1]]
            assert np.isfinite([conflict.x, conflict.y, conflict.z, conflict.actual]).all()
            assert conflict.explanation


def test_no_conflict_between_a_cable_and_its_own_container(checked):
    for name, (imported, result) in checked.items():
        utilities = imported.network_map.utilities
        pairs = {frozenset(c.objects) for c in result.conflicts if c.objects[1]}
        lines = [shapely.LineString(u.points[:, :2]) for u in utilities]
        tree = shapely.STRtree(lines)
        text = gml_text(name)
        containers = {object_id(re.search(r'gml:id="([^"]+)"', f).group(1))
                      for t in ("Mantelbuis", "Kabelbed", "Duct") for f in features(text, t)}
        found = 0
        for c, container in enumerate(utilities):
            if container.id.split("/")[0] not in containers:
                continue
            inside = shapely.buffer(lines[c], container.diameter / 2 + 0.01)
            for j in tree.query(inside, predicate="intersects"):
                if j != c and lines[j].intersection(inside).length >= 0.9 * lines[c].length:
                    found += 1
                    assert frozenset({container.id, utilities[j].id}) not in pairs, (name, container.id)
        assert found > 0, name


def test_crossings_are_found_where_lines_cross(checked):
    imported, result = checked["Levering_22G003180_1.zip"]
    utilities = imported.network_map.utilities
    lines = [shapely.LineString(u.points[:, :2]) for u in utilities]
    worst = {}
    for conflict in result.conflicts:
        if conflict.objects[1]:
            key = frozenset(conflict.objects)
            worst[key] = min(worst.get(key, np.inf), conflict.actual)
    crossings = 0
    for a, b in shapely.STRtree(lines).query(lines, predicate="crosses").T:
        ua, ub = utilities[a], utilities[b]
        if a >= b or ua.group == ub.group:
            continue
        spot = lines[a].intersection(lines[b])
        spot = spot if spot.geom_type == "Point" else spot.geoms[0]
        depth = [np.interp(line.project(spot), np.concatenate([[0.0], np.cumsum(
            np.hypot(*np.diff(u.points[:, :2], axis=0).T))]), u.points[:, 2]) for u, line in ((ua, lines[a]),
                                                                                          (ub, lines[b]))]
        gap = abs(depth[0] - depth[1]) - ua.diameter / 2 - ub.diameter / 2
        required = NORMS.clearance(ua.kind.value, ub.kind.value).crossing
        if gap < required:
            crossings += 1
            key = frozenset({ua.id, ub.id})
            assert key in worst, (ua.id, ub.id, gap, required)
            assert worst[key] <= gap + 1e-3
    assert crossings >= 3
