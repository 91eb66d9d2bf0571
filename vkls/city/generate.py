"""A realistic synthetic city in the tiled city store: ``vkls generate city --km N -o city/``.

Every scale test needs data, from ten thousand to a hundred million segments; this module
writes it. The city is a grid of building blocks separated by streets around Leiden
(RD New). Around every block the networks run in the sidewalk as rings at a fixed
offset from the facade, one line per block side and network, so at a corner they turn
with the block and never cross the networks of the other streets:

- **NEN 7171 blocks** (horizontal strips, as ``samples/leiden-nen7171.toml``): telecom
  (two ducts), LV power, gas (low pressure), drinking water, MV power on some blocks,
  street lighting along the kerb.
- **VKLS blocks** (a ``vkls_share`` of them; the vertical rack of ``samples/leiden-vkls.toml``):
  telecom on top, then LV power, gas, drinking water and, on half of them, heat at the
  bottom. Street lighting runs along the kerb of the verge; the narrow rack leaves room
  for larger trees in the sidewalk.

Offsets and depths come from :func:`vkls.geometry.section.place_networks` on a street
built like those samples, with strips wide enough that the random deviations below
keep a normal layout clear of the default norms (see :data:`NEN_NETWORKS`). Along every
block side a house every ~6 m gets its connections (telecom, LV, water, gas on most),
shaped like :func:`vkls.geometry.scene.connection_path` (dive under the mains nearer the
facade, run, rise to the facade). A gravity sewer runs in the middle of every street,
one line per street segment between intersections (diameter 0.3-0.6 m, axis 2.3-2.6 m
deep, laid to a slope), with sewer connections from some houses that pass under the
sidewalk networks. Tree rows stand in the verge (NEN) or in the sidewalk beside the rack
(VKLS) on a share of the block sides, with the largest size class the room allows
(a root barrier where only a barrier makes it fit); their root zones overlap the
networks, as in real streets.

Every vertex of a main deviates from the design (horizontal and depth, sigma 5 cm,
clipped at 2 sigma; cables on a rack move with the rack). The positions written are
the truth of the synthetic city, so the default position accuracy is 0. With the default
norms a normal layout is then clean but for two things that are real: root zones
overlapping the networks and the heat pipe 0.21 m under the drinking water in a VKLS rack
with heat (thermal). Mains on a rack are stored with the role ``main on a rack``, so their
cover is judged against ``cover.rack_min``. With ``accuracy=0.1`` (``--accuracy 0.1``) many
crossings and strips at the norms' distances become *possible* conflicts.

Deliberate conflicts are planted on a ``conflict_share`` of the block sides, one per
side, of four types (:data:`CONFLICT_TYPES`): a stretch of a main moved against its
neighbour (``displaced``), a stretch of a main 0.25 m shallower than the cover minimum of its kind
(``shallow``, NEN blocks), a class 2 tree without root barrier on a main (``tree``), a
heat pipe beside the water main (``thermal``, NEN blocks). They are counted in the
manifest summary and listed in ``deliberate_conflicts.csv`` next to ``city.toml``: one
row per conflict with its ``type``, the ``rule`` of vkls that reports it, the
``objects`` involved (names joined by ``;``, the planted or moved one first) and ``x``,
``y`` of the spot (RD New).

Conventions of the store written here
-------------------------------------
- ``line_group`` is the kind code: all lines of one network kind form one group city-wide
  (one operator's network in KLIC), so mains meeting at a corner and a main with its
  connections are never paired. Trees carry no group.
- ``line_index`` / ``tree_index`` = ``block_number * INDEX_STRIDE + a per-block counter``:
  unique and increasing in one numbering, with gaps; independent of the tile size.
- Names: ``B000123/N/W`` (block 123, north side, water main), ``B000123/N/h7/L`` (house 7
  of that side, its LV connection; ``R`` the sewer connection), ``B000123/N/t3`` (tree),
  ``B000123/S/R`` (the sewer of the street south of the block), ``.../Hx`` and ``.../tx``
  (a heat pipe and a tree planted as deliberate conflicts). Letters: T telecom, L LV,
  M MV, G gas, W water, H heat, O street lighting, R sewer.
- Determinism: block (ix, iy) draws from its own generator seeded with
  ``(seed, ix, iy)``, a street segment's sewer from a counter-based hash of
  ``(seed, orientation, k, i)``: the same seed and ``km`` give identical files, and no
  object depends on the tile size or the order in which tiles are generated.
- The summary's ``km_cables`` (mains per kind), ``km_house_connections`` and
  ``mean_segment_length`` are measured in plan.

Memory stays bounded: blocks are generated tile by tile (the blocks whose centre lies in
the tile) and a tile is written as soon as no later block can put an object in it, so at
most about one row of tiles is held at a time.
"""

from __future__ import annotations

import csv
import itertools
import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from vkls.city.store import (
    LINE_KINDS,
    LINE_ROLES,
    MANIFEST,
    CityManifest,
    TileArrays,
    TileEntry,
    is_city_store,
    write_manifest,
    write_tile,
)
from vkls.errors import InputError
from vkls.io.atomic import write_errors
from vkls.model import NetworkKind

# ---------------------------------------------------------------------------------------------------------------
# Parameters of the synthetic city (metres unless said otherwise)
# ---------------------------------------------------------------------------------------------------------------

#: Centre of the first street intersection (RD New): the grid grows from here to the north-east.
GRID_START = (93000.0, 463000.0)
#: Block sizes (facade to facade) along x and y, drawn per grid column and row.
BLOCK_LENGTH_RANGE = (90.0, 110.0)
BLOCK_DEPTH_RANGE = (50.0, 70.0)
#: Street widths facade to facade; every AVENUE_EVERY-th street is a wide avenue with a tree verge.
STREET_WIDTH_RANGE = (14.0, 18.0)
AVENUE_WIDTH_RANGE = (20.0, 24.0)
AVENUE_EVERY = 4
#: Cross-section of a street from the facade: sidewalk, verge (trees, parking) if there is room, carriageway.
SIDEWALK_WIDTH = 3.8
CARRIAGEWAY_WIDTH = 5.5
MIN_VERGE_WIDTH = 1.0
#: Margin around the grid below the origin of the store.
ORIGIN_MARGIN = 10.0

#: Mean spacing of the vertices of a main. The four KLIC deliveries in ``../shared/data/klic`` have a mean
#: segment length of 3.09 m but a median of 1.2 m: many short segments (house connections, bends) and
#: fewer long ones along straight mains. House connections here have 1-3 segments of ~0.3-1.5 m; mains
#: with a vertex every ~5 m bring the mean over the whole city to ~3.1 m, as in KLIC (a vertex every 3 m
#: would give ~2.1 m).
MAIN_VERTEX_SPACING = 5.0
#: Interior vertices move along the line by up to this fraction of the spacing.
MAIN_VERTEX_JITTER = 0.3
#: Deviation of every vertex of a main from its design position, horizontal (across) and in depth.
DEVIATION_SIGMA = 0.05
#: Deviations are clipped at this many sigma, so a normal layout stays clear of the default norms.
DEVIATION_CLIP_SIGMAS = 2.0
#: A VKLS rack deviates as a whole (across: DEVIATION_SIGMA, in depth: RACK_DEPTH_SIGMA, as it is laid on
#: a levelled bed); its cables and their connections move with it and only RACK_CABLE_SIGMA on their own.
RACK_DEPTH_SIGMA = 0.03
RACK_CABLE_SIGMA = 0.01
#: Deviation of the vertices of a connection after its first (which lies on its main).
CONNECTION_SIGMA = 0.02
#: Position accuracy (horizontal, vertical) of every line by default: the synthetic positions are exact.
LINE_ACCURACY = (0.0, 0.0)

#: Width of a house along the facade; houses keep this far from the block corners.
HOUSE_WIDTH = 6.0
HOUSE_CORNER_MARGIN = 3.0
#: Where along its house each connection leaves (fraction of the house width); the sewer connection
#: runs 1.5 m from the others (a sewer asks 0.5 m to any network).
CONNECTION_PLACE = {"T": 1 / 6, "L": 2 / 6, "G": 3 / 6, "W": 4 / 6, "R": 5.5 / 6}
CONNECTION_POSITION_JITTER = 0.15
GAS_HOUSE_SHARE = 0.85
SEWER_HOUSE_SHARE = 0.5

#: Shares of the blocks: MV power on NEN blocks, heat at the bottom of VKLS racks.
MV_SHARE = 0.4
VKLS_HEAT_SHARE = 0.5

#: Share of the block sides with a row of trees (where one fits), spacing, keep-clear at the ends.
TREE_ROW_SHARE = 0.5
TREE_SPACING_RANGE = (10.0, 15.0)
TREE_END_MARGIN = 8.0
#: Probability of each size class being wanted for a row (the largest that fits is planted).
TREE_CLASS_WEIGHTS = {"1a": 0.10, "1b": 0.25, "2": 0.35, "3": 0.30}
#: Extra room a tree keeps beyond its trunk distance (the deviations of the mains, the tree's jitter).
TREE_ROOM_MARGIN = 0.25
TREE_OFFSET_JITTER = 0.1
TREE_RANDOM_BARRIER_SHARE = 0.1

#: Deliberate conflict types, in summary order.
CONFLICT_TYPES = ("displaced", "shallow", "tree", "thermal")
#: A displaced main keeps this surface gap to the neighbour it is moved towards.
DISPLACED_GAP = 0.05
#: A main planted too shallow has this much less cover than the minimum of its kind.
SHALLOW_SHORTFALL = 0.25
#: A heat pipe planted beside the water main keeps this surface gap (range) to it.
THERMAL_GAP_RANGE = (0.25, 0.45)
THERMAL_HEAT_DIAMETER = 0.20
CONFLICTS_FILE = "deliberate_conflicts.csv"

#: ``line_index = block_number * INDEX_STRIDE + counter`` (see the module docs).
INDEX_STRIDE = 4096
#: The largest city accepted, km of street (the Netherlands has some 140,000 km of roads).
MAX_KM = 100_000.0
#: The smallest tile size accepted: smaller tiles would put nearly every line in a file of its own.
MIN_TILE_SIZE = 10.0

#: The largest --seed: the generators take it as an unsigned 64-bit word.
MAX_SEED = 2**64 - 1

