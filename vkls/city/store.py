"""The tiled city store: a folder with ``city.toml`` and one ``.npz`` file of flat arrays per tile.

A city (or a region, a network operator's whole service area) is too big to hold as
Python objects; it is stored as square tiles of flat arrays that can be read one at a time.

Layout::

    city/
      city.toml                 manifest: name, origin, tile size, one [[tiles]] entry per tile
      tiles/t_0003_0007.npz     the lines (cables, pipes) and trees *anchored* in tile (3, 7)

An object (a line or a tree) is anchored in the tile that contains the centre of its
bounding box, and is stored in that tile only. Each ``[[tiles]]`` entry records ``bbox``,
the union of the 2D extents of the lines it stores (with their radii) and of its tree
positions, and the largest crown radius and trunk diameter of its trees: a reader knows
which tiles it must open to see everything near a region, whatever root zone model the
norms in use give the trees.

Arrays of a tile file (``L`` lines, ``V`` vertices, ``T`` trees):

=================  ==========  ==================================================================
``line_index``     (L,) int64  global ordinal of the line (objects are ordered by it everywhere)
``line_name``      (L,) str    stable id shown in reports, e.g. ``S00012/W1`` or ``S00012/E/hc3``
``line_kind``      (L,) int8   index into :data:`LINE_KINDS` (IMKL theme names)
``line_role``      (L,) int8   index into :data:`LINE_ROLES`
``line_group``     (L,) int64  lines of one group are never paired (a main and its connections)
``line_diameter``  (L,) f8     outer diameter, metres
``line_accuracy``  (L, 2) f8   position uncertainty horizontal, vertical, metres
``line_start``     (L+1,) int64  the vertices of line k are ``xyz[line_start[k]:line_start[k+1]]``
``xyz``            (V, 3) f8   RD New x, y (metres) and depth of the axis below ground (m, down)
``tree_index``     (T,) int64  global ordinal (one numbering with the lines)
``tree_name``      (T,) str
``tree_xy``        (T, 2) f8   RD New, metres
``tree_class``     (T,) str    size class "1a", "1b", "2", "3"
``tree_dbh``       (T,) f8     trunk diameter at breast height, metres
``tree_crown``     (T,) f8     crown radius, metres
``tree_barrier``   (T,) bool   protected by a root barrier
=================  ==========  ==================================================================
"""

from __future__ import annotations

import math
import os
import struct
import tomllib
import zipfile
from dataclasses import dataclass, field, fields, replace
from functools import cached_property
from pathlib import Path

import numpy as np
from numpy.lib import format as npy_format

from vkls.errors import InputError
from vkls.model import NetworkKind

FORMAT = "vkls-city"
VERSION = 1
MANIFEST = "city.toml"

#: Line kind codes of the store (the order is part of the format).
LINE_KINDS: tuple[NetworkKind, ...] = tuple(NetworkKind)
#: Line role codes of the store; the roles are the scene's object roles.
#: ``main on a rack``: a main on a VKLS rack level (a main for every rule; cover depth is judged
#: against ``cover.rack_min``, under the rack's protection plate).
LINE_ROLES: tuple[str, ...] = ("main", "house connection", "sewer connection", "main on a rack")
#: The role of a line in the scene, per store role code.
SCENE_ROLES: tuple[str, ...] = ("main", "house connection", "sewer connection", "main")
RACK_ROLE = LINE_ROLES.index("main on a rack")


