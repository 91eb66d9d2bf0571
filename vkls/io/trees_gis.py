"""Trees from a GIS layer of points (GeoJSON or GeoPackage), for a street or a KLIC check.

Attributes per point (all optional; names are matched case-insensitively, Dutch tree-register
names too):

=================  ==========================================  =========================================
attribute          meaning                                     default
=================  ==========================================  =========================================
``id``             tree id (``boomnummer``, ``boom_id``)        ``T<n>`` (n: 1-based feature number)
``size_class``     ``1a``, ``1b``, ``2`` or ``3``                :data:`DEFAULT_SIZE_CLASS`
                   (``grootteklasse``, ``klasse``)
``trunk_diameter`` metres at breast height (``stamdiameter``)   per size class (:data:`CLASS_DEFAULTS`)
                   or ``trunk_diameter_cm`` in centimetres
``crown_radius``   metres (``kroonstraal``), or                 per size class
                   ``crown_diameter`` (``kroondiameter``) in m
``root_barrier``   true/false (``wortelscherm``)                false
=================  ==========================================  =========================================

Coordinates: a GeoPackage layer is transformed from its own CRS to RD New (EPSG:28992) with
pyproj. A GeoJSON file is WGS84 (RFC 7946) unless its (legacy) ``crs`` member names another
system; coordinates that cannot be longitude/latitude but lie within RD New's range are taken
as RD New (many Dutch exports omit the ``crs`` member).
"""

from __future__ import annotations

import json
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np

from vkls.errors import InputError
from vkls.model import MAX_CROWN_RADIUS, MAX_TRUNK_DIAMETER, NetworkMap, Street, Tree

SIZE_CLASSES = ("1a", "1b", "2", "3")
#: Size class of a tree whose layer does not give one: the middle class (6-12 m).
DEFAULT_SIZE_CLASS = "2"
#: Trunk diameter and crown radius (metres) of a mature tree per size class, where the layer
#: gives none: typical values of Dutch street trees of that height class.
CLASS_DEFAULTS = {"1a": (0.60, 6.0), "1b": (0.45, 4.5), "2": (0.30, 3.0), "3": (0.20, 2.0)}
#: RD New's valid area (metres): x, y bounds used to recognise RD coordinates in a GeoJSON.
RD_BOUNDS = ((-7000.0, 300000.0), (289000.0, 629000.0))
#: A tree may lie this far (metres) before the route's start or beyond its end and still be placed
#: (at the end, with its true distance): the ends of a route are rarely drawn to the centimetre.
ROUTE_END_SLACK = 0.5
RD_NEW = "EPSG:28992"
#: Id of the n-th tree of a layer without ids: ``GIS-T1``, ... (``T1`` is a telecom cable's id in many streets).
UNNAMED_TREE_PREFIX = "GIS-T"
WGS84 = "EPSG:4326"

#: How a layer says a tree has (or has no) root barrier.
YES = frozenset({"1", "1.0", "true", "yes", "ja", "j", "y"})
NO = frozenset({"0", "0.0", "false", "no", "nee", "n", ""})

_FIELDS = {
    "id": ("id", "boomnummer", "boom_id", "boomid", "tree_id", "name"),
    "size_class": ("size_class", "grootteklasse", "klasse", "hoogteklasse"),
    "trunk_diameter": ("trunk_diameter", "stamdiameter", "dbh"),
    "trunk_diameter_cm": ("trunk_diameter_cm", "stamdiameter_cm", "dbh_cm"),
    "crown_radius": ("crown_radius", "kroonstraal"),
    "crown_diameter": ("crown_diameter", "kroondiameter"),
    "root_barrier": ("root_barrier", "wortelscherm"),
}