SIDES = ("S", "E", "N", "W")
#: Unit direction of each block side (counter-clockwise) and its outward normal (towards the street).
SIDE_DIRECTION = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]])
SIDE_NORMAL = np.array([[0.0, -1.0], [1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]])

_KIND_CODE = {kind: code for code, kind in enumerate(LINE_KINDS)}
_ROLE_CODE = {role: code for code, role in enumerate(LINE_ROLES)}
_SEWER_KIND = NetworkKind.RIOOL_VRIJVERVAL

#: Networks of a NEN 7171 block: (letter, kind, facade -> axis offset, cover depth, diameter, count).
#: Strips as in the NEN sample, a little wider (3.8 m of sidewalk) so that two neighbours moving
#: towards each other by the largest deviation still keep their clearance (MV - water: 0.5 m thermal).
NEN_NETWORKS = (
    ("T", NetworkKind.DATATRANSPORT, 0.70, 0.72, 0.05, 2),
    ("L", NetworkKind.LAAGSPANNING, 1.30, 0.75, 0.05, 1),
    ("G", NetworkKind.GAS_LAGE_DRUK, 1.95, 0.75, 0.11, 1),
    ("W", NetworkKind.WATER, 2.55, 1.00, 0.11, 1),
    ("M", NetworkKind.MIDDENSPANNING, 3.38, 0.95, 0.08, 1),
    ("O", NetworkKind.OPENBARE_VERLICHTING, 3.68, 0.62, 0.03, 1),
)
#: Cover depth of the level run of each NEN house connection: under the mains nearer the facade.
NEN_CONNECTION_RUN_COVER = {"T": None, "L": 1.12, "G": 1.15, "W": 1.20}
#: Cover depth of a sewer connection at the facade: under every sidewalk network (NEN) or the rack (VKLS).
NEN_SEWER_FACADE_COVER = 1.60
VKLS_SEWER_FACADE_COVER = 2.00

#: Networks of a VKLS block: (letter, kind, cover depth of its rack level or None, diameter, count).
#: Level pitch 0.275 m (the sample has 0.25-0.27 m) and a 0.8 m wide rack (suggested 0.6-0.8 m), so
#: the staggered levels keep their clearance with the cables' own deviations; the water level keeps
#: within the maximum cover (1.20 m) when the rack lies deeper than designed. Heat 0.21 m under the
#: water is the configuration the Leiden living lab studies (the thermal rule reports it).
VKLS_NETWORKS = (
    ("T", NetworkKind.DATATRANSPORT, 0.30, 0.04, 2),
    ("L", NetworkKind.LAAGSPANNING, 0.575, 0.045, 1),
    ("G", NetworkKind.GAS_LAGE_DRUK, 0.85, 0.063, 1),
    ("W", NetworkKind.WATER, 1.115, 0.063, 1),
    ("H", NetworkKind.WARMTE, 1.39, 0.14, 1),
    ("O", NetworkKind.OPENBARE_VERLICHTING, None, 0.03, 1),
)
VKLS_KERB_CABLE_COVER = 0.62
VKLS_RACK_OFFSET = 0.30
VKLS_RACK_WIDTH = 0.80
#: Street lighting of a VKLS block: along the kerb of the verge, this far from the carriageway
#: (the sidewalk kerb where the street has no verge).
KERB_CABLE_SETBACK = 0.15
#: Sewer: diameters and axis depth range (invert <= 2.9 m, cover >= 2.0 m), slope per metre.
SEWER_DIAMETERS = (0.315, 0.40, 0.50, 0.60)
SEWER_AXIS_DEPTH_RANGE = (2.30, 2.60)
SEWER_SLOPE_RANGE = (0.002, 0.004)


# ---------------------------------------------------------------------------------------------------------------
# Layouts: the cross-section of a block side
# ---------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ConnectionTemplate:
    """The section path of one kind of house connection.

    Attributes
    ----------
    letter : str
    kind : int
        Store kind code.
    slot : int
        The main line the connection leaves from.
    diameter : float, metres
    path : (m, 2) float64
        (offset from the facade, axis depth) from the main (design position) to the facade, metres.
    share : float
        Share of the houses that have this connection.
    """

    letter: str
    kind: int
    slot: int
    diameter: float
    path: np.ndarray
    share: float