@dataclass(frozen=True)
class TileArrays:
    """The lines and trees of one tile (or of a region read from several tiles); see the module docs."""

    line_index: np.ndarray
    line_name: np.ndarray
    line_kind: np.ndarray
    line_role: np.ndarray
    line_group: np.ndarray
    line_diameter: np.ndarray
    line_accuracy: np.ndarray
    line_start: np.ndarray
    xyz: np.ndarray
    tree_index: np.ndarray
    tree_name: np.ndarray
    tree_xy: np.ndarray
    tree_class: np.ndarray
    tree_dbh: np.ndarray
    tree_crown: np.ndarray
    tree_barrier: np.ndarray

    @property
    def n_lines(self) -> int:
        return len(self.line_index)

    @property
    def n_segments(self) -> int:
        return len(self.xyz) - self.n_lines

    @property
    def n_trees(self) -> int:
        return len(self.tree_index)

    @property
    def nbytes(self) -> int:
        """Memory held by the arrays, bytes."""
        return sum(getattr(self, f.name).nbytes for f in fields(self))

    @classmethod
    def empty(cls) -> "TileArrays":
        return cls(
            line_index=np.zeros(0, np.int64), line_name=np.zeros(0, "U1"), line_kind=np.zeros(0, np.int8),
            line_role=np.zeros(0, np.int8), line_group=np.zeros(0, np.int64), line_diameter=np.zeros(0),
            line_accuracy=np.zeros((0, 2)), line_start=np.zeros(1, np.int64), xyz=np.zeros((0, 3)),
            tree_index=np.zeros(0, np.int64), tree_name=np.zeros(0, "U1"), tree_xy=np.zeros((0, 2)),
            tree_class=np.zeros(0, "U2"), tree_dbh=np.zeros(0), tree_crown=np.zeros(0),
            tree_barrier=np.zeros(0, bool),
        )

    def line_lengths(self) -> np.ndarray:
        """(L,) length of each line along its axis in plan, metres."""
        step = np.hypot(*np.diff(self.xyz[:, :2], axis=0).T)
        within = np.ones(len(step), dtype=bool)
        within[self.line_start[1:-1] - 1] = False  # the step from one line's end to the next line's start
        cumulative = np.concatenate([[0.0], np.cumsum(np.where(within, step, 0.0))])
        return cumulative[self.line_start[1:] - 1] - cumulative[self.line_start[:-1]]

    def line_extents(self) -> np.ndarray:
        """(L, 4) plan extent ``xmin, ymin, xmax, ymax`` of each line with its radius, metres (computed once)."""
        return self._extents

    @cached_property
    def _extents(self) -> np.ndarray:
        if self.n_lines == 0:
            return np.zeros((0, 4))
        from vkls.geometry.kernels import line_extents

        return line_extents(self.xyz, self.line_start, self.line_diameter)

    def select_lines(self, keep: np.ndarray) -> "TileArrays":
        """The lines where ``keep`` (L,) is true, with all their vertices; trees unchanged."""
        if keep.all():
            return self
        lines = np.flatnonzero(keep)
        counts = np.diff(self.line_start)[lines]
        start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        vertices = np.repeat(self.line_start[lines] - start[:-1], counts) + np.arange(start[-1])
        return replace(self, **{name: getattr(self, name)[lines] for name in _LINE_COLUMNS},
                       line_start=start, xyz=self.xyz[vertices])

    def select_trees(self, keep: np.ndarray) -> "TileArrays":
        """The trees where ``keep`` (T,) is true; lines unchanged."""
        if keep.all():
            return self
        return replace(self, **{name: getattr(self, name)[keep] for name in _TREE_COLUMNS})

    @classmethod
    def concatenate(cls, parts: list["TileArrays"]) -> "TileArrays":
        """Join tiles; lines and trees are put in the order of their global index."""
        parts = [p for p in parts if p.n_lines or p.n_trees]
        if not parts:
            return cls.empty()
        columns = {name: np.concatenate([getattr(p, name) for p in parts]) for name in _LINE_COLUMNS + _TREE_COLUMNS}
        counts = np.concatenate([np.diff(p.line_start) for p in parts])
        xyz = np.concatenate([p.xyz for p in parts])
        joined = cls(**columns, line_start=np.concatenate([[0], np.cumsum(counts)]).astype(np.int64), xyz=xyz)
        return joined.sorted()

    def sorted(self) -> "TileArrays":
        """Lines and trees in the order of their global index."""
        line_order = np.argsort(self.line_index, kind="stable")
        tree_order = np.argsort(self.tree_index, kind="stable")
        if (np.diff(line_order) == 1).all() and (np.diff(tree_order) == 1).all():
            return self
        from vkls.geometry.kernels import gather_lines

        xyz, line_start = gather_lines(self.xyz, self.line_start, line_order)
        return replace(
            self, **{name: getattr(self, name)[line_order] for name in _LINE_COLUMNS},
            **{name: getattr(self, name)[tree_order] for name in _TREE_COLUMNS}, line_start=line_start, xyz=xyz)


_LINE_COLUMNS = ("line_index", "line_name", "line_kind", "line_role", "line_group", "line_diameter", "line_accuracy")
_TREE_COLUMNS = ("tree_index", "tree_name", "tree_xy", "tree_class", "tree_dbh", "tree_crown", "tree_barrier")
_ALL_COLUMNS = tuple(f.name for f in fields(TileArrays))