def read_trees(path: str) -> tuple[Tree, ...]:
    """Trees from a GeoJSON (``.geojson``/``.json``) or GeoPackage (``.gpkg``) layer of points.

    Returns
    -------
    tuple of Tree
        With ``xy`` (RD New metres) set; ``chainage`` and ``offset`` are 0 (see :func:`add_trees`).

    Raises
    ------
    InputError
        A missing file, an unknown format, a feature that is not a point, bad attribute values,
        or coordinates outside RD New.
    """
    file = Path(path)
    if not file.is_file():
        raise InputError("file not found", source=str(path))
    suffix = file.suffix.lower()
    if suffix in (".geojson", ".json"):
        points, properties = _read_geojson(file, str(path))
    elif suffix == ".gpkg":
        points, properties = _read_gpkg(file, str(path))
    else:
        raise InputError("trees must be a GeoJSON (.geojson) or GeoPackage (.gpkg) layer of points", source=str(path))
    trees = [_tree(n, xy, props, str(path)) for n, (xy, props) in enumerate(zip(points, properties), start=1)]
    ids = [t.id for t in trees]
    duplicate = next((i for i in ids if ids.count(i) > 1), None)
    if duplicate is not None:
        raise InputError(f"tree id '{duplicate}' occurs more than once", source=str(path))
    return tuple(trees)


def add_trees(model, trees: tuple[Tree, ...], source: str):
    """The street or map with ``trees`` added.

    A map keeps each tree's ``xy``. A street needs chainage and offset: each tree is projected
    onto the route (chainage) and its signed distance from the facade line towards the street
    is its offset (a tree beyond the street's zones, or in a front garden, is placed all the same).

    Returns
    -------
    (model, skipped) : Street or NetworkMap, list of str
        ``skipped``: ids of trees that lie before the route's start or beyond its end (not placed).

    Raises
    ------
    InputError
        A tree id that the street or map already uses (for a tree, a network or a reservation).
    """
    taken = {o.id for o in (*model.trees, *getattr(model, "networks", ()), *getattr(model, "utilities", ()),
                            *getattr(model, "reservations", ()))}
    clash = next((t.id for t in trees if t.id in taken), None)
    if clash is not None:
        raise InputError(f"tree id '{clash}' is already used in {model.source}", source=source)
    if isinstance(model, NetworkMap):
        return replace(model, trees=model.trees + tuple(trees)), []
    if not isinstance(model, Street):
        raise InputError("trees can be added to a street file or a KLIC delivery", source=source)
    placed, skipped = place_on_route(model, trees)
    return replace(model, trees=model.trees + tuple(placed)), skipped


def place_on_route(street: Street, trees) -> tuple[list[Tree], list[str]]:
    """Chainage and offset of map trees along the street's route (see :func:`add_trees`)."""
    import shapely

    from vkls.geometry.alignment import Alignment

    alignment = Alignment.from_route(street.route)
    line = shapely.LineString(alignment.xy)
    placed, skipped = [], []
    for tree in trees:
        local = np.asarray(tree.xy, dtype=np.float64) - alignment.origin
        chainage = float(line.project(shapely.Point(local)))
        point, tangent, direction = alignment.frame(np.array([chainage]))
        along = float(np.dot(local - point[0], tangent[0]))
        if (chainage <= 0.0 and along < -ROUTE_END_SLACK) or (chainage >= alignment.length
                                                              and along > ROUTE_END_SLACK):
            skipped.append(tree.id)
            continue
        offset = float(np.dot(local - point[0], direction[0]) / np.dot(direction[0], direction[0]))
        placed.append(replace(tree, chainage=chainage, offset=offset))
    return placed, skipped