@dataclass(frozen=True)
class Layout:
    """The design cross-section of the mains along one block side.

    One *slot* per main line (a bundle of two telecom ducts is two slots of one *bundle*;
    the slots of a bundle move together).

    Attributes
    ----------
    name : str
        ``nen``, ``nen+mv``, ``vkls`` or ``vkls+heat``.
    vkls : bool
    letters : tuple of str
        (k,) name of each slot within its block side (``T1``, ``T2``, ``L``, ...).
    kinds : (k,) int8
        Store kind codes.
    offsets, depths, diameters : (k,) float64, metres
        Facade -> axis offset, axis depth below ground, outer diameter.
    bundle : (k,) int64
        Bundle (network) of each slot.
    on_rack : (k,) bool
        Slots that lie on a VKLS rack (they move with the rack).
    kerb_slot : int
        Slot laid along the kerb of the street's verge (VKLS street lighting), or -1.
    connections : tuple of ConnectionTemplate
    sewer_facade_depth : float, metres
        Axis depth of a sewer connection at the facade.
    neighbours : tuple of (int, int)
        Pairs of bundles that lie next to each other (for displaced-main conflicts).
    """

    name: str
    vkls: bool
    letters: tuple[str, ...]
    kinds: np.ndarray
    offsets: np.ndarray
    depths: np.ndarray
    diameters: np.ndarray
    bundle: np.ndarray
    on_rack: np.ndarray
    kerb_slot: int
    connections: tuple[ConnectionTemplate, ...]
    sewer_facade_depth: float
    neighbours: tuple[tuple[int, int], ...]

    @property
    def n_slots(self) -> int:
        return len(self.letters)

    @property
    def n_bundles(self) -> int:
        return int(self.bundle.max()) + 1

    def slot_of(self, letter: str) -> int:
        """The (middle) slot of the network with this letter."""
        slots = [k for k, name in enumerate(self.letters) if name.rstrip("0123456789") == letter]
        return slots[len(slots) // 2]

    def sidewalk_edge(self) -> float:
        """Offset of the far edge of the mains nearest the street, kerb cable excepted, metres."""
        keep = np.arange(self.n_slots) != self.kerb_slot
        return float((self.offsets + self.diameters / 2)[keep].max())


@lru_cache(maxsize=1)
def layouts() -> dict[tuple[bool, bool], Layout]:
    """The four layouts under the built-in norms, keyed ``(vkls, extra)``: extra is MV power (NEN) or heat (VKLS)."""
    from vkls.rules.loader import load_norms

    norms = load_norms()
    return {(False, False): _nen_layout(norms, with_mv=False), (False, True): _nen_layout(norms, with_mv=True),
            (True, False): _vkls_layout(norms, with_heat=False), (True, True): _vkls_layout(norms, with_heat=True)}


def _street_for(arrangement, networks, rack=None):
    from vkls.model import Route, Street, Zone

    zones = (Zone("sidewalk", SIDEWALK_WIDTH, "paving"), Zone("verge", 2.0, "parking"),
             Zone("carriageway", CARRIAGEWAY_WIDTH, "asphalt"))
    route = Route(xy=np.array([GRID_START, (GRID_START[0] + 100.0, GRID_START[1])]))
    return Street(name="synthetic block side", source="<vkls.city.generate>", route=route, zones=zones,
                  arrangement=arrangement, networks=tuple(networks), rack=rack)


def _nen_layout(norms, with_mv: bool) -> Layout:
    from vkls.model import Arrangement, ConnectionSpec, Network

    chosen = [n for n in NEN_NETWORKS if with_mv or n[0] != "M"]
    networks = [Network(id=letter, kind=kind, owner="synthetic", diameter=diameter, count=count, offset=offset,
                        depth=cover, accuracy_xy=LINE_ACCURACY[0], accuracy_depth=LINE_ACCURACY[1])
                for letter, kind, offset, cover, diameter, count in chosen]
    street = _street_for(Arrangement.HORIZONTAL, networks)
    specs = {letter: ConnectionSpec(network=letter, spacing=HOUSE_WIDTH, start=0.0,
                                    diameter=norms.number(f"networks.{street.network(letter).kind.value}"
                                                          ".connection_diameter"),
                                    facade_depth=norms.number(f"networks.{street.network(letter).kind.value}"
                                                              ".connection_facade_depth"),
                                    run_depth=run)
             for letter, run in NEN_CONNECTION_RUN_COVER.items()}
    return _layout("nen+mv" if with_mv else "nen", False, street, norms, specs, NEN_SEWER_FACADE_COVER)


def _vkls_layout(norms, with_heat: bool) -> Layout:
    from vkls.model import Arrangement, ConnectionSpec, Network, Rack, RackLevel

    chosen = [n for n in VKLS_NETWORKS if with_heat or n[0] != "H"]
    networks, levels = [], []
    for letter, kind, level_cover, diameter, count in chosen:
        on_rack = level_cover is not None
        networks.append(Network(id=letter, kind=kind, owner="synthetic", diameter=diameter, count=count,
                                offset=None if on_rack else SIDEWALK_WIDTH - KERB_CABLE_SETBACK,
                                depth=None if on_rack else VKLS_KERB_CABLE_COVER,
                                accuracy_xy=LINE_ACCURACY[0], accuracy_depth=LINE_ACCURACY[1]))
        if on_rack:
            levels.append(RackLevel(depth=level_cover, networks=(letter,)))
    number = norms.number
    plate = number("placement.rack_plate_thickness")
    deepest = max(level.depth + next(n[3] for n in chosen if n[0] == level.networks[0]) for level in levels)
    rack = Rack(offset=VKLS_RACK_OFFSET, width=VKLS_RACK_WIDTH, sides=1,
                post_spacing=number("placement.rack_post_spacing"), levels=tuple(levels),
                post_size=number("placement.rack_post_size"), beam_height=number("placement.rack_beam_height"),
                plate_thickness=plate, cover_plate_depth=levels[0].depth - number("placement.rack_cover_gap") - plate,
                bottom_depth=deepest + number("placement.rack_beam_height") + plate)
    street = _street_for(Arrangement.VKLS, networks, rack)
    specs = {letter: ConnectionSpec(network=letter, spacing=HOUSE_WIDTH, start=0.0,
                                    diameter=number(f"networks.{street.network(letter).kind.value}.connection_diameter"),
                                    facade_depth=number(f"networks.{street.network(letter).kind.value}"
                                                        ".connection_facade_depth"))
             for letter in ("T", "L", "G", "W")}
    return _layout("vkls+heat" if with_heat else "vkls", True, street, norms, specs, VKLS_SEWER_FACADE_COVER)


def _layout(name: str, vkls: bool, street, norms, specs: dict, sewer_facade_cover: float) -> Layout:
    """Slots from :func:`place_networks`, connection paths from :func:`connection_path`."""
    from vkls.geometry.scene import connection_path
    from vkls.geometry.section import place_networks

    placements = place_networks(street, norms)
    letters, kinds, offsets, depths, diameters, bundle, on_rack = [], [], [], [], [], [], []
    for number, network in enumerate(street.networks):
        placement = placements[network.id]
        for k, offset in enumerate(placement.axis_offsets):
            letters.append(f"{network.id}{k + 1}" if network.count > 1 else network.id)
            kinds.append(_KIND_CODE[network.kind])
            offsets.append(offset)
            depths.append(placement.axis_depth)
            diameters.append(network.diameter)
            bundle.append(number)
            on_rack.append(placement.how.startswith("rack"))
    layout = Layout(name=name, vkls=vkls, letters=tuple(letters), kinds=np.array(kinds, np.int8),
                    offsets=np.array(offsets), depths=np.array(depths), diameters=np.array(diameters),
                    bundle=np.array(bundle, np.int64), on_rack=np.array(on_rack), kerb_slot=-1, connections=(),
                    sewer_facade_depth=0.0, neighbours=())
    free_strip = norms.number("placement.free_strip")
    templates = []
    for letter, spec in specs.items():
        network = street.network(letter)
        main = placements[letter]
        slot = layout.slot_of(letter)
        min_radius = norms.number(f"networks.{network.kind.value}.bend_factor") * spec.diameter
        path = connection_path(layout.offsets[slot], main.axis_depth, spec, False, free_strip, min_radius)
        templates.append(ConnectionTemplate(letter, _KIND_CODE[network.kind], slot, spec.diameter, path,
                                            GAS_HOUSE_SHARE if network.kind is NetworkKind.GAS_LAGE_DRUK else 1.0))
    sewer_diameter = norms.number(f"networks.{_SEWER_KIND.value}.connection_diameter")
    kerb = layout.slot_of("O") if vkls else -1
    in_sidewalk = [b for b in range(layout.n_bundles) if kerb < 0 or b != layout.bundle[kerb]]
    neighbours = tuple(itertools.pairwise(in_sidewalk))
    return Layout(**{**layout.__dict__, "kerb_slot": kerb, "connections": tuple(templates),
                     "sewer_facade_depth": sewer_facade_cover + sewer_diameter / 2, "neighbours": neighbours})


# ---------------------------------------------------------------------------------------------------------------
# The grid of blocks and streets
# ---------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Grid:
    """Street centre lines and widths of the city grid.

    Block (ix, iy) lies between vertical streets ix and ix + 1 and horizontal streets iy and
    iy + 1; its facades are the street centre lines less half the street widths.

    Attributes
    ----------
    street_x, street_y : (nx + 1,), (ny + 1,) float64, metres RD New
        Centre lines of the vertical (x = const) and horizontal (y = const) streets.
    width_x, width_y : (nx + 1,), (ny + 1,) float64, metres
        Their widths, facade to facade.
    """

    street_x: np.ndarray
    street_y: np.ndarray
    width_x: np.ndarray
    width_y: np.ndarray

    @property
    def nx(self) -> int:
        return len(self.street_x) - 1

    @property
    def ny(self) -> int:
        return len(self.street_y) - 1

    @property
    def n_blocks(self) -> int:
        return self.nx * self.ny

    def street_length(self) -> float:
        """Total length of the street centre lines (intersection to intersection), metres."""
        return float((self.nx + 1) * (self.street_y[-1] - self.street_y[0])
                     + (self.ny + 1) * (self.street_x[-1] - self.street_x[0]))

    def block_rects(self) -> np.ndarray:
        """(ny, nx, 4) facade rectangles ``x0, y0, x1, y1`` of every block, metres RD New."""
        x0 = self.street_x[:-1] + self.width_x[:-1] / 2
        x1 = self.street_x[1:] - self.width_x[1:] / 2
        y0 = self.street_y[:-1] + self.width_y[:-1] / 2
        y1 = self.street_y[1:] - self.width_y[1:] / 2
        rects = np.empty((self.ny, self.nx, 4))
        rects[..., 0], rects[..., 2] = x0[None, :], x1[None, :]
        rects[..., 1], rects[..., 3] = y0[:, None], y1[:, None]
        return rects

    def lower_left(self) -> tuple[float, float]:
        """The outer edge of the outer streets, metres RD New."""
        return (float(self.street_x[0] - self.width_x[0] / 2), float(self.street_y[0] - self.width_y[0] / 2))


class _Axis:
    """Street centre lines and widths along one axis, drawn per index (a longer city extends a shorter one)."""

    def __init__(self, seed: int, axis: int, block_range: tuple[float, float]):
        self.seed, self.axis, self.block_range = seed, axis, block_range
        self.centres = [GRID_START[axis]]
        self.widths = [self._street_width(0)]

    def _street_width(self, k: int) -> float:
        rng = np.random.default_rng([self.seed, 11, self.axis, k])
        avenue = (k + self.seed) % AVENUE_EVERY == 2
        return float(rng.uniform(*(AVENUE_WIDTH_RANGE if avenue else STREET_WIDTH_RANGE)))

    def grow(self) -> None:
        """Add one block and the street beyond it."""
        k = len(self.centres)
        block = float(np.random.default_rng([self.seed, 13, self.axis, k - 1]).uniform(*self.block_range))
        width = self._street_width(k)
        self.centres.append(self.centres[-1] + self.widths[-1] / 2 + block + width / 2)
        self.widths.append(width)

    @property
    def span(self) -> float:
        return self.centres[-1] - self.centres[0]


def make_grid(km: float, seed: int) -> Grid:
    """The smallest square-ish grid whose streets add up to at least ``km`` kilometres (one block at least)."""
    along_x, along_y = _Axis(seed, 0, BLOCK_LENGTH_RANGE), _Axis(seed, 1, BLOCK_DEPTH_RANGE)
    along_x.grow()
    along_y.grow()

    def length() -> float:
        return len(along_x.centres) * along_y.span + len(along_y.centres) * along_x.span

    while length() < km * 1000.0:
        (along_x if along_x.span <= along_y.span else along_y).grow()
    return Grid(np.array(along_x.centres), np.array(along_y.centres), np.array(along_x.widths),
                np.array(along_y.widths))


@dataclass(frozen=True)
class StreetSection:
    """Cross-section of a street from the facade: sidewalk, verge, carriageway (metres)."""

    width: float
    verge: float

    @property
    def centre(self) -> float:
        """Facade -> street centre line (the sewer)."""
        return self.width / 2

    @classmethod
    def of_width(cls, width: float) -> StreetSection:
        verge = (width - 2 * SIDEWALK_WIDTH - CARRIAGEWAY_WIDTH) / 2
        return cls(width=width, verge=verge if verge >= MIN_VERGE_WIDTH else 0.0)


@dataclass(frozen=True)
class SewerSegment:
    """The gravity sewer of one street segment between two intersections: a straight pipe laid to a slope.

    Attributes
    ----------
    start, end : (2,) float64, metres RD New
        The intersections (manholes) at its ends.
    diameter : float, metres
    first_depth, last_depth : float, metres
        Axis depth at ``start`` and at ``end``.
    """

    start: np.ndarray
    end: np.ndarray
    diameter: float
    first_depth: float
    last_depth: float

    @property
    def length(self) -> float:
        return float(np.hypot(*(self.end - self.start)))

    @property
    def direction(self) -> np.ndarray:
        return (self.end - self.start) / self.length

    def depth_at(self, u: np.ndarray) -> np.ndarray:
        """Axis depth at distance ``u`` (metres) from ``start``."""
        fraction = np.clip(np.asarray(u) / self.length, 0.0, 1.0)
        return self.first_depth + (self.last_depth - self.first_depth) * fraction


def _splitmix64(x: np.ndarray) -> np.ndarray:
    """The SplitMix64 finaliser (Steele, Lea and Flood 2014) on uint64 arrays: a fast counter-based hash."""
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def hashed_uniforms(seed: int, stream: int, a: np.ndarray, b: np.ndarray, count: int) -> np.ndarray:
    """Uniform numbers in [0, 1) that depend only on (seed, stream, a, b): shape ``broadcast(a, b) + (count,)``.

    A counter-based generator: a whole table of street segments at once, each with the numbers it
    would get on its own, so the city does not depend on the order in which anything is made.
    """
    key = _splitmix64(np.full(1, seed, np.uint64) ^ np.uint64(stream << 48))
    key = _splitmix64(_splitmix64(key ^ np.asarray(a, np.uint64)) ^ np.asarray(b, np.uint64))
    draws = _splitmix64(key[..., None] + np.arange(1, count + 1, dtype=np.uint64))
    return (draws >> np.uint64(11)).astype(np.float64) * 2.0 ** -53


@dataclass(frozen=True)
class SewerTable:
    """Diameter and axis depths at both ends of the sewer of every street segment of a grid.

    ``horizontal[k, i]``: the street y = street_y[k] between x = street_x[i] and street_x[i + 1];
    ``vertical[k, i]``: the street x = street_x[k] between y = street_y[i] and street_y[i + 1];
    each (diameter, first depth, last depth) in metres.
    """

    grid: Grid
    horizontal: np.ndarray
    vertical: np.ndarray

    @classmethod
    def make(cls, seed: int, grid: Grid) -> SewerTable:
        lengths_h = np.broadcast_to(np.diff(grid.street_x)[None, :], (grid.ny + 1, grid.nx))
        lengths_v = np.broadcast_to(np.diff(grid.street_y)[None, :], (grid.nx + 1, grid.ny))
        return cls(grid, cls._draw(seed, 0, lengths_h), cls._draw(seed, 1, lengths_v))

    @staticmethod
    def _draw(seed: int, vertical: int, lengths: np.ndarray) -> np.ndarray:
        k, i = np.indices(lengths.shape)
        u = hashed_uniforms(seed, 29 + vertical, k, i, 4)
        diameter = np.asarray(SEWER_DIAMETERS)[(u[..., 0] * len(SEWER_DIAMETERS)).astype(np.int64)]
        low, high = SEWER_AXIS_DEPTH_RANGE
        drop = np.minimum((SEWER_SLOPE_RANGE[0] + u[..., 1] * np.ptp(SEWER_SLOPE_RANGE)) * lengths, high - low)
        first = low + u[..., 2] * (high - drop - low)
        last = first + drop
        falls_back = u[..., 3] < 0.5
        first, last = np.where(falls_back, last, first), np.where(falls_back, first, last)
        return np.stack([diameter, first, last], axis=-1)

    def segment(self, vertical: bool, k: int, i: int) -> SewerSegment:
        """The sewer of street ``k`` (vertical: x = const) between streets ``i`` and ``i + 1`` of the other axis."""
        grid = self.grid
        if vertical:
            start, end = np.array([grid.street_x[k], grid.street_y[i]]), np.array([grid.street_x[k], grid.street_y[i + 1]])
            diameter, first, last = self.vertical[k, i]
        else:
            start, end = np.array([grid.street_x[i], grid.street_y[k]]), np.array([grid.street_x[i + 1], grid.street_y[k]])
            diameter, first, last = self.horizontal[k, i]
        return SewerSegment(start, end, float(diameter), float(first), float(last))


# ---------------------------------------------------------------------------------------------------------------
# Generation of one block
# ---------------------------------------------------------------------------------------------------------------

@dataclass
class _Parts:
    """Growable lists of lines and trees (one home tile's worth); frozen into arrays at the end."""

    line_index: list = field(default_factory=list)
    line_name: list = field(default_factory=list)
    line_kind: list = field(default_factory=list)
    line_role: list = field(default_factory=list)
    line_diameter: list = field(default_factory=list)
    line_vertices: list = field(default_factory=list)
    xyz: list = field(default_factory=list)
    tree_index: list = field(default_factory=list)
    tree_name: list = field(default_factory=list)
    tree_xy: list = field(default_factory=list)
    tree_class: list = field(default_factory=list)
    tree_dbh: list = field(default_factory=list)
    tree_crown: list = field(default_factory=list)
    tree_barrier: list = field(default_factory=list)
    segments: int = 0

    def add_lines(self, index, names: list[str], kind, role: int, diameter, xyz: np.ndarray, vertices) -> None:
        """Lines with ``vertices`` (n,) vertices each, their ``xyz`` (sum of vertices, 3) one after the other.

        ``kind`` and ``diameter`` are per line (n,) or one value for all.
        """
        n = len(names)
        if n == 0:
            return
        self.line_index.append(np.asarray(index, np.int64))
        self.line_name.extend(names)
        self.line_kind.append(np.full(n, kind, np.int8) if np.ndim(kind) == 0 else np.asarray(kind, np.int8))
        self.line_role.append(np.broadcast_to(np.asarray(role, np.int8), (n,)).copy())
        self.line_diameter.append(np.full(n, diameter) if np.ndim(diameter) == 0 else np.asarray(diameter, float))
        self.line_vertices.append(np.full(n, vertices, np.int64) if np.ndim(vertices) == 0 else vertices)
        self.xyz.append(xyz)
        self.segments += len(xyz) - n

    def add_trees(self, index, names, xy, size_class, dbh, crown, barrier) -> None:
        self.tree_index.append(np.asarray(index, np.int64))
        self.tree_name.extend(names)
        self.tree_xy.append(np.asarray(xy, np.float64).reshape(-1, 2))
        self.tree_class.extend(size_class)
        self.tree_dbh.append(np.asarray(dbh, np.float64))
        self.tree_crown.append(np.asarray(crown, np.float64))
        self.tree_barrier.append(np.asarray(barrier, bool))

    def freeze(self, accuracy: tuple[float, float]) -> TileArrays:
        """The lines and trees as store arrays (in the order they were added)."""
        def joined(items, empty):
            return np.concatenate(items) if items else empty

        counts = joined(self.line_vertices, np.zeros(0, np.int64))
        kind = joined(self.line_kind, np.zeros(0, np.int8)).astype(np.int8)
        return TileArrays(
            line_index=joined(self.line_index, np.zeros(0, np.int64)),
            line_name=np.array(self.line_name, dtype=str) if self.line_name else np.zeros(0, "U1"),
            line_kind=kind,
            line_role=joined(self.line_role, np.zeros(0, np.int8)),
            line_group=kind.astype(np.int64),
            line_diameter=joined(self.line_diameter, np.zeros(0)),
            line_accuracy=np.tile(np.array(accuracy, np.float64), (len(counts), 1)),
            line_start=np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
            xyz=joined(self.xyz, np.zeros((0, 3))),
            tree_index=joined(self.tree_index, np.zeros(0, np.int64)),
            tree_name=np.array(self.tree_name, dtype=str) if self.tree_name else np.zeros(0, "U1"),
            tree_xy=joined(self.tree_xy, np.zeros((0, 2))),
            tree_class=np.array(self.tree_class, dtype="U2") if self.tree_class else np.zeros(0, "U2"),
            tree_dbh=joined(self.tree_dbh, np.zeros(0)),
            tree_crown=joined(self.tree_crown, np.zeros(0)),
            tree_barrier=joined(self.tree_barrier, np.zeros(0, bool)),
        )


@dataclass
class _Tally:
    """Counts the summary needs that the arrays do not hold."""

    houses: int = 0
    blocks: int = 0
    vkls_blocks: int = 0
    vkls_heat_blocks: int = 0
    conflicts: dict = field(default_factory=lambda: dict.fromkeys(CONFLICT_TYPES, 0))
    conflict_rows: list = field(default_factory=list)


@dataclass(frozen=True)
class _City:
    """Everything a block needs to know about the city."""

    seed: int
    grid: Grid
    rects: np.ndarray
    vkls_share: float
    conflict_share: float
    layouts: dict
    trunk_distance: dict
    barrier_distance: float
    typical_tree: dict
    thermal_pairs: frozenset
    cover_min: dict
    sewer_connection_diameter: float
    sewers: SewerTable


def _clipped(rng, shape) -> np.ndarray:
    """Standard normal deviates clipped at DEVIATION_CLIP_SIGMAS."""
    deviates = rng.standard_normal(shape)
    np.maximum(deviates, -DEVIATION_CLIP_SIGMAS, out=deviates)
    return np.minimum(deviates, DEVIATION_CLIP_SIGMAS, out=deviates)


#: Side ``s`` of a block has interpolation keys ``s * _SIDE_KEY + _ALONG_KEY + along`` (along < 800 m).
_SIDE_KEY, _ALONG_KEY = 1000.0, 100.0


@dataclass
class _Block:
    """One block while it is built: its four sides (S, E, N, W) and the vertices of its mains.

    Per side ``s`` (facade corner ``start[s]``, unit ``direction[s]`` along the facade, outward
    ``normal[s]``): a point ``along`` the facade at ``offset`` from it lies at
    ``start + along * direction + offset * normal``. Mains: per side a (k, m+1) array each of the
    along position, the deviation across and the axis depth of every vertex of every slot.
    """

    number: int
    rng: np.random.Generator
    layout: Layout
    start: np.ndarray        # (4, 2)
    direction: np.ndarray    # (4, 2)
    normal: np.ndarray       # (4, 2)
    length: np.ndarray       # (4,)
    streets: list            # 4 x StreetSection
    sewers: list             # 4 x SewerSegment
    offsets: np.ndarray      # (k, 4) facade -> axis of each slot on each side
    along: list = field(default_factory=lambda: [None] * 4)
    across: list = field(default_factory=lambda: [None] * 4)
    depth: list = field(default_factory=lambda: [None] * 4)
    rack_across: list = field(default_factory=lambda: [None] * 4)
    rack_depth: list = field(default_factory=lambda: [None] * 4)
    trees: list = field(default_factory=list)  # (side, along (t,), keep-clear distance (t,))
    base: int = field(init=False)    # the first line_index of the block
    prefix: str = field(init=False)  # the start of every name of the block, "B000123/"
    _keys: np.ndarray = None

    def __post_init__(self):
        self.base = self.number * INDEX_STRIDE
        self.prefix = f"B{self.number:06d}/"

    def place(self, side, along, offset) -> np.ndarray:
        """RD New x, y (shape + (2,)) of points at ``along`` / ``offset`` on ``side``; shapes broadcast."""
        side, along, offset = np.asarray(side), np.asarray(along), np.asarray(offset)
        return (self.start[side] + along[..., None] * self.direction[side] + offset[..., None] * self.normal[side])

    def index_mains(self) -> None:
        """Interpolation keys over the four sides (after the mains are final)."""
        self._keys = np.concatenate([self.along[s] + (s * _SIDE_KEY + _ALONG_KEY) for s in range(4)], axis=1)
        self._across = np.concatenate(self.across, axis=1)
        self._depth = np.concatenate(self.depth, axis=1)
        self._rack_across = np.concatenate(self.rack_across)
        self._rack_depth = np.concatenate(self.rack_depth)

    def main_at(self, slot: int, side: np.ndarray, along: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Deviation across and axis depth of a main at points (side, along): on its polyline."""
        keys = side * _SIDE_KEY + _ALONG_KEY + along
        return np.interp(keys, self._keys[slot], self._across[slot]), np.interp(keys, self._keys[slot], self._depth[slot])

    def rack_at(self, side: np.ndarray, along: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The rack's share of the deviation across and in depth at points (side, along); zero without a rack."""
        keys = side * _SIDE_KEY + _ALONG_KEY + along
        return np.interp(keys, self._keys[0], self._rack_across), np.interp(keys, self._keys[0], self._rack_depth)


def _generate_block(city: _City, ix: int, iy: int, parts: _Parts, tally: _Tally) -> None:
    """Every line and tree of block (ix, iy) into ``parts``."""
    block = _new_block(city, ix, iy)
    layout = block.layout
    tally.blocks += 1
    tally.vkls_blocks += layout.vkls
    tally.vkls_heat_blocks += layout.name == "vkls+heat"
    corners = _corner_deviations(block.rng, layout)
    for side in range(4):
        _mains(block, side, corners)
    planted = [_conflict_kind(block.rng, layout) if block.rng.random() < city.conflict_share else None
               for _ in range(4)]
    for side, kind in enumerate(planted):
        if kind in ("displaced", "shallow"):
            _plant_on_main(city, block, side, kind, tally)
    block.index_mains()
    _add_mains(block, parts)
    for side in range(4):
        _trees(city, block, side, parts)
    _connections(city, block, parts, tally)
    for side, kind in enumerate(planted):
        if kind == "tree":
            _plant_tree(city, block, side, parts, tally)
        elif kind == "thermal":
            _plant_heat_pipe(block, side, parts, tally)
    _sewer_mains(city, block, ix, iy, parts)


def _new_block(city: _City, ix: int, iy: int) -> _Block:
    """Block (ix, iy): its generator, layout, sides and the streets and sewers they face."""
    grid = city.grid
    rng = np.random.default_rng([city.seed, 17, ix, iy])
    vkls = bool(rng.random() < city.vkls_share)
    extra = bool(rng.random() < (VKLS_HEAT_SHARE if vkls else MV_SHARE))
    layout = city.layouts[(vkls, extra)]
    x0, y0, x1, y1 = city.rects[iy, ix]
    facing = ((False, iy, ix), (True, ix + 1, iy), (False, iy + 1, ix), (True, ix, iy))  # (vertical, street, segment)
    streets = [StreetSection.of_width(float((grid.width_x if vertical else grid.width_y)[k]))
               for vertical, k, _ in facing]
    sewers = [city.sewers.segment(vertical, k, i) for vertical, k, i in facing]
    offsets = np.repeat(layout.offsets[:, None], 4, axis=1)
    if layout.kerb_slot >= 0:
        offsets[layout.kerb_slot] = [SIDEWALK_WIDTH + street.verge - KERB_CABLE_SETBACK for street in streets]
    return _Block(number=iy * grid.nx + ix, rng=rng, layout=layout,
                  start=np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]]), direction=SIDE_DIRECTION,
                  normal=SIDE_NORMAL, length=np.array([x1 - x0, y1 - y0, x1 - x0, y1 - y0]), streets=streets,
                  sewers=sewers, offsets=offsets)