@dataclass(frozen=True)
class TileEntry:
    """One ``[[tiles]]`` entry of the manifest."""

    file: str
    ix: int
    iy: int
    bbox: tuple[float, float, float, float]
    lines: int
    segments: int
    trees: int
    tree_crown_max: float = 0.0
    tree_dbh_max: float = 0.0
    accuracy_xy_max: float = 0.0
    accuracy_z_max: float = 0.0


@dataclass(frozen=True)
class CityManifest:
    """``city.toml``: what the store holds and where.

    Attributes
    ----------
    name : str
    origin : (float, float), metres RD New
        Subtracted from every coordinate in every scene built from the store, so that a tile
        and the whole city give bit-identical geometry.
    tile_size : float, metres
    max_segment_length : float, metres
        Longest segment in the store (the run-joining step of the conflict grouping).
    tiles : tuple of TileEntry
    summary : dict
        What the generator or converter wants to tell (lengths per kind, counts, seed).
    """

    name: str
    origin: tuple[float, float]
    tile_size: float
    max_segment_length: float
    tiles: tuple[TileEntry, ...]
    summary: dict = field(default_factory=dict)
    folder: str = ""

    @property
    def n_segments(self) -> int:
        return sum(t.segments for t in self.tiles)

    @property
    def n_lines(self) -> int:
        return sum(t.lines for t in self.tiles)

    @property
    def n_trees(self) -> int:
        return sum(t.trees for t in self.tiles)


def tile_file_name(ix: int, iy: int) -> str:
    return f"tiles/t_{ix:04d}_{iy:04d}.npz"


def is_city_store(path: str | os.PathLike) -> bool:
    """A folder with ``city.toml``, or that file itself."""
    path = Path(path)
    return (path.is_dir() and (path / MANIFEST).is_file()) or (path.name == MANIFEST and path.is_file())


def write_tile(folder: str | os.PathLike, ix: int, iy: int, arrays: TileArrays) -> TileEntry:
    """Write one tile file (atomically) and return its manifest entry."""
    name = tile_file_name(ix, iy)
    target = Path(folder) / name
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_suffix(".part.npz")
    np.savez(temporary, **{column: getattr(arrays, column) for column in _ALL_COLUMNS})
    os.replace(temporary, target)
    return TileEntry(file=name, ix=ix, iy=iy, bbox=_bbox(arrays), lines=arrays.n_lines,
                     segments=arrays.n_segments, trees=arrays.n_trees,
                     tree_crown_max=float(arrays.tree_crown.max(initial=0.0)),
                     tree_dbh_max=float(arrays.tree_dbh.max(initial=0.0)),
                     accuracy_xy_max=float(arrays.line_accuracy[:, 0].max(initial=0.0)),
                     accuracy_z_max=float(arrays.line_accuracy[:, 1].max(initial=0.0)))


def _bbox(arrays: TileArrays) -> tuple[float, float, float, float]:
    every = np.concatenate([arrays.line_extents(), np.hstack([arrays.tree_xy, arrays.tree_xy])])
    if not len(every):
        return (0.0, 0.0, 0.0, 0.0)
    return (float(every[:, 0].min()), float(every[:, 1].min()), float(every[:, 2].max()), float(every[:, 3].max()))


def write_manifest(folder: str | os.PathLike, manifest: CityManifest) -> Path:
    """Write ``city.toml`` (atomically); tiles are listed in (ix, iy) order."""
    from vkls.io.atomic import atomic_write

    lines = [f'format = "{FORMAT}"', f"version = {VERSION}", f"name = {_toml_string(manifest.name)}",
             'crs = "EPSG:28992"', f"origin = [{manifest.origin[0]!r}, {manifest.origin[1]!r}]",
             f"tile_size = {float(manifest.tile_size)!r}",
             f"max_segment_length = {float(manifest.max_segment_length)!r}", ""]
    if manifest.summary:
        lines.append("[summary]")
        for key, value in manifest.summary.items():
            lines.append(f"{key} = {_toml_value(value)}")
        lines.append("")
    for tile in sorted(manifest.tiles, key=lambda t: (t.ix, t.iy)):
        lines += ["[[tiles]]", f'file = "{tile.file}"', f"ix = {tile.ix}", f"iy = {tile.iy}",
                  "bbox = [" + ", ".join(repr(float(v)) for v in tile.bbox) + "]",
                  f"lines = {tile.lines}", f"segments = {tile.segments}", f"trees = {tile.trees}",
                  f"tree_crown_max = {tile.tree_crown_max!r}", f"tree_dbh_max = {tile.tree_dbh_max!r}",
                  f"accuracy_xy_max = {tile.accuracy_xy_max!r}", f"accuracy_z_max = {tile.accuracy_z_max!r}", ""]
    target = Path(folder) / MANIFEST
    with atomic_write(target) as stream:
        stream.write("\n".join(lines))
    return target


