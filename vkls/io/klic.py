"""KLIC deliveries (IMKL 2.0) as a :class:`~vkls.model.NetworkMap` of existing cables and pipes.

``read_klic(path, norms)`` takes the delivery zip as Kadaster sends it (the GML is streamed
out of the zip, never extracted) or the GML itself, and returns every cable, pipe and
container as a :class:`~vkls.model.Utility`:

- **course**: the 2D ``UtilityLink`` centre line (RD New; any other reference system is an
  error); an object with several links becomes one utility per link (``id/1``, ``id/2``, one group).
- **kind**: from the theme of its ``Utiliteitsnet`` (:data:`THEME_KINDS`); themes vkls has no
  rules for are skipped and counted (:data:`UNCHECKED_THEMES`); ``wees`` (orphan) takes the kind
  of its object type and status ``orphan``.
- **diameter**: ``pipeDiameter`` / ``kabelDiameter`` / ``ductWidth`` where given, else the kind's
  default (``networks.<kind>.diameter``).
- **depth**: cover depth from the network's ``standaardDieptelegging``, else the kind's default
  (``networks.<kind>.cover``); ``Diepte`` annotations override it along the line
  (:mod:`vkls.io.klic_depth`). The axis lies one radius below the top.
- **accuracy**: ``geoNauwkeurigheidXY`` (``tot30cm`` -> 0.30 m, ...) horizontally; vertically the
  class of the attached depth annotations, else :data:`UNKNOWN_ACCURACY`.
- **groups** (never paired by the check): the cables and pipes of one ``Utiliteitsnet``, as the
  parts of one network of a street, joined with the networks of the containers (Mantelbuis,
  Kabelbed, Duct) they lie in (:mod:`vkls.io.klic_containers`).
- **status**: ``currentStatus`` disused/decommissioned -> ``out of use``; theme ``wees`` -> ``orphan``.

What was read, used and skipped (and why) is counted per IMKL type (:mod:`vkls.io.klic_counts`);
the map's ``notes`` carry it: ``notes[0]`` is the one-line summary, the rest the verbose table.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely

from vkls.errors import InputError
from vkls.io.imkl import CONTAINER_TYPES, DEPTH_TYPES, LINE_TYPES, ImklDelivery, parse_imkl
from vkls.io.klic_containers import containment_groups, merge_labels
from vkls.io.klic_counts import NOT_MODELLED, ROLE_OF_TYPE, ImportCounts
from vkls.io.klic_depth import (
    MAX_ANNOTATION_DISTANCE,
    MAX_PLAUSIBLE_COVER,
    DepthPoint,
    cover_of_annotation,
    depth_profile,
    nearest_line,
)
from vkls.model import NetworkKind, NetworkMap, Utility

K = NetworkKind
#: A stated diameter outside (0, this] metres is not a plausible cable or pipe: the kind's default is used.
MAX_PLAUSIBLE_DIAMETER = 5.0
#: IMKL theme -> vkls network kind.
THEME_KINDS = {
    "datatransport": K.DATATRANSPORT, "laagspanning": K.LAAGSPANNING, "middenspanning": K.MIDDENSPANNING,
    "gasLageDruk": K.GAS_LAGE_DRUK, "gasHogeDruk": K.GAS_HOGE_DRUK, "water": K.WATER, "warmte": K.WARMTE,
    "rioolVrijverval": K.RIOOL_VRIJVERVAL,
    # a pressure sewer is checked as a sewer (clearances); its invert depth is not a gravity invert
    "rioolOnderOverOfOnderdruk": K.RIOOL_VRIJVERVAL, "rioolOnderDruk": K.RIOOL_VRIJVERVAL,
    "rioolOnderOverdruk": K.RIOOL_VRIJVERVAL,
}
#: Themes mapped to a kind that is close but not the same: a note in the import summary.
APPROXIMATE_THEMES = {
    "rioolOnderOverOfOnderdruk": "pressure/vacuum sewer checked as a sewer (rioolVrijverval clearances; "
                                 "its sewer-invert findings do not apply)",
    "rioolOnderDruk": "pressure sewer checked as a sewer (rioolVrijverval clearances; its sewer-invert findings "
                      "do not apply)",
    "rioolOnderOverdruk": "pressure sewer checked as a sewer (rioolVrijverval clearances; its sewer-invert "
                          "findings do not apply)",
}
#: Themes vkls has no rules for: their objects are skipped, counted and named.
UNCHECKED_THEMES = {
    "hoogspanning": "high voltage (36-220 kV): vkls has no high-voltage rules",
    "landelijkHoogspanningsnet": "national grid (110-380 kV): vkls has no high-voltage rules",
    "buisleidingGevaarlijkeInhoud": "hazardous-substance pipeline: its zoning rules are not in vkls",
    "petrochemie": "petrochemical pipeline: its zoning rules are not in vkls",
    "overig": "theme 'overig' (other): no kind to check it as",
}
ORPHAN_THEME = "wees"
#: Kind of an orphan (``wees``) object by its type.
TYPE_KINDS = {
    "Elektriciteitskabel": K.LAAGSPANNING, "Telecommunicatiekabel": K.DATATRANSPORT, "Waterleiding": K.WATER,
    "OlieGasChemicalienPijpleiding": K.GAS_LAGE_DRUK, "Rioolleiding": K.RIOOL_VRIJVERVAL,
    "ThermischePijpleiding": K.WARMTE, "Thermischepijpleiding": K.WARMTE,
}
OUT_OF_USE = ("disused", "decommissioned")
ABOVE_GROUND = ("onGroundSurface", "suspendedOrElevated")
#: Position accuracy where the delivery gives none or ``onbekend`` (metres): the coarsest KLIC class.
UNKNOWN_ACCURACY = 1.0
_ACCURACY_CLASS = re.compile(r"tot(\d+)cm$")
#: Segments shorter than this (metres) are dropped from a course (repeated vertices).
MIN_SEGMENT = 1e-6
#: The namespace part of KLIC gml:ids; what follows it is the object's IMKL ``lokaalID``.
KLIC_ID_PREFIX = "nl.imkl-"


def object_id(gml_id: str) -> str:
    """The id vkls reports for an IMKL object: its ``lokaalID`` (the gml:id without ``nl.imkl-``)."""
    return gml_id[len(KLIC_ID_PREFIX):] if gml_id.startswith(KLIC_ID_PREFIX) else gml_id


@dataclass(frozen=True)
class KlicImport:
    """A read delivery: the map for the check and the counts of what was read."""

    network_map: NetworkMap
    counts: ImportCounts


def read_klic(path: str, norms) -> NetworkMap:
    """Read a KLIC delivery (zip or GML) as existing networks.

    Parameters
    ----------
    path : str
        ``Levering_*.zip`` as received from KLIC, or the ``GI_gebiedsinformatielevering_*.xml`` in it.
    norms : vkls.rules.loader.Norms
        Default diameter and cover per kind.

    Returns
    -------
    NetworkMap
        Its ``notes``: ``notes[0]`` the one-line import summary, the rest the per-type table.

    Raises
    ------
    vkls.errors.InputError
        A missing or unreadable file, a zip without a GML, malformed or non-IMKL XML, or
        coordinates in another reference system than RD New.
    """
    return load_klic(path, norms).network_map


def load_klic(path: str, norms) -> KlicImport:
    """:func:`read_klic` with the structured counts (for tests and tools)."""
    delivery, source = _parse(path)
    counts = ImportCounts(source=Path(path).name)
    utilities = _build_utilities(delivery, norms, counts)
    _count_other_types(delivery, counts, utilities)
    notes = tuple(counts.lines(_line_types(delivery), DEPTH_TYPES))
    name = Path(path).stem
    return KlicImport(NetworkMap(name=name, source=str(path), utilities=tuple(utilities), notes=notes), counts)


def _parse(path: str) -> tuple[ImklDelivery, str]:
    file = Path(path)
    if not file.is_file():
        raise InputError("file not found", source=str(path))
    if file.suffix.lower() != ".zip":
        with open(file, "rb") as stream:
            return parse_imkl(stream, str(path)), str(path)
    try:
        archive = zipfile.ZipFile(file)
    except zipfile.BadZipFile:
        raise InputError("not a zip file (a KLIC delivery is the zip as received, or the GML in it)",
                         source=str(path)) from None
    with archive:
        member = _gml_member(archive, str(path))
        source = f"{path}/{member}"
        try:
            with archive.open(member) as stream:
                return parse_imkl(stream, source), source
        except (zipfile.BadZipFile, zlib.error, EOFError) as error:
            raise InputError(f"the zip is damaged ({error}); ask for the delivery again", source=source) from None


def _gml_member(archive: zipfile.ZipFile, source: str) -> str:
    """The IMKL GML inside a delivery zip: ``GI_gebiedsinformatielevering*.xml``, else the only .xml/.gml."""
    names = [n for n in archive.namelist() if not n.endswith("/")]
    gml = [n for n in names if n.lower().endswith((".xml", ".gml"))]
    delivery = [n for n in gml if Path(n).name.lower().startswith("gi_gebiedsinformatielevering")]
    if len(delivery) == 1:
        return delivery[0]
    if len(gml) == 1:
        return gml[0]
    shown = ", ".join(names[:8]) + (f", ... ({len(names)} files)" if len(names) > 8 else "")
    if not gml:
        raise InputError(f"the zip holds no GML (.xml/.gml) file; it holds: {shown or 'nothing'}", source=source)
    raise InputError(f"the zip holds several GML files and none is a GI_gebiedsinformatielevering*.xml: {shown}",
                     source=source)


def _line_types(delivery: ImklDelivery) -> tuple[str, ...]:
    known = [t for t in (*LINE_TYPES, *CONTAINER_TYPES) if t in delivery.type_counts]
    return tuple(known + sorted({r.type for r in delivery.lines} - set(known)))


def accuracy_metres(code: str) -> float:
    """``tot30cm`` -> 0.30 m; ``onbekend``, "" or an unknown code -> :data:`UNKNOWN_ACCURACY`."""
    match = _ACCURACY_CLASS.search(code or "")
    return int(match.group(1)) / 100.0 if match else UNKNOWN_ACCURACY


def _owner(delivery: ImklDelivery, record) -> str:
    owner = delivery.owners.get(record.network, "")
    if owner:
        return owner
    match = re.match(r"nl\.imkl-([A-Za-z0-9]+)\.", record.id)
    return match.group(1) if match else ""


def _kind_of(record, network, counts: ImportCounts) -> tuple[NetworkKind | None, str]:
    """Kind of a line record, or None and the skip reason."""
    if network is None:
        return None, "its network (Utiliteitsnet) is not in the delivery"
    theme = network.theme
    if theme == ORPHAN_THEME:
        kind = TYPE_KINDS.get(record.type)
        return (kind, "") if kind else (None, "orphan (wees) container: no kind to check it as")
    if theme in THEME_KINDS:
        if theme in APPROXIMATE_THEMES:
            counts.note(APPROXIMATE_THEMES[theme])
        return THEME_KINDS[theme], ""
    if theme in UNCHECKED_THEMES:
        return None, f"theme {theme}: {UNCHECKED_THEMES[theme]}"
    return None, f"unknown theme '{theme or '(none)'}'"


def _course(delivery: ImklDelivery, link_id: str) -> np.ndarray | None:
    """(n, 2) vertices of a link without repeated points, or None if it has no line geometry."""
    xy = delivery.links.get(link_id)
    if xy is None or len(xy) < 2:
        return None
    keep = np.ones(len(xy), dtype=bool)
    keep[1:] = np.hypot(*np.diff(xy, axis=0).T) > MIN_SEGMENT
    xy = xy[keep]
    return xy if len(xy) >= 2 else None


@dataclass
class _Part:
    """One link of one usable object, before depths and groups are known."""

    record: object
    part_id: str
    kind: NetworkKind
    xy: np.ndarray
    diameter: float
    base_cover: float


def _build_utilities(delivery: ImklDelivery, norms, counts: ImportCounts) -> list[Utility]:
    parts: list[_Part] = []
    for record in delivery.lines:
        count = counts.of(record.type)
        network = delivery.networks.get(record.network)
        kind, reason = _kind_of(record, network, counts)
        if kind is None:
            count.skip(reason, object_id(record.id))
            continue
        if record.vertical_position in ABOVE_GROUND:
            count.skip(f"above ground (verticalPosition {record.vertical_position})", object_id(record.id))
            continue
        courses = [(link, _course(delivery, link)) for link in record.links]
        courses = [(link, xy) for link, xy in courses if xy is not None]
        if not courses:
            missing = "no UtilityLink" if not record.links else "its UtilityLink has no line geometry"
            count.skip(f"missing geometry ({missing})", object_id(record.id))
            continue
        count.used += 1
        if record.diameter is not None and 0 < record.diameter <= MAX_PLAUSIBLE_DIAMETER:
            diameter = record.diameter
            counts.diameters_given += 1
        else:
            diameter = norms.number(f"networks.{kind.value}.diameter")
            counts.diameters_default += 1
        base_cover = _standard_cover(network)
        if base_cover is None:
            base_cover = norms.number(f"networks.{kind.value}.cover")
        for n, (_, xy) in enumerate(courses, start=1):
            part_id = object_id(record.id) if len(courses) == 1 else f"{object_id(record.id)}/{n}"
            parts.append(_Part(record, part_id, kind, xy, diameter, base_cover))
    if not parts:
        return []
    lines = [shapely.LineString(p.xy) for p in parts]
    depth_points = _attach_depths(delivery, parts, lines, counts)
    networks = [p.record.network for p in parts]
    contained, counts.groups = containment_groups(
        lines, np.array([p.diameter / 2 for p in parts]), networks,
        np.array([p.record.type in CONTAINER_TYPES for p in parts]))
    group = merge_labels(contained, networks)
    group_id = {}
    for n, part in enumerate(parts):
        group_id.setdefault(group[n], object_id(part.record.network or part.record.id))
    annotated = set()
    utilities = []
    for n, part in enumerate(parts):
        record, points = part.record, depth_points.get(n, [])
        if points:
            annotated.add(record.id)
        network = delivery.networks[record.network]
        utilities.append(_utility(delivery, part, points, network, group_id[group[n]]))
    for part in {p.record.id: p for p in parts}.values():  # one count per object, not per link
        if part.record.id in annotated:
            counts.depths_annotated += 1
        elif _standard_cover(delivery.networks[part.record.network]) is not None:
            counts.depths_standard += 1
        else:
            counts.depths_default += 1
    return utilities


def _standard_cover(network) -> float | None:
    """The network's ``standaardDieptelegging`` (metres) where it is a plausible cover depth, else None."""
    depth = network.standard_depth
    return depth if depth is not None and 0 <= depth <= MAX_PLAUSIBLE_COVER else None