@dataclass(frozen=True)
class _Corners:
    """Deviation of every slot at the four block corners (corner c is the end of side c).

    ``plan`` (k, 4, 2) and ``depth`` (k, 4): the whole deviation; ``rack_plan`` (4, 2) and
    ``rack_depth`` (4,): the part shared by the cables on a rack (zero without one).
    """

    plan: np.ndarray
    depth: np.ndarray
    rack_plan: np.ndarray
    rack_depth: np.ndarray


def _own_sigma(layout: Layout) -> np.ndarray:
    """(k,) sigma of each slot's own deviation, metres."""
    return np.where(layout.on_rack, RACK_CABLE_SIGMA, DEVIATION_SIGMA)


def _corner_deviations(rng, layout: Layout) -> _Corners:
    own = _own_sigma(layout)
    plan = _clipped(rng, (layout.n_bundles, 4, 2))[layout.bundle] * own[:, None, None]
    depth = _clipped(rng, (layout.n_bundles, 4))[layout.bundle] * own[:, None]
    rack = 1.0 if layout.vkls else 0.0
    rack_plan = _clipped(rng, (4, 2)) * DEVIATION_SIGMA * rack
    rack_depth = _clipped(rng, 4) * RACK_DEPTH_SIGMA * rack
    plan = plan + np.where(layout.on_rack[:, None, None], rack_plan, 0.0)
    depth = depth + np.where(layout.on_rack[:, None], rack_depth, 0.0)
    return _Corners(plan, depth, rack_plan, rack_depth)


