"""Streaming reader of an IMKL 2.0 GML file (a KLIC delivery) into plain records.

This module only reads: it knows the GML/IMKL encoding (feature members, ``xlink:href``
references, ``gml:posList``, units of measure, code-list URIs) and returns what the features
say, without interpreting themes, defaults or depths (that is :mod:`vkls.io.klic`).

The file is parsed with :func:`lxml.etree.iterparse` one ``gml:featureMember`` at a time;
each member is cleared once read, so memory stays proportional to the records kept
(coordinates of the cables and pipes), not to the size of the XML tree.

Records keep the feature's ``gml:id`` as its id: the ids the delivery uses in its references.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from lxml import etree

from vkls.errors import InputError
from vkls.io.fields import MAX_COORDINATE

GML_NAMESPACES = ("http://www.opengis.net/gml/3.2", "http://www.opengis.net/gml")
#: IMKL namespaces start with this (IMKL 2.0: ``.../imkl/wibon``; IMKL2015 1.2: ``.../imkl/2015/wion/1.2``).
IMKL_NAMESPACE_PREFIX = "http://www.geostandaarden.nl/imkl"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"

#: Cable and pipe feature types (IMKL 2.0 spells the heat pipe ``ThermischePijpleiding``).
LINE_TYPES = ("Elektriciteitskabel", "Telecommunicatiekabel", "Waterleiding", "OlieGasChemicalienPijpleiding",
              "Rioolleiding", "ThermischePijpleiding", "Thermischepijpleiding")
#: Containers: a sleeve (pipe), a cable bed and a duct; the cables in them lie inside their outline.
CONTAINER_TYPES = ("Mantelbuis", "Kabelbed", "Duct")
DEPTH_TYPES = ("DiepteTovMaaiveld", "DiepteNAP")

#: Coordinate reference systems accepted: RD New (EPSG:28992) and RD New + NAP height (EPSG:7415).
ACCEPTED_EPSG = ("28992", "7415")
_EPSG = re.compile(r"EPSG[:/]+(?:[\d.]*[:/]+)?(\d+)$", re.IGNORECASE)

#: Units of measure (the last part of an OGC uom URN) in metres.
UNIT_METRES = {"m": 1.0, "cm": 0.01, "mm": 0.001, "dm": 0.1, "km": 1000.0}


@dataclass
class NetworkRecord:
    """An ``imkl:Utiliteitsnet``: theme and standard cover depth (metres, None: not given)."""

    id: str
    theme: str
    standard_depth: float | None
    network_type: str = ""
    label: str = ""


@dataclass
class LineRecord:
    """A cable, pipe or container feature.

    Attributes
    ----------
    id, type : str
        ``gml:id`` and feature type (``Elektriciteitskabel``, ``Mantelbuis``, ...).
    network : str
        ``gml:id`` of its ``Utiliteitsnet`` ("" if absent).
    links : list of str
        ``gml:id`` of its ``UtilityLink`` geometries.
    status : str
        ``currentStatus`` code (``functional``, ``disused``, ``projected``, ...; "" if absent).
    vertical_position : str
        ``underground``, ``onGroundSurface``, ``suspendedOrElevated`` or "".
    diameter : float or None, metres
        ``pipeDiameter``, ``kabelDiameter`` or ``ductWidth``; None where absent or nil.
    accuracy_xy : str
        ``geoNauwkeurigheidXY`` code (``tot30cm``, ...; "" if absent).
    label : str
        ``label`` and ``omschrijving``, joined.
    count : int or None
        ``aantalKabelsLeidingen`` (containers).
    depth_refs : list of str
        ``gml:id`` of ``Diepte`` features the object refers to (``dieptelegging``), if any.
    """

    id: str
    type: str
    network: str = ""
    links: list = field(default_factory=list)
    status: str = ""
    vertical_position: str = ""
    diameter: float | None = None
    accuracy_xy: str = ""
    label: str = ""
    count: int | None = None
    depth_refs: list = field(default_factory=list)


@dataclass
class DepthRecord:
    """A ``DiepteTovMaaiveld`` or ``DiepteNAP`` annotation.

    Attributes
    ----------
    id, type, network : str
    xy : (2,) float64 or None, metres RD New
        ``ligging`` point.
    value : float or None, metres
        ``dieptePeil``: cover depth (TovMaaiveld, positive down) or height in NAP (DiepteNAP).
    accuracy : str
        ``diepteNauwkeurigheid`` code.
    reference : str
        ``diepteAangrijpingspunt``: ``bovenkant`` (top, the default) or ``binnenonderkantBuis``.
    ground_level : float or None, metres NAP
        ``maaiveldPeil`` of a DiepteNAP.
    """

    id: str
    type: str
    network: str = ""
    xy: np.ndarray | None = None
    value: float | None = None
    accuracy: str = ""
    reference: str = ""
    ground_level: float | None = None


@dataclass
class ImklDelivery:
    """Everything :func:`parse_imkl` keeps from one GML file.

    Attributes
    ----------
    networks : dict id -> NetworkRecord
    links : dict id -> (n, 2) float64
        ``UtilityLink`` centre lines, RD New metres (an empty array where the link has no coordinates).
    lines : list of LineRecord
    depths : list of DepthRecord
    owners : dict network id -> str
        Operator name per network (``Belanghebbende`` -> ``Beheerder``).
    type_counts : Counter
        Every feature member read, by type (local name).
    """

    networks: dict = field(default_factory=dict)
    links: dict = field(default_factory=dict)
    lines: list = field(default_factory=list)
    depths: list = field(default_factory=list)
    owners: dict = field(default_factory=dict)
    type_counts: Counter = field(default_factory=Counter)
    _operator_names: dict = field(default_factory=dict)
    _operator_of_network: dict = field(default_factory=dict)


def parse_imkl(stream, source: str) -> ImklDelivery:
    """Read an IMKL GML stream feature by feature.

    Parameters
    ----------
    stream : binary file object
        The GML (a file, or a member of the delivery zip opened with :meth:`zipfile.ZipFile.open`).
    source : str
        Name for messages (``Levering.zip!GI_....xml``).

    Returns
    -------
    ImklDelivery

    Raises
    ------
    InputError
        Malformed XML (with its line), not an IMKL feature collection, or coordinates in a
        reference system other than RD New.
    """
    delivery = ImklDelivery()
    member_tags = [f"{{{ns}}}{name}" for ns in GML_NAMESPACES for name in ("featureMember", "featureMembers")]
    context = etree.iterparse(stream, events=("end",), tag=member_tags, huge_tree=True, remove_blank_text=True,
                              resolve_entities=False, no_network=True)
    seen_imkl = False
    try:
        for _, member in context:
            for feature in member:
                if not isinstance(feature.tag, str):
                    continue
                namespace, name = _split(feature.tag)
                seen_imkl = seen_imkl or namespace.startswith(IMKL_NAMESPACE_PREFIX)
                delivery.type_counts[name] += 1
                _read_feature(delivery, feature, name, source)
            member.clear()
            parent = member.getparent()
            while parent is not None and member.getprevious() is not None:
                del parent[0]
    except etree.XMLSyntaxError as error:
        line = error.lineno if error.lineno else "?"
        raise InputError(f"not well-formed XML ({error.msg}); the file may be truncated", source=source,
                         place=f"line {line}") from None
    root = context.root
    if root is None or not seen_imkl:
        root_name = _split(root.tag)[1] if root is not None else "nothing"
        raise InputError(f"not an IMKL delivery: the root element is <{root_name}> and no IMKL objects "
                         f"(namespace {IMKL_NAMESPACE_PREFIX}/...) were found", source=source)
    delivery.owners = {net: delivery._operator_names.get(op, "") for net, op in delivery._operator_of_network.items()}
    return delivery


@functools.lru_cache(maxsize=1024)
def _split(tag: str) -> tuple[str, str]:
    """``{namespace}name`` -> (namespace, name) (cached: a delivery uses a few hundred tags)."""
    if tag[0] == "{":
        namespace, _, name = tag[1:].partition("}")
        return namespace, name
    return "", tag


def _local(element) -> str:
    return _split(element.tag)[1] if isinstance(element.tag, str) else ""


def _ref(element) -> str:
    """The id an ``xlink:href`` points to (a bare gml:id or ``#id``), or ""."""
    href = element.get(XLINK_HREF) or ""
    return href[1:] if href.startswith("#") else href


def _code(element) -> str:
    """The code of a code-list value: the last path part of its ``xlink:href`` URI (or its text)."""
    href = element.get(XLINK_HREF)
    if href:
        return href.rstrip("/").rsplit("/", 1)[-1]
    return (element.text or "").strip()


def _measure(element) -> float | None:
    """A GML measure in metres (``uom`` mm/cm/m), None where nil, empty, unknown unit or not a number."""
    if element.get(XSI_NIL) == "true" or not (element.text or "").strip():
        return None
    try:
        value = float(element.text)
    except ValueError:
        return None
    uom = element.get("uom", "m").rsplit(":", 1)[-1].strip().lower()
    factor = UNIT_METRES.get(uom)
    return None if factor is None or not np.isfinite(value) else value * factor


def _number(element) -> float | None:
    try:
        value = float((element.text or "").strip())
    except ValueError:
        return None
    return value if np.isfinite(value) else None


def _text(element) -> str:
    return " ".join((element.text or "").split())


def _read_feature(delivery: ImklDelivery, feature, name: str, source: str) -> None:
    gml_id = _gml_id(feature)
    if name == "UtilityLink":
        delivery.links[gml_id] = _link_geometry(feature, gml_id, source)
    elif name in LINE_TYPES or name in CONTAINER_TYPES or _has_link(feature):
        delivery.lines.append(_line_record(feature, gml_id, name))
    elif name == "Utiliteitsnet":
        delivery.networks[gml_id] = _network_record(feature, gml_id)
    elif name in DEPTH_TYPES:
        delivery.depths.append(_depth_record(feature, gml_id, name, source))
    elif name == "Beheerder":
        delivery._operator_names[gml_id] = _operator_name(feature)
    elif name == "Belanghebbende":
        operator = next((_ref(c) for c in feature if _local(c) == "netbeheerder"), "")
        for child in feature:
            if _local(child) == "utiliteitsnet" and operator:
                delivery._operator_of_network[_ref(child)] = operator


def _gml_id(feature) -> str:
    for namespace in GML_NAMESPACES:
        value = feature.get(f"{{{namespace}}}id")
        if value:
            return value
    return ""


def _has_link(feature) -> bool:
    return any(_local(child) == "link" for child in feature)


def _line_record(feature, gml_id: str, name: str) -> LineRecord:
    record = LineRecord(id=gml_id, type=name)
    labels = []
    for child in feature:
        key = _local(child)
        if key == "inNetwork" and not record.network:
            record.network = _ref(child)
        elif key == "link":
            record.links.append(_ref(child))
        elif key == "currentStatus":
            record.status = _code(child)
        elif key == "verticalPosition":
            record.vertical_position = _text(child)
        elif key in ("pipeDiameter", "kabelDiameter", "ductWidth", "buisDiameter"):
            value = _measure(child)
            if value is not None and value > 0 and record.diameter is None:
                record.diameter = value
        elif key == "geoNauwkeurigheidXY":
            record.accuracy_xy = _code(child)
        elif key in ("label", "omschrijving"):
            if _text(child):
                labels.append(_text(child))
        elif key == "aantalKabelsLeidingen":
            value = _number(child)
            record.count = int(value) if value is not None else None
        elif key == "dieptelegging":
            record.depth_refs.append(_ref(child))
    record.label = "; ".join(dict.fromkeys(labels))
    return record


def _network_record(feature, gml_id: str) -> NetworkRecord:
    record = NetworkRecord(id=gml_id, theme="", standard_depth=None)
    for child in feature:
        key = _local(child)
        if key == "thema":
            record.theme = _code(child)
        elif key == "standaardDieptelegging":
            record.standard_depth = _measure(child)
        elif key == "utilityNetworkType":
            record.network_type = _code(child)
        elif key in ("label", "naam") and _text(child):
            record.label = _text(child)
    return record


def _depth_record(feature, gml_id: str, name: str, source: str) -> DepthRecord:
    record = DepthRecord(id=gml_id, type=name)
    for child in feature:
        key = _local(child)
        if key == "inNetwork":
            record.network = _ref(child)
        elif key == "dieptePeil":
            record.value = _measure(child)
        elif key == "diepteNauwkeurigheid":
            record.accuracy = _code(child)
        elif key == "diepteAangrijpingspunt":
            record.reference = _code(child)
        elif key == "maaiveldPeil":
            record.ground_level = _measure(child)
        elif key == "ligging":
            points = _coordinates(child, gml_id, source)
            record.xy = points[0] if len(points) else None
    return record


def _operator_name(feature) -> str:
    code = ""
    for element in feature.iter():
        key = _local(element)
        if key == "naam" and _text(element):
            return _text(element)
        if key == "bronhoudercode":
            code = _text(element)
    return code


def _link_geometry(feature, gml_id: str, source: str) -> np.ndarray:
    for child in feature:
        if _local(child) == "centrelineGeometry":
            return _coordinates(child, gml_id, source)
    return np.zeros((0, 2))


def _coordinates(container, feature_id: str, source: str) -> np.ndarray:
    """(n, 2) float64: every ``gml:posList`` / ``gml:pos`` under ``container``, in document order.

    Consecutive parts (curve segments) are joined; a repeated joint point is dropped. The
    dimension comes from the nearest ``srsDimension`` (default 2); heights are ignored.

    Raises
    ------
    InputError
        A geometry in a reference system other than RD New, or coordinates that are not numbers.
    """
    parts = []
    dimension = 2
    for element in container.iter():
        if not isinstance(element.tag, str):
            continue
        srs = element.get("srsName")
        if srs is not None:
            _check_crs(srs, element, feature_id, source)
        key = _local(element)
        place = f"{feature_id or _local(container)} <gml:{key}>"
        if element.get("srsDimension"):
            dimension = element.get("srsDimension").strip()
            if dimension not in ("2", "3"):
                raise InputError(f"srsDimension must be 2 or 3, got '{dimension}'", source=source, place=place)
            dimension = int(dimension)
        if key in ("posList", "pos") and element.text and element.text.strip():
            try:
                values = np.array(element.text.split(), dtype=np.float64)
            except ValueError:
                raise InputError("coordinates are not numbers", source=source, place=place) from None
            if not (np.abs(values) < MAX_COORDINATE).all():  # NaN and infinity too
                raise InputError(f"coordinates must be finite RD New metres below {MAX_COORDINATE:,.0f}",
                                 source=source, place=place)
            if len(values) % dimension:
                raise InputError(f"{len(values)} coordinate values do not make {dimension}D points", source=source,
                                 place=place)
            parts.append(values.reshape(-1, dimension)[:, :2])
    if not parts:
        return np.zeros((0, 2))
    points = parts[0]
    for part in parts[1:]:
        points = np.vstack([points, part[1:] if np.array_equal(points[-1], part[0]) else part])
    return points


def _check_crs(srs: str, element, feature_id: str, source: str) -> None:
    match = _EPSG.search(srs.strip())
    if match and match.group(1) in ACCEPTED_EPSG:
        return
    raise InputError(f"coordinates in '{srs}'; a KLIC delivery must be in RD New (EPSG:28992)", source=source,
                     place=f"{feature_id or 'feature'} <gml:{_local(element)}>")