def _toml_string(text: str) -> str:
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
    return _toml_string(value)


def _toml_key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() else _toml_string(key)


def read_manifest(path: str | os.PathLike) -> CityManifest:
    """Read and check ``city.toml`` (``path`` is the folder or the file).

    Raises
    ------
    InputError
        Missing or malformed manifest, a missing tile file, an impossible value.
    """
    path = Path(path)
    file = path / MANIFEST if path.is_dir() else path
    source = str(file)
    try:
        content = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("not a city store (no city.toml)", source=str(path)) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise InputError(f"malformed TOML ({error})", source=source) from None
    if content.get("format") != FORMAT:
        raise InputError(f"format must be {FORMAT!r}, got {content.get('format')!r}", source=source, place="format")
    if content.get("version") != VERSION:
        raise InputError(f"unsupported version {content.get('version')!r} (this vkls reads {VERSION})",
                         source=source, place="version")
    origin = _numbers(content, "origin", 2, source)
    tile_size = _positive(content, "tile_size", source)
    max_segment = _positive(content, "max_segment_length", source)
    if content.get("crs", "EPSG:28992") != "EPSG:28992":
        raise InputError(f"a city store is in RD New, crs = \"EPSG:28992\"; got {content.get('crs')!r}",
                         source=source, place="crs")
    tiles, listed = [], set()
    for k, entry in enumerate(content.get("tiles", [])):
        place = f"tiles[{k}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("file"), str):
            raise InputError("each tile needs a file", source=source, place=place)
        relative = Path(entry["file"])
        if relative.is_absolute() or ".." in relative.parts:
            raise InputError(f"tile file {entry['file']} must be a path inside the store", source=source,
                             place=f"{place}.file")
        if not (file.parent / relative).is_file():
            raise InputError(f"tile file {entry['file']} is missing", source=source, place=f"{place}.file")
        if relative in listed:
            raise InputError(f"tile file {entry['file']} is listed twice", source=source, place=f"{place}.file")
        listed.add(relative)
        bbox = _numbers(entry, "bbox", 4, source, place)
        counts = {key: entry.get(key) for key in ("ix", "iy", "lines", "segments", "trees")}
        for key, value in counts.items():
            if not isinstance(value, int) or (key not in ("ix", "iy") and value < 0):
                raise InputError(f"{key} must be a whole number >= 0", source=source, place=f"{place}.{key}")
        sizes = {key: entry.get(key, 0.0)
                 for key in ("tree_crown_max", "tree_dbh_max", "accuracy_xy_max", "accuracy_z_max")}
        for key, value in sizes.items():
            if not (isinstance(value, (int, float)) and not isinstance(value, bool) and np.isfinite(value)
                    and value >= 0):
                raise InputError("expected a number >= 0", source=source, place=f"{place}.{key}")
        tiles.append(TileEntry(file=entry["file"], bbox=tuple(bbox), **counts,
                               **{key: float(value) for key, value in sizes.items()}))
    return CityManifest(name=str(content.get("name", file.parent.name)), origin=tuple(origin), tile_size=tile_size,
                        max_segment_length=max_segment, tiles=tuple(tiles), summary=dict(content.get("summary", {})),
                        folder=str(file.parent))


def _numbers(content: dict, key: str, count: int, source: str, place: str = "") -> list[float]:
    value = content.get(key)
    where = f"{place}.{key}" if place else key
    if not (isinstance(value, list) and len(value) == count
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v) for v in value)):
        raise InputError(f"expected {count} finite numbers", source=source, place=where)
    return [float(v) for v in value]