def _mains(block: _Block, side: int, corners: _Corners) -> None:
    """Vertices of every main along one side: (along, across deviation, depth) per slot, corners shared.

    Interior vertices are spaced ~MAIN_VERTEX_SPACING apart (jittered) and shared by the slots of a
    side; the end vertices are the block corners of each slot's ring, shared with the next side.
    """
    rng, layout, length = block.rng, block.layout, block.length[side]
    first, last = (side - 1) % 4, side
    segments = max(2, round(length / MAIN_VERTEX_SPACING))
    inner = (np.arange(1, segments) + rng.uniform(-MAIN_VERTEX_JITTER, MAIN_VERTEX_JITTER, segments - 1)) \
        * (length / segments)
    along = np.empty((layout.n_slots, segments + 1))
    along[:, 1:-1] = inner
    along[:, 0] = -block.offsets[:, first]
    along[:, -1] = length + block.offsets[:, (side + 1) % 4]
    own = _own_sigma(layout)[:, None]
    rack = layout.on_rack[:, None]
    direction, normal = block.direction[side], block.normal[side]
    noise = _clipped(rng, (2 * layout.n_bundles + 2, segments + 1))
    rack_across = noise[-2] * (DEVIATION_SIGMA * layout.vkls)
    rack_depth = noise[-1] * (RACK_DEPTH_SIGMA * layout.vkls)
    rack_across[0], rack_across[-1] = corners.rack_plan[first] @ normal, corners.rack_plan[last] @ normal
    rack_depth[0], rack_depth[-1] = corners.rack_depth[first], corners.rack_depth[last]
    across = noise[:layout.n_bundles][layout.bundle] * own + rack * rack_across
    depth = layout.depths[:, None] + noise[layout.n_bundles:-2][layout.bundle] * own + rack * rack_depth
    along[:, 0] += corners.plan[:, first] @ direction
    along[:, -1] += corners.plan[:, last] @ direction
    across[:, 0], across[:, -1] = corners.plan[:, first] @ normal, corners.plan[:, last] @ normal
    depth[:, 0] = layout.depths + corners.depth[:, first]
    depth[:, -1] = layout.depths + corners.depth[:, last]
    block.along[side], block.across[side], block.depth[side] = along, across, depth
    block.rack_across[side], block.rack_depth[side] = rack_across, rack_depth


def _add_mains(block: _Block, parts: _Parts) -> None:
    """The mains of the four sides: one line per slot and side."""
    layout = block.layout
    xyz, names, vertices = [], [], []
    for side in range(4):
        xy = block.place(side, block.along[side], block.offsets[:, side, None] + block.across[side])
        xyz.append(np.concatenate([xy, block.depth[side][..., None]], axis=2).reshape(-1, 3))
        names += [f"{block.prefix}{SIDES[side]}/{letter}" for letter in layout.letters]
        vertices.append(np.full(layout.n_slots, block.along[side].shape[1]))
    index = block.base + 16 * np.arange(4)[:, None] + np.arange(layout.n_slots)[None, :]
    roles = np.where(layout.on_rack, _ROLE_CODE["main on a rack"], _ROLE_CODE["main"])
    parts.add_lines(index.ravel(), names, np.tile(layout.kinds, 4), np.tile(roles, 4), np.tile(layout.diameters, 4),
                    np.concatenate(xyz), np.concatenate(vertices))


def _houses(block: _Block) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Houses along the four facades, ~HOUSE_WIDTH wide, clear of the corners.

    Returns
    -------
    side, number : (h,) int64
        The side of each house and its number on that side (from 1).
    start, width : (h,) float64, metres
        Where it starts along its facade, and its width.
    """
    usable = block.length - 2 * HOUSE_CORNER_MARGIN
    count = np.maximum(1, (usable // HOUSE_WIDTH).astype(np.int64))
    side = np.repeat(np.arange(4), count)
    number = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count) + 1
    width = (usable / count)[side]
    return side, number, HOUSE_CORNER_MARGIN + width * (number - 1), width


def _connections(city: _City, block: _Block, parts: _Parts, tally: _Tally) -> None:
    """House connections (main -> facade) and sewer connections (sewer -> facade) of every house."""
    rng, layout = block.rng, block.layout
    side, number, start, width = _houses(block)
    houses = len(side)
    tally.houses += houses
    counter = block.base + 128 + side * 768 + 6 * (number - 1)
    heads = [f"{block.prefix}{letter}/h" for letter in SIDES]
    for kind_number, template in enumerate(layout.connections):
        jitter = rng.uniform(-CONNECTION_POSITION_JITTER, CONNECTION_POSITION_JITTER, houses)
        has = rng.random(houses) < template.share
        along = (start + CONNECTION_PLACE[template.letter] * width + jitter)[has]
        points = _connection_points(block, template, side[has], along)
        names = [f"{heads[s]}{h}/{template.letter}" for s, h in zip(side[has].tolist(), number[has].tolist())]
        parts.add_lines(counter[has] + kind_number, names, template.kind, _ROLE_CODE["house connection"],
                        template.diameter, points.reshape(-1, 3), points.shape[1])
    along = start + CONNECTION_PLACE["R"] * width + rng.uniform(-CONNECTION_POSITION_JITTER,
                                                                CONNECTION_POSITION_JITTER, houses)
    has = (rng.random(houses) < SEWER_HOUSE_SHARE) & ~_near_trees(block, side, along)
    points = _sewer_connection_points(block, side[has], along[has])
    names = [f"{heads[s]}{h}/R" for s, h in zip(side[has].tolist(), number[has].tolist())]
    parts.add_lines(counter[has] + 4, names, _KIND_CODE[_SEWER_KIND], _ROLE_CODE["sewer connection"],
                    city.sewer_connection_diameter, points.reshape(-1, 3), 2)


def _connection_points(block: _Block, template: ConnectionTemplate, side: np.ndarray,
                       along: np.ndarray) -> np.ndarray:
    """(n, m, 3) vertices of n connections of one template at points (side, along) of the facade.

    The first vertex lies on the (deviated) main; the others follow the template, move with the
    rack on a VKLS block (the facade end only in depth) and deviate a little on their own.
    """
    rng = block.rng
    n, m = len(along), len(template.path)
    sigma = RACK_CABLE_SIGMA if block.layout.vkls else CONNECTION_SIGMA
    across, depth = block.main_at(template.slot, side, along)
    rack_across, rack_depth = block.rack_at(side, along)
    offset = np.repeat(template.path[None, :, 0], n, axis=0)
    offset[:, 1:-1] += rack_across[:, None]
    offset[:, 0] = block.offsets[template.slot, side] + across
    noise = _clipped(rng, (2, n, m))
    noise *= sigma
    noise[:, :, 0] = 0.0
    position = along[:, None] + noise[0]
    z = template.path[:, 1] + rack_depth[:, None] + noise[1]
    z[:, 0] = depth
    points = np.empty((n, m, 3))
    points[..., :2] = block.place(side[:, None], position, offset)
    points[..., 2] = z
    return points


def _sewer_connection_points(block: _Block, side: np.ndarray, along: np.ndarray) -> np.ndarray:
    """(n, 2, 3): from the sewer in the middle of the street straight to the facade, under the mains."""
    rng, n = block.rng, len(along)
    centre = np.array([street.centre for street in block.streets])
    sewer_start = np.array([sewer.start for sewer in block.sewers])
    sewer_direction = np.array([sewer.direction for sewer in block.sewers])
    points = np.empty((n, 2, 3))
    points[:, 0, :2] = block.place(side, along, centre[side])
    points[:, 1, :2] = block.place(side, along + _clipped(rng, n) * CONNECTION_SIGMA, np.zeros(n))
    u = np.einsum("ij,ij->i", points[:, 0, :2] - sewer_start[side], sewer_direction[side])
    for number, sewer in enumerate(block.sewers):
        on = side == number
        points[on, 0, 2] = sewer.depth_at(u[on])
    points[:, 1, 2] = block.layout.sewer_facade_depth + _clipped(rng, n) * CONNECTION_SIGMA
    return points


def _near_trees(block: _Block, side: np.ndarray, along: np.ndarray) -> np.ndarray:
    """(n,) points (side, along) that lie within a tree's trunk distance (a sewer connection there would clash)."""
    near = np.zeros(len(side), bool)
    for tree_side, tree_along, keep_clear in block.trees:
        near |= (side == tree_side) & (np.abs(along[:, None] - tree_along[None, :]) < keep_clear[None, :]).any(axis=1)
    return near