def _utility(delivery: ImklDelivery, part: _Part, points: list[DepthPoint], network, group: str) -> Utility:
    record = part.record
    radius = part.diameter / 2
    accuracy_xy = accuracy_metres(record.accuracy_xy)
    known = [p.accuracy for p in points if p.accuracy is not None]
    accuracy_depth = max(known) if known else UNKNOWN_ACCURACY
    if network.theme == ORPHAN_THEME:
        status = "orphan"
    elif record.status in OUT_OF_USE:
        status = "out of use"
    else:
        status = "in use"
    owner = _owner(delivery, record)
    extra = "" if status == "in use" else f", {status}"
    if record.status in ("projected", "underConstruction"):
        extra += f", {record.status}"
    label = f"{record.type} {part.part_id} ({network.theme}, {owner or 'owner unknown'}{extra})"
    return Utility(id=part.part_id, kind=part.kind, owner=owner, diameter=part.diameter,
                   points=depth_profile(part.xy, part.base_cover, radius, points), accuracy_xy=accuracy_xy,
                   accuracy_depth=accuracy_depth, group=group, status=status, label=label)


def _attach_depths(delivery: ImklDelivery, parts: list[_Part], lines: list, counts: ImportCounts) -> dict:
    """Attach each depth annotation to a line: the one that refers to it, else the nearest line of
    its network within :data:`MAX_ANNOTATION_DISTANCE`. Returns line index -> list of DepthPoint."""
    by_network: dict[str, list[int]] = {}
    by_reference: dict[str, int] = {}
    for n, part in enumerate(parts):
        by_network.setdefault(part.record.network, []).append(n)
        for ref in part.record.depth_refs:
            by_reference.setdefault(ref, n)
    attached: dict[int, list[DepthPoint]] = {}
    for record in delivery.depths:
        count = counts.of(record.type)
        if record.xy is None:
            count.skip("missing geometry (no ligging point)", object_id(record.id))
            continue
        if record.id in by_reference:
            index, distance = by_reference[record.id], 0.0
        else:
            candidates = by_network.get(record.network, []) if record.network else list(range(len(parts)))
            index, distance = nearest_line(record.xy, candidates, lines)
        if index is None:
            count.skip("no checked cable or pipe of its network", object_id(record.id))
            continue
        if distance > MAX_ANNOTATION_DISTANCE:
            count.skip(f"further than {MAX_ANNOTATION_DISTANCE:g} m from every cable or pipe of its network",
                       object_id(record.id))
            continue
        cover, reason = cover_of_annotation(record, parts[index].diameter)
        if cover is None:
            count.skip(reason, object_id(record.id))
            continue
        accuracy = accuracy_metres(record.accuracy) if _ACCURACY_CLASS.search(record.accuracy or "") else None
        attached.setdefault(index, []).append(DepthPoint(object_id(record.id), record.xy, cover, accuracy))
        count.used += 1
    return attached