def _positive(content: dict, key: str, source: str) -> float:
    value = content.get(key)
    if not (isinstance(value, (int, float)) and not isinstance(value, bool) and np.isfinite(value) and value > 0):
        raise InputError("expected a number > 0", source=source, place=key)
    return float(value)


def read_tile(manifest: CityManifest, tile: TileEntry) -> TileArrays:
    """Read one tile file and check its arrays.

    Raises
    ------
    InputError
        A truncated or malformed file, arrays of the wrong shape, NaN coordinates, negative sizes.
    """
    source = str(Path(manifest.folder) / tile.file)
    try:
        columns = _stored_columns(source, _ALL_COLUMNS)
        if columns is None:  # members compressed: numpy reads them
            with np.load(source, allow_pickle=False) as data:
                columns = {name: data[name] for name in _ALL_COLUMNS}
    except KeyError as error:
        raise InputError(f"array {error} is missing", source=source) from None
    except (OSError, ValueError, EOFError, struct.error, zipfile.BadZipFile) as error:
        raise InputError(f"unreadable tile file ({error})", source=source) from None
    arrays = TileArrays(**columns)
    _validate(arrays, source)
    return arrays


def read_all_tiles(manifest: CityManifest) -> TileArrays:
    """Every tile of the store joined into one set of arrays (the whole city in memory: a single pass)."""
    return TileArrays.concatenate([read_tile(manifest, tile) for tile in manifest.tiles])


def _stored_columns(source: str, names: tuple[str, ...]) -> dict | None:
    """The arrays of an ``.npz`` whose members are stored uncompressed, each read straight from its
    place in the file with one read (no zip stream, no checksum pass: three to four times faster
    than :func:`numpy.load`); None when a member is compressed.

    The zip checksums are not verified: a damaged byte inside an array is caught only by the
    checks of :func:`read_tile` (shapes, finite coordinates, codes, sizes). A truncated or
    malformed file, or a member shorter than its header says, is an error.

    Raises
    ------
    KeyError, ValueError, OSError, struct.error, zipfile.BadZipFile
        A missing member, a truncated or malformed file.
    """
    with zipfile.ZipFile(source) as archive:
        members = {info.filename: info for info in archive.infolist()}
    wanted = [members[f"{name}.npy"] if f"{name}.npy" in members else None for name in names]
    missing = [name for name, info in zip(names, wanted) if info is None]
    if missing:
        raise KeyError(missing[0])
    if any(info.compress_type != zipfile.ZIP_STORED for info in wanted):
        return None
    columns = {}
    with open(source, "rb") as stream:
        for name, info in zip(names, wanted):
            stream.seek(info.header_offset)
            local = stream.read(30)
            if len(local) < 30 or local[:4] != b"PK\x03\x04":
                raise ValueError(f"member {name} has no local header")
            name_length, extra_length = struct.unpack("<HH", local[26:30])
            start = info.header_offset + 30 + name_length + extra_length
            stream.seek(start)
            version = npy_format.read_magic(stream)
            read_header = npy_format.read_array_header_1_0 if version == (1, 0) else npy_format.read_array_header_2_0
            shape, fortran_order, dtype = read_header(stream)
            if dtype.hasobject:
                raise ValueError(f"member {name} holds Python objects")
            count = math.prod(shape)
            if stream.tell() - start + count * dtype.itemsize > info.file_size:
                raise ValueError(f"member {name} is truncated")
            data = np.fromfile(stream, dtype=dtype, count=count)
            if len(data) != count:
                raise ValueError(f"member {name} is truncated")
            columns[name] = data.reshape(shape, order="F" if fortran_order else "C")
    return columns


#: The kind of numbers (numpy dtype kinds) each tile array holds.
_COLUMN_KINDS = {"line_index": "iu", "line_name": "U", "line_kind": "iu", "line_role": "iu", "line_group": "iu",
                 "line_diameter": "f", "line_accuracy": "f", "line_start": "iu", "xyz": "f", "tree_index": "iu",
                 "tree_name": "U", "tree_xy": "f", "tree_class": "U", "tree_dbh": "f", "tree_crown": "f",
                 "tree_barrier": "b"}
_KIND_NAMES = {"iu": "whole numbers", "f": "floating-point numbers", "U": "text", "b": "true/false values"}