def _tree_room(layout: Layout, block: _Block, side: int) -> tuple[float, float]:
    """Offset of a tree row on a side and the horizontal room from its trunks to the nearest main edge.

    NEN: in the middle of the verge (no row without a verge). VKLS: halfway between the rack and
    the street-lighting cable along the kerb. Room <= 0: no row fits.
    """
    street = block.streets[side]
    sewer_edge = street.centre - max(SEWER_DIAMETERS) / 2
    if layout.vkls:
        near = layout.sidewalk_edge()
        kerb = block.offsets[layout.kerb_slot, side] - layout.diameters[layout.kerb_slot] / 2
        offset = (near + kerb) / 2
        room = min(offset - near, kerb - offset, sewer_edge - offset)
    elif street.verge > 0:
        offset = SIDEWALK_WIDTH + street.verge / 2
        room = min(offset - layout.sidewalk_edge(), sewer_edge - offset)
    else:
        return 0.0, 0.0
    return offset, room - TREE_ROOM_MARGIN


def _tree_class(rng, city: _City, room: float) -> tuple[str, bool] | None:
    """The wanted size class or the largest smaller one that fits ``room`` (with a root barrier if needed)."""
    classes = tuple(TREE_CLASS_WEIGHTS)
    wanted = int(rng.choice(len(classes), p=np.array(list(TREE_CLASS_WEIGHTS.values()))))
    random_barrier = bool(rng.random() < TREE_RANDOM_BARRIER_SHARE)
    for size_class in classes[wanted:]:
        if city.trunk_distance[size_class] <= room:
            return size_class, random_barrier
        if city.barrier_distance <= room:
            return size_class, True
    return None