def _read_geojson(file: Path, source: str) -> tuple[np.ndarray, list[dict]]:
    try:
        document = json.loads(file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InputError(f"not valid JSON ({error})", source=source) from None
    except RecursionError:
        raise InputError("not valid JSON (nested too deeply)", source=source) from None
    if not isinstance(document, dict):
        raise InputError("not a GeoJSON object", source=source)
    features = document.get("features") if document.get("type") == "FeatureCollection" else (
        [document] if document.get("type") == "Feature" else None)
    if not isinstance(features, list):
        raise InputError("expected a GeoJSON FeatureCollection of points (a list of features)", source=source)
    points, properties = [], []
    for n, feature in enumerate(features):
        place = f"features[{n}]"
        if not isinstance(feature, dict):
            raise InputError("expected a Feature object", source=source, place=place)
        geometry = feature.get("geometry") or {}
        kind = geometry.get("type") if isinstance(geometry, dict) else None
        if kind != "Point":
            raise InputError(f"expected a Point geometry, got {kind or 'none'}", source=source, place=place)
        coordinates = geometry.get("coordinates")
        if not isinstance(coordinates, list) or len(coordinates) < 2:
            raise InputError(f"a Point needs its x and y coordinates, got {coordinates!r}", source=source,
                             place=place)
        try:
            points.append([float(v) for v in coordinates[:2]])
        except (TypeError, ValueError):
            raise InputError("coordinates are not numbers", source=source, place=place) from None
        feature_properties = feature.get("properties") or {}
        if not isinstance(feature_properties, dict):
            raise InputError("properties must be an object", source=source, place=place)
        properties.append(feature_properties)
    xy = np.array(points, dtype=np.float64).reshape(-1, 2)
    crs = _geojson_crs(document, xy)
    return _to_rd(xy, crs, source), properties


def _geojson_crs(document: dict, xy: np.ndarray) -> str:
    named = ((document.get("crs") or {}).get("properties") or {}).get("name")
    if named:
        return str(named)
    if len(xy) and ((np.abs(xy[:, 0]) > 180).any() or (np.abs(xy[:, 1]) > 90).any()):
        return RD_NEW  # cannot be longitude/latitude; _to_rd checks that it is in RD New's range
    return WGS84


def _read_gpkg(file: Path, source: str) -> tuple[np.ndarray, list[dict]]:
    try:
        import pyogrio
        import shapely
    except ImportError:
        raise InputError("reading a GeoPackage needs pyogrio: pip install 'vkls[gis]'", source=source) from None
    try:
        with warnings.catch_warnings():  # GDAL's warnings about a damaged file: the error below says it in one line
            warnings.simplefilter("ignore", RuntimeWarning)
            meta, _, geometry, field_data = pyogrio.raw.read(file)
    except Exception as error:  # pyogrio raises its own DataSourceError/DataLayerError types
        raise InputError(f"cannot read the GeoPackage ({error})", source=source) from None
    shapes = shapely.from_wkb(geometry)
    if len(shapes) and not all(s is not None and s.geom_type == "Point" for s in shapes):
        bad = next(n for n, s in enumerate(shapes) if s is None or s.geom_type != "Point")
        raise InputError("expected Point geometries", source=source, place=f"feature {bad + 1}")
    xy = np.array([[s.x, s.y] for s in shapes], dtype=np.float64).reshape(-1, 2)
    names = list(meta["fields"])
    properties = [{name: _plain(column[n]) for name, column in zip(names, field_data)} for n in range(len(xy))]
    return _to_rd(xy, meta.get("crs") or RD_NEW, source), properties


def _plain(value):
    """numpy scalars -> Python values (None for missing)."""
    if value is None:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def _to_rd(xy: np.ndarray, crs: str, source: str) -> np.ndarray:
    """Transform (k, 2) points from ``crs`` to RD New and check they fall in its range."""
    from pyproj import CRS, Transformer
    from pyproj.exceptions import CRSError

    try:
        given = CRS.from_user_input(crs)
    except CRSError:
        raise InputError(f"unknown coordinate reference system '{crs}'", source=source) from None
    if given.to_epsg() != 28992 and len(xy):
        transformer = Transformer.from_crs(given, RD_NEW, always_xy=True)
        x, y = transformer.transform(xy[:, 0], xy[:, 1])
        xy = np.column_stack([x, y])
    (x0, x1), (y0, y1) = RD_BOUNDS
    outside = ~((xy[:, 0] >= x0) & (xy[:, 0] <= x1) & (xy[:, 1] >= y0) & (xy[:, 1] <= y1)) | ~np.isfinite(xy).all(1)
    if outside.any():
        n = int(np.flatnonzero(outside)[0])
        raise InputError(f"tree position {xy[n].round(3).tolist()} lies outside RD New's area (given CRS {crs})",
                         source=source, place=f"feature {n + 1}")
    return xy


def _field(props: dict, key: str):
    lowered = {str(k).lower(): v for k, v in props.items()}
    for name in _FIELDS[key]:
        value = lowered.get(name)
        if value is not None and value != "":
            return value
    return None


def _tree(n: int, xy: np.ndarray, props: dict, source: str) -> Tree:
    place = f"feature {n}"
    tree_id = str(_field(props, "id") or f"{UNNAMED_TREE_PREFIX}{n}")
    size_class = str(_field(props, "size_class") or DEFAULT_SIZE_CLASS).strip().lower()
    if size_class not in SIZE_CLASSES:
        raise InputError(f"size class must be one of {', '.join(SIZE_CLASSES)}, got '{size_class}'", source=source,
                         place=place)
    default_trunk, default_crown = CLASS_DEFAULTS[size_class]
    trunk = _positive(_field(props, "trunk_diameter"), "trunk_diameter", source, place, MAX_TRUNK_DIAMETER)
    trunk_cm = _positive(_field(props, "trunk_diameter_cm"), "trunk_diameter_cm", source, place,
                         100 * MAX_TRUNK_DIAMETER)
    crown = _positive(_field(props, "crown_radius"), "crown_radius", source, place, MAX_CROWN_RADIUS)
    crown_diameter = _positive(_field(props, "crown_diameter"), "crown_diameter", source, place,
                               2 * MAX_CROWN_RADIUS)
    trunk = trunk if trunk is not None else (trunk_cm / 100 if trunk_cm is not None else default_trunk)
    crown = crown if crown is not None else (crown_diameter / 2 if crown_diameter is not None else default_crown)
    barrier = _field(props, "root_barrier")
    answer = str(barrier).strip().lower() if barrier is not None else "no"
    if answer not in YES | NO:
        raise InputError(f"root_barrier must be yes or no (ja/nee, true/false, 1/0), got '{barrier}'", source=source,
                         place=place)
    barrier = answer in YES
    return Tree(id=tree_id, chainage=0.0, offset=0.0, size_class=size_class, trunk_diameter=trunk,
                crown_radius=crown, root_barrier=barrier, xy=(float(xy[0]), float(xy[1])))


def _positive(value, name: str, source: str, place: str, maximum: float) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number, got '{value}'", source=source, place=place) from None
    if not np.isfinite(number) or number <= 0:
        raise InputError(f"{name} must be greater than 0, got {value}", source=source, place=place)
    if number > maximum:
        raise InputError(f"{name} must be at most {maximum:g}, got {value}", source=source, place=place)
    return number


def check_with_trees(path: str, trees_path: str, norm_files=(), baseline: str | None = None):
    """:func:`vkls.pipeline.check` of ``path`` with the trees of ``trees_path`` added.

    Returns
    -------
    (CheckResult, str)
        The result and one line saying how many trees were added (and which were not placed).
    """
    import time

    from vkls.io.baseline import apply_baseline, read_baseline
    from vkls.pipeline import check_street, read_input
    from vkls.rules.loader import load_norms

    clock = time.perf_counter()
    norms = load_norms(tuple(norm_files))
    trees = read_trees(trees_path)
    model, skipped = add_trees(read_input(path, norms), trees, trees_path)
    earlier = read_baseline(baseline) if baseline else None
    result = check_street(model, norms, {"read": time.perf_counter() - clock})
    if earlier is not None:
        marked, resolved = apply_baseline(result.conflicts, earlier)
        result = replace(result, conflicts=marked, resolved=resolved, baseline_file=baseline)
    message = f"trees: {len(trees) - len(skipped)} of {len(trees)} from {trees_path} added"
    if skipped:
        message += f"; {len(skipped)} lie beyond the ends of the route and were not placed: {', '.join(skipped)}"
    return result, message