def _count_other_types(delivery: ImklDelivery, counts: ImportCounts, utilities: list[Utility]) -> None:
    """Read counts for every type; used/skipped for the types that are not cables, pipes or depths."""
    for type_name, n in delivery.type_counts.items():
        counts.of(type_name).read = n
    line_types = set(_line_types(delivery))
    used_ids = _used_ids(delivery, utilities)
    used_links = {link for r in delivery.lines if r.id in used_ids for link in r.links}
    used_networks = {r.network for r in delivery.lines if r.id in used_ids}
    for type_name, count in counts.types.items():
        if type_name in line_types or type_name in DEPTH_TYPES:
            continue
        if type_name == "UtilityLink":
            count.used = len(used_links & set(delivery.links))
            for link in sorted(set(delivery.links) - used_links):
                count.skip("not the course of a checked cable or pipe", object_id(link))
        elif type_name == "Utiliteitsnet":
            count.used = len(used_networks & set(delivery.networks))
            for net in sorted(set(delivery.networks) - used_networks):
                theme = delivery.networks[net].theme
                count.skip(f"no checked cable or pipe in this network (theme {theme or 'none'})", object_id(net))
        elif type_name in ("Beheerder", "Belanghebbende"):
            count.used = count.read
        else:
            count.skipped[ROLE_OF_TYPE.get(type_name, NOT_MODELLED)] += count.read  # not named: not cables


def _used_ids(delivery: ImklDelivery, utilities: list[Utility]) -> set:
    """gml:ids of the line records behind the utilities (``id/2`` -> ``id``)."""
    by_object_id = {object_id(r.id): r.id for r in delivery.lines}
    return {by_object_id.get(u.id) or by_object_id[u.id.rsplit("/", 1)[0]] for u in utilities}


def import_notes(model, verbose: bool = False) -> list[str]:
    """What ``vkls check`` tells on stderr about a KLIC input: the summary line, or with ``verbose``
    the whole per-type table; nothing for a street file."""
    notes = list(getattr(model, "notes", ()) or ())
    if not isinstance(model, NetworkMap) or not notes:
        return []
    return notes if verbose else notes[:1]