def _trees(city: _City, block: _Block, side: int, parts: _Parts) -> None:
    """A row of trees on a share of the sides (where one fits), spaced 10-15 m."""
    rng = block.rng
    if not rng.random() < TREE_ROW_SHARE:
        return
    offset, room = _tree_room(block.layout, block, side)
    chosen = _tree_class(rng, city, room) if room > 0 else None
    span = block.length[side] - 2 * TREE_END_MARGIN
    if chosen is None or span < 0:
        return
    size_class, barrier = chosen
    spacing = rng.uniform(*TREE_SPACING_RANGE)
    count = int(span // spacing) + 1
    along = TREE_END_MARGIN + (span - (count - 1) * spacing) / 2 + spacing * np.arange(count)
    crown_typical, dbh_typical = city.typical_tree[size_class]
    crown = np.clip(crown_typical * rng.uniform(0.85, 1.1, count), 2.0, 6.0)
    dbh = dbh_typical * rng.uniform(0.8, 1.2, count)
    xy = block.place(side, along, offset + rng.uniform(-TREE_OFFSET_JITTER, TREE_OFFSET_JITTER, count))
    names = [f"{block.prefix}{SIDES[side]}/t{k + 1}" for k in range(count)]
    parts.add_trees(block.base + 3328 + side * 64 + np.arange(count), names, xy, [size_class] * count, dbh, crown,
                    np.full(count, barrier))
    distance = city.barrier_distance if barrier else city.trunk_distance[size_class]
    block.trees.append((side, along,
                        np.full(count, distance + TREE_ROOM_MARGIN + city.sewer_connection_diameter / 2)))


def _conflict_kind(rng, layout: Layout) -> str:
    """The type of a deliberate conflict: shallow and thermal only on NEN sides (a rack sets the depths)."""
    allowed = ("displaced", "tree") if layout.vkls else CONFLICT_TYPES
    return allowed[int(rng.integers(len(allowed)))]


def _stretch(rng, along: np.ndarray) -> np.ndarray:
    """1-3 consecutive interior vertices of the mains of a side (``along``: (k, m+1))."""
    interior = along.shape[1] - 2
    count = int(rng.integers(1, min(3, interior) + 1))
    first = int(rng.integers(1, interior - count + 2))
    return np.arange(first, first + count)


def _plant_on_main(city: _City, block: _Block, side: int, kind: str, tally: _Tally) -> None:
    """Move a stretch of a main into its neighbour's clearance (displaced) or shallower than its minimum cover (shallow)."""
    rng, layout = block.rng, block.layout
    across, depth, offsets = block.across[side], block.depth[side], block.offsets[:, side]
    vertices = _stretch(rng, block.along[side])
    if kind == "displaced":
        pair = layout.neighbours[int(rng.integers(len(layout.neighbours)))]
        moved, towards = pair if rng.random() < 0.5 else pair[::-1]
        slots = np.flatnonzero(layout.bundle == moved)
        targets = np.flatnonzero(layout.bundle == towards)
        design = np.column_stack([offsets, layout.depths])
        gaps = np.linalg.norm(design[slots][:, None] - design[targets][None], axis=2)
        a, b = np.unravel_index(np.argmin(gaps), gaps.shape)
        slot, target = slots[a], targets[b]
        # towards the neighbour's actual position at the same vertices (a side's interior vertices are shared)
        here = np.column_stack([offsets[slot] + across[slot, vertices], depth[slot, vertices]])
        there = np.column_stack([offsets[target] + across[target, vertices], depth[target, vertices]])
        distance = np.linalg.norm(there - here, axis=1)
        keep = distance - (layout.diameters[slot] + layout.diameters[target]) / 2 - DISPLACED_GAP
        shift = (there - here) / distance[:, None] * keep[:, None]
        for moving in slots:
            across[moving, vertices] += shift[:, 0]
            depth[moving, vertices] += shift[:, 1]
        kinds = (LINE_KINDS[layout.kinds[slot]].value, LINE_KINDS[layout.kinds[target]].value)
        rule = "thermal" if kinds in city.thermal_pairs else "clearance"
        objects = (layout.letters[slot], layout.letters[target])
    else:
        slots = np.flatnonzero(layout.bundle == int(rng.integers(layout.n_bundles)))
        slot = slots[0]
        cover = max(0.15, city.cover_min[LINE_KINDS[layout.kinds[slot]].value] - SHALLOW_SHORTFALL)
        for moving in slots:
            depth[moving, vertices] = cover + layout.diameters[moving] / 2
        rule, objects = "cover-depth", (layout.letters[slot],)
    middle = vertices[len(vertices) // 2]
    x, y = block.place(side, block.along[side][slot, middle], offsets[slot] + across[slot, middle])
    _record(tally, kind, rule, [f"{block.prefix}{SIDES[side]}/{name}" for name in objects], x, y)


def _plant_tree(city: _City, block: _Block, side: int, parts: _Parts, tally: _Tally) -> None:
    """A class 2 tree without a root barrier planted right on a main."""
    rng, layout = block.rng, block.layout
    slot = int(rng.integers(layout.n_slots))
    along = np.array([rng.uniform(TREE_END_MARGIN, block.length[side] - TREE_END_MARGIN)])
    across, _ = block.main_at(slot, np.array([side]), along)
    xy = block.place(side, along, block.offsets[slot, side] + across + rng.uniform(-0.2, 0.2))
    crown, dbh = city.typical_tree["2"]
    name = f"{block.prefix}{SIDES[side]}/tx"
    parts.add_trees([block.base + 3328 + side * 64 + 63], [name], xy, ["2"], [dbh], [crown], [False])
    _record(tally, "tree", "tree-distance", [name, f"{block.prefix}{SIDES[side]}/{layout.letters[slot]}"], *xy[0])


def _plant_heat_pipe(block: _Block, side: int, parts: _Parts, tally: _Tally) -> None:
    """A stretch of heat pipe laid beside the water main (street side), closer than the thermal rule allows."""
    rng, layout = block.rng, block.layout
    water = layout.slot_of("W")
    offset = (block.offsets[water, side] + (layout.diameters[water] + THERMAL_HEAT_DIAMETER) / 2
              + rng.uniform(*THERMAL_GAP_RANGE))
    length = rng.uniform(15.0, 30.0)
    start = rng.uniform(TREE_END_MARGIN, max(TREE_END_MARGIN, block.length[side] - TREE_END_MARGIN - length))
    segments = max(2, round(length / MAIN_VERTEX_SPACING))
    along = start + length * np.linspace(0.0, 1.0, segments + 1)
    across, depth = block.main_at(water, np.full(segments + 1, side), along)
    points = np.empty((segments + 1, 3))
    points[:, :2] = block.place(side, along, offset + across + _clipped(rng, segments + 1) * DEVIATION_SIGMA)
    points[:, 2] = depth + _clipped(rng, segments + 1) * DEVIATION_SIGMA
    name = f"{block.prefix}{SIDES[side]}/Hx"
    parts.add_lines([block.base + 80 + side], [name], _KIND_CODE[NetworkKind.WARMTE], _ROLE_CODE["main"],
                    THERMAL_HEAT_DIAMETER, points, segments + 1)
    middle = points[segments // 2]
    _record(tally, "thermal", "thermal", [name, f"{block.prefix}{SIDES[side]}/W"], middle[0], middle[1])


def _record(tally: _Tally, kind: str, rule: str, objects: list[str], x: float, y: float) -> None:
    tally.conflicts[kind] += 1
    tally.conflict_rows.append((objects[0], kind, rule, ";".join(objects), round(float(x), 3), round(float(y), 3)))


def _sewer_mains(city: _City, block: _Block, ix: int, iy: int, parts: _Parts) -> None:
    """The sewers of the streets south and west of the block (and north / east at the edge of the grid)."""
    owned = [0, 3] + ([2] if iy == city.grid.ny - 1 else []) + ([1] if ix == city.grid.nx - 1 else [])
    for side in sorted(owned):
        sewer = block.sewers[side]
        rng = block.rng
        segments = max(2, round(sewer.length / MAIN_VERTEX_SPACING))
        jitter = np.concatenate([[0.0], rng.uniform(-MAIN_VERTEX_JITTER, MAIN_VERTEX_JITTER, segments - 1), [0.0]])
        u = (np.arange(segments + 1) + jitter) * (sewer.length / segments)
        points = np.empty((segments + 1, 3))
        points[:, :2] = sewer.start + u[:, None] * sewer.direction
        points[:, 2] = sewer.depth_at(u)
        parts.add_lines([block.base + 64 + side], [f"{block.prefix}{SIDES[side]}/R"], _KIND_CODE[_SEWER_KIND],
                        _ROLE_CODE["main"], sewer.diameter, points, segments + 1)


# ---------------------------------------------------------------------------------------------------------------
# The whole city, tile by tile
# ---------------------------------------------------------------------------------------------------------------

def generate_city(folder: str | os.PathLike, km: float, *, seed: int = 1, vkls_share: float = 0.2,
                  conflict_share: float = 0.05, tile_size: float = 1000.0, accuracy: float = LINE_ACCURACY[0],
                  force: bool = False, progress: Callable[[int, int, int], None] | None = None) -> CityManifest:
    """Write a synthetic city of about ``km`` kilometres of street into a tiled city store.

    Parameters
    ----------
    folder : path
        The store folder: new, empty, or an earlier city store (replaced when the new one is
        complete, which is written beside it meanwhile).
    km : float
        Street length (centre lines) to reach, kilometres; at least one block is made.
        About 4,500 segments per kilometre.
    seed : int
        Same seed and ``km``: identical files.
    vkls_share : float in [0, 1]
        Share of the blocks with a VKLS rack instead of NEN 7171 strips.
    conflict_share : float in [0, 1]
        Share of the block sides with one deliberate conflict.
    tile_size : float, metres
        Edge of a square tile (>= MIN_TILE_SIZE). The objects do not depend on it.
    accuracy : float, metres
        Position accuracy of every line, horizontal and vertical (0: design data). With 0.1 m a
        checker finds many *possible* conflicts where layouts sit close to the norms.
    force : bool
        Write into a non-empty folder that is not a city store (nor an unfinished one).
    progress : callable (done_tiles, total_tiles, segments_so_far), optional
        Called after each tile of blocks.

    Returns
    -------
    CityManifest
        As written to ``city.toml`` (written last: an interrupted run leaves no manifest).

    Raises
    ------
    InputError
        A bad parameter value, or a folder that must not be written to.
    """
    km, seed, vkls_share, conflict_share, tile_size, accuracy = _checked(km, seed, vkls_share, conflict_share,
                                                                         tile_size, accuracy)
    folder = Path(folder)
    created = not folder.exists()
    target = _prepare_folder(folder, force)
    try:
        with write_errors(folder):  # a full disk: one line, and the earlier store stays whole
            manifest = _write_city(target, folder, km, seed, vkls_share, conflict_share, tile_size, accuracy,
                                   progress)
        _put_in_place(target, folder)
    except BaseException:
        _discard(target, folder, created)
        raise
    return manifest


def _write_city(target: Path, folder: Path, km: float, seed: int, vkls_share: float, conflict_share: float,
                tile_size: float, accuracy: float, progress) -> CityManifest:
    """Generate the city into ``target`` (``folder`` or its staging folder) and write its manifest last."""
    city = _make_city(km, seed, vkls_share, conflict_share)
    ox, oy = (math.floor(v - ORIGIN_MARGIN) for v in city.grid.lower_left())
    writer = _TileWriter(target, (float(ox), float(oy)), tile_size)
    tally = _Tally()
    schedule = _Schedule(city, writer.origin, tile_size)
    segments = 0
    for done, (_, blocks) in enumerate(schedule.home_tiles, start=1):
        parts = _Parts()
        for ix, iy in blocks:
            _generate_block(city, ix, iy, parts, tally)
        segments += parts.segments
        writer.route(parts.freeze((accuracy, accuracy)))
        writer.flush(schedule.ready_after(done - 1))
        if progress is not None:
            progress(done, len(schedule.home_tiles), segments)
    writer.flush(None)
    _write_conflicts(target, tally)
    summary = _summary(city, km, tally, writer, accuracy)
    manifest = CityManifest(name=f"synthetic city, seed {seed}, {km:g} km of street", origin=writer.origin,
                            tile_size=tile_size, max_segment_length=max(writer.max_segment, 1e-9),
                            tiles=tuple(sorted(writer.entries, key=lambda t: (t.ix, t.iy))), summary=summary,
                            folder=str(folder))
    write_manifest(target, manifest)
    return manifest


def _checked(km, seed, vkls_share, conflict_share, tile_size, accuracy):
    def number(value, name: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise InputError(f"expected a number, got {value!r}", place=name)
        if not math.isfinite(value):
            raise InputError(f"must be a finite number, got {value}", place=name)
        return float(value)

    km = number(km, "km")
    if not 0 < km <= MAX_KM:
        raise InputError(f"must be greater than 0 and at most {MAX_KM:,.0f}, got {km:g}", place="km")
    for name, share in (("vkls_share", vkls_share), ("conflict_share", conflict_share)):
        if not 0.0 <= number(share, name) <= 1.0:
            raise InputError(f"must lie between 0 and 1, got {share:g}", place=name)
    tile_size = number(tile_size, "tile_size")
    if tile_size < MIN_TILE_SIZE:
        raise InputError(f"must be at least {MIN_TILE_SIZE:g} m, got {tile_size:g}", place="tile_size")
    accuracy = number(accuracy, "accuracy")
    if not 0.0 <= accuracy <= 10.0:
        raise InputError(f"must lie between 0 and 10 m, got {accuracy:g}", place="accuracy")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed <= MAX_SEED:
        raise InputError(f"must be a whole number from 0 to {MAX_SEED}, got {seed!r}", place="seed")
    return km, int(seed), float(vkls_share), float(conflict_share), tile_size, accuracy


def _prepare_folder(folder: Path, force: bool) -> Path:
    """Where to write the city: ``folder`` when it is new or empty (or foreign and ``force``), else a
    staging folder beside it, so that an earlier city store stays whole until the new one is complete.

    Refuses a file, or a foreign non-empty folder unless ``force`` (then an earlier manifest in it is
    removed first, so that the folder does not look complete until the run ends).
    """
    if folder.exists() and not folder.is_dir():
        raise InputError("exists and is not a folder", source=str(folder))
    occupied = folder.is_dir() and any(folder.iterdir())
    holds_a_store = occupied and (is_city_store(folder) or _only_store_files(folder))
    if occupied and not force and not holds_a_store:
        raise InputError("the folder is not empty and holds no city store; give --force to write into it anyway",
                         source=str(folder))
    target = _staging(folder) if holds_a_store else folder
    try:
        if target != folder:
            _remove_tree(target)  # left by an interrupted run
        target.mkdir(parents=True, exist_ok=True)
        if target == folder:
            (folder / MANIFEST).unlink(missing_ok=True)
            (folder / CONFLICTS_FILE).unlink(missing_ok=True)
            tiles = folder / "tiles"
            if tiles.is_dir():
                for stale in tiles.glob("t_*.npz"):
                    stale.unlink()
    except OSError as error:
        raise InputError(f"cannot write the city store ({error.strerror})", source=str(folder)) from None
    return target


def _staging(folder: Path) -> Path:
    """The folder beside ``folder`` that a replacing run writes into (hidden, same file system)."""
    return folder.parent / f".{folder.name}.generating"


def _put_in_place(target: Path, folder: Path) -> None:
    """Swap a complete staging folder in for the earlier store (two renames; the old one is then removed)."""
    if target == folder:
        return
    retired = folder.parent / f".{folder.name}.replaced"
    try:
        _remove_tree(retired)
        os.rename(folder, retired)
        try:
            os.rename(target, folder)
        except OSError:
            os.rename(retired, folder)  # the earlier store back in its place
            raise
    except OSError as error:
        raise InputError(f"cannot put the new city store in place ({error.strerror})", source=str(folder)) from None
    _remove_tree(retired)


def _discard(target: Path, folder: Path, created: bool) -> None:
    """After a failed or interrupted run: remove the staging folder (the earlier store is untouched),
    or what this run wrote into ``folder``: its tiles and conflicts list (never a manifest: it was
    removed at the start), and the folder itself when the run ``created`` it."""
    if target != folder:
        _remove_tree(target)
        return
    for written in [*sorted((folder / "tiles").glob("t_*.npz")), folder / CONFLICTS_FILE]:
        written.unlink(missing_ok=True)
    for empty in (folder / "tiles", folder) if created else (folder / "tiles",):
        if empty.is_dir() and not any(empty.iterdir()):
            empty.rmdir()


def _remove_tree(path: Path) -> None:
    import shutil

    if path.is_dir():
        shutil.rmtree(path)


def _only_store_files(folder: Path) -> bool:
    """The folder holds nothing but what a (maybe interrupted) city store run writes."""
    for entry in folder.iterdir():
        if entry.name == "tiles" and entry.is_dir():
            if not all(f.is_file() and f.name.startswith("t_") and f.suffix == ".npz" for f in entry.iterdir()):
                return False
        elif not (entry.is_file() and (entry.name == CONFLICTS_FILE or entry.name.endswith(".part")
                                       and entry.name.startswith((f".{MANIFEST}.", f".{CONFLICTS_FILE}.")))):
            return False
    return True


def _make_city(km: float, seed: int, vkls_share: float, conflict_share: float) -> _City:
    from vkls.rules.loader import load_norms

    norms = load_norms()
    grid = make_grid(km, seed)
    classes = tuple(TREE_CLASS_WEIGHTS)
    return _City(
        seed=seed, grid=grid, rects=grid.block_rects(), vkls_share=vkls_share, conflict_share=conflict_share,
        layouts=layouts(),
        trunk_distance={c: norms.number(f"trees.classes.{c}.trunk_distance") for c in classes},
        barrier_distance=norms.number("trees.root_barrier_distance"),
        typical_tree={c: (norms.number(f"trees.typical.{c}.crown_radius"),
                          norms.number(f"trees.typical.{c}.trunk_diameter")) for c in classes},
        thermal_pairs=frozenset(norms.thermal) | frozenset(pair[::-1] for pair in norms.thermal),
        cover_min={kind.value: norms.number(f"networks.{kind.value}.cover_min") for kind in NetworkKind},
        sewer_connection_diameter=norms.number(f"networks.{_SEWER_KIND.value}.connection_diameter"),
        sewers=SewerTable.make(seed, grid),
    )


class _Schedule:
    """Which blocks each tile generates, and when a tile can be written.

    A block belongs to the tile of its centre (its *home* tile); home tiles are generated in
    row-major order. Its objects are anchored within the block grown by half the widest street,
    so they land in the tiles that rectangle touches; a tile is complete once the last block
    that can reach it has been generated.
    """

    def __init__(self, city: _City, origin: tuple[float, float], tile_size: float):
        rects = city.rects.reshape(-1, 4)
        reach = max(city.grid.width_x.max(), city.grid.width_y.max()) / 2 + 1.0
        ox, oy = origin
        centre_tile = np.floor((np.column_stack([(rects[:, 0] + rects[:, 2]) / 2, (rects[:, 1] + rects[:, 3]) / 2])
                                - (ox, oy)) / tile_size).astype(np.int64)
        homes = sorted(set(map(tuple, centre_tile.tolist())), key=lambda t: (t[1], t[0]))
        rank = {tile: r for r, tile in enumerate(homes)}
        members: dict[tuple[int, int], list[tuple[int, int]]] = {tile: [] for tile in homes}
        last_needed: dict[tuple[int, int], int] = {}
        lo = np.floor((rects[:, :2] - reach - (ox, oy)) / tile_size).astype(np.int64)
        hi = np.floor((rects[:, 2:] + reach - (ox, oy)) / tile_size).astype(np.int64)
        nx = city.grid.nx
        for number, home in enumerate(map(tuple, centre_tile.tolist())):
            members[home].append((number % nx, number // nx))
            r = rank[home]
            for tx in range(lo[number, 0], hi[number, 0] + 1):
                for ty in range(lo[number, 1], hi[number, 1] + 1):
                    if last_needed.get((tx, ty), -1) < r:
                        last_needed[(tx, ty)] = r
        self.home_tiles = [(tile, members[tile]) for tile in homes]
        self._due = sorted((r, tile) for tile, r in last_needed.items())
        self._next = 0

    def ready_after(self, rank: int) -> list[tuple[int, int]]:
        """Tiles no block after home tile number ``rank`` can reach (each returned once)."""
        first = self._next
        while self._next < len(self._due) and self._due[self._next][0] <= rank:
            self._next += 1
        return [tile for _, tile in self._due[first:self._next]]


class _TileWriter:
    """Routes lines and trees to the tile of their anchor and writes a tile when it is complete."""

    def __init__(self, folder: Path, origin: tuple[float, float], tile_size: float):
        self.folder, self.origin, self.tile_size = folder, origin, tile_size
        self.pending: dict[tuple[int, int], list[TileArrays]] = {}
        self.written: set[tuple[int, int]] = set()
        self.entries: list[TileEntry] = []
        self.max_segment = 0.0
        self.lengths = np.zeros((len(LINE_ROLES), len(LINE_KINDS)))
        self.lines = self.segments = self.trees = 0

    def _tile_of(self, xy: np.ndarray) -> np.ndarray:
        return np.floor((xy - self.origin) / self.tile_size).astype(np.int64)

    def route(self, arrays: TileArrays) -> None:
        """Split ``arrays`` by anchor tile (the centre of each object's plan bounding box)."""
        if arrays.n_lines:
            starts = arrays.line_start[:-1]
            lo = np.minimum.reduceat(arrays.xyz[:, :2], starts, axis=0)
            hi = np.maximum.reduceat(arrays.xyz[:, :2], starts, axis=0)
            line_tiles = self._tile_of((lo + hi) / 2)
        else:
            line_tiles = np.zeros((0, 2), np.int64)
        tree_tiles = self._tile_of(arrays.tree_xy)
        for tile in set(map(tuple, line_tiles.tolist())) | set(map(tuple, tree_tiles.tolist())):
            if tile in self.written:
                raise RuntimeError(f"tile {tile} was written before all its objects were generated")
            part = arrays.select_lines((line_tiles == tile).all(axis=1)).select_trees((tree_tiles == tile).all(axis=1))
            self.pending.setdefault(tile, []).append(part)

    def flush(self, tiles: list[tuple[int, int]] | None) -> None:
        """Write these complete tiles (None: every pending tile)."""
        for tile in sorted(self.pending) if tiles is None else tiles:
            parts = self.pending.pop(tile, None)
            self.written.add(tile)
            if parts:
                self._write(tile, _sorted(_join(parts)))

    def _write(self, tile: tuple[int, int], arrays: TileArrays) -> None:
        entry = write_tile(self.folder, tile[0], tile[1], arrays)
        self.entries.append(entry)
        self.lines += arrays.n_lines
        self.segments += arrays.n_segments
        self.trees += arrays.n_trees
        if arrays.n_lines:
            step = np.linalg.norm(np.diff(arrays.xyz, axis=0), axis=1)
            step[arrays.line_start[1:-1] - 1] = 0.0  # from one line's end to the next line's start
            self.max_segment = max(self.max_segment, float(step.max(initial=0.0)))
            np.add.at(self.lengths, (arrays.line_role, arrays.line_kind), arrays.line_lengths())


def _join(parts: list[TileArrays]) -> TileArrays:
    """Concatenate tile parts without sorting."""
    if len(parts) == 1:
        return parts[0]
    columns = {name: np.concatenate([getattr(p, name) for p in parts])
               for name in ("line_index", "line_name", "line_kind", "line_role", "line_group", "line_diameter",
                            "line_accuracy", "xyz", "tree_index", "tree_name", "tree_xy", "tree_class", "tree_dbh",
                            "tree_crown", "tree_barrier")}
    counts = np.concatenate([np.diff(p.line_start) for p in parts])
    return TileArrays(**columns, line_start=np.concatenate([[0], np.cumsum(counts)]).astype(np.int64))


def _sorted(arrays: TileArrays) -> TileArrays:
    """Lines and trees in the order of their global index (vectorised)."""
    line_order = np.argsort(arrays.line_index, kind="stable")
    tree_order = np.argsort(arrays.tree_index, kind="stable")
    counts = np.diff(arrays.line_start)[line_order]
    start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    vertex = np.repeat(arrays.line_start[:-1][line_order] - start[:-1], counts) + np.arange(start[-1])
    line = {name: getattr(arrays, name)[line_order] for name in
            ("line_index", "line_name", "line_kind", "line_role", "line_group", "line_diameter", "line_accuracy")}
    tree = {name: getattr(arrays, name)[tree_order] for name in
            ("tree_index", "tree_name", "tree_xy", "tree_class", "tree_dbh", "tree_crown", "tree_barrier")}
    return TileArrays(**line, **tree, line_start=start, xyz=arrays.xyz[vertex])


def _write_conflicts(folder: Path, tally: _Tally) -> None:
    """``deliberate_conflicts.csv``: one row per planted conflict, in name order (independent of tiling)."""
    from vkls.io.atomic import atomic_write

    with atomic_write(folder / CONFLICTS_FILE, newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["type", "rule", "objects", "x", "y"])
        for _, kind, rule, objects, x, y in sorted(tally.conflict_rows):
            writer.writerow([kind, rule, objects, f"{x:.3f}", f"{y:.3f}"])


def _summary(city: _City, km: float, tally: _Tally, writer: _TileWriter, accuracy: float) -> dict:
    """The manifest's ``[summary]`` (no timings: the same seed and km give identical files)."""
    main = writer.lengths[_ROLE_CODE["main"]] + writer.lengths[_ROLE_CODE["main on a rack"]]
    connections = writer.lengths[_ROLE_CODE["house connection"]] + writer.lengths[_ROLE_CODE["sewer connection"]]
    total_length = float(writer.lengths.sum())
    return {
        "generator": "vkls generate city",
        "seed": city.seed,
        "km_requested": km,
        "km_street": round(city.grid.street_length() / 1000.0, 3),
        "km_cables": {kind.value: round(float(main[code]) / 1000.0, 3) for code, kind in enumerate(LINE_KINDS)
                      if main[code] > 0},
        "km_house_connections": round(float(connections.sum()) / 1000.0, 3),
        "segments": writer.segments,
        "lines": writer.lines,
        "trees": writer.trees,
        "houses": tally.houses,
        "blocks": tally.blocks,
        "vkls_blocks": tally.vkls_blocks,
        "vkls_heat_blocks": tally.vkls_heat_blocks,
        "grid": f"{city.grid.nx} x {city.grid.ny} blocks",
        "vkls_share": city.vkls_share,
        "conflict_share": city.conflict_share,
        "accuracy": accuracy,
        "deliberate_conflicts": dict(tally.conflicts),
        "deliberate_conflicts_file": CONFLICTS_FILE,
        "mean_segment_length": round(total_length / max(writer.segments, 1), 3),
    }