def _validate(arrays: TileArrays, source: str) -> None:
    for name, kinds in _COLUMN_KINDS.items():
        dtype = getattr(arrays, name).dtype
        if dtype.kind not in kinds:
            raise InputError(f"{name} holds {dtype} values; expected {_KIND_NAMES[kinds]}", source=source)
    n_lines, n_trees = arrays.n_lines, arrays.n_trees
    for name in _LINE_COLUMNS:
        if len(getattr(arrays, name)) != n_lines:
            raise InputError(f"{name} has {len(getattr(arrays, name))} rows, line_index {n_lines}", source=source)
    for name in _TREE_COLUMNS:
        if len(getattr(arrays, name)) != n_trees:
            raise InputError(f"{name} has {len(getattr(arrays, name))} rows, tree_index {n_trees}", source=source)
    start = arrays.line_start
    if (len(start) != n_lines + 1 or start[0] != 0 or start[-1] != len(arrays.xyz)
            or (n_lines and (np.diff(start) < 2).any())):
        raise InputError("line_start must run from 0 to the vertex count, with >= 2 vertices per line", source=source)
    if arrays.xyz.ndim != 2 or arrays.xyz.shape[1] != 3:
        raise InputError(f"xyz must have shape (V, 3), got {arrays.xyz.shape}", source=source)
    checks = [
        (np.zeros(0, bool) if np.isfinite(arrays.xyz).all() else ~np.isfinite(arrays.xyz).all(axis=1),
         "a vertex is not a finite number", lambda k: f"xyz[{k}]"),
        (~(arrays.line_diameter > 0), "diameter must be > 0", lambda k: f"line {arrays.line_name[k]}"),
        (~(arrays.line_accuracy >= 0).all(axis=1), "accuracy must be >= 0", lambda k: f"line {arrays.line_name[k]}"),
        ((arrays.line_kind < 0) | (arrays.line_kind >= len(LINE_KINDS)), "unknown network kind code",
         lambda k: f"line {arrays.line_name[k]}"),
        ((arrays.line_role < 0) | (arrays.line_role >= len(LINE_ROLES)), "unknown role code",
         lambda k: f"line {arrays.line_name[k]}"),
        (~np.isfinite(arrays.tree_xy).all(axis=1) | ~(arrays.tree_dbh > 0) | ~(arrays.tree_crown >= 0),
         "tree position must be finite, dbh > 0 and crown >= 0", lambda k: f"tree {arrays.tree_name[k]}"),
    ]
    for bad, message, where in checks:
        if len(bad) and bad.any():
            raise InputError(message, source=source, place=where(int(np.argmax(bad))))


def read_region(manifest: CityManifest, region: tuple[float, float, float, float], root_zone_radius,
                tiles: list[TileEntry] | None = None, read=read_tile) -> TileArrays:
    """Every line and tree that reaches into ``region``, from every tile that can hold one.

    Parameters
    ----------
    manifest : CityManifest
    region : (xmin, ymin, xmax, ymax), metres RD New
    root_zone_radius : callable (crown, dbh) -> radius, arrays in metres
        The root zone model of the norms in use (a tree reaches as far as its root zone).
    tiles : list of TileEntry, optional
        Only these tiles (default: all).
    read : callable (manifest, TileEntry) -> TileArrays
        How to read a tile (default :func:`read_tile`; a worker passes its cache).

    Returns
    -------
    TileArrays
        Whole lines (every vertex) and trees, in global index order.
    """
    x0, y0, x1, y1 = region
    parts = []
    for tile in manifest.tiles if tiles is None else tiles:
        reach = float(root_zone_radius(np.array([tile.tree_crown_max]), np.array([tile.tree_dbh_max]))[0])
        bx0, by0, bx1, by1 = tile.bbox
        if bx0 - reach > x1 or bx1 + reach < x0 or by0 - reach > y1 or by1 + reach < y0:
            continue
        arrays = read(manifest, tile)
        extent = arrays.line_extents()
        keep = (extent[:, 0] <= x1) & (extent[:, 2] >= x0) & (extent[:, 1] <= y1) & (extent[:, 3] >= y0)
        radius = root_zone_radius(arrays.tree_crown, arrays.tree_dbh)
        tx, ty = arrays.tree_xy[:, 0], arrays.tree_xy[:, 1]
        keep_tree = (tx - radius <= x1) & (tx + radius >= x0) & (ty - radius <= y1) & (ty + radius >= y0)
        parts.append(arrays.select_lines(keep).select_trees(keep_tree))
    return TileArrays.concatenate(parts)
