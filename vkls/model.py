"""The domain model: frozen dataclasses of a street, its networks, racks and trees.

No geometry and no I/O lives here; readers in :mod:`vkls.io` build these objects and
:mod:`vkls.geometry` turns them into a scene. Lengths are metres, offsets are measured
horizontally from the facade line towards the street, depths are cover depths (ground
surface down to the top of the object).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

import numpy as np


class NetworkKind(str, Enum):
    """Network kinds, named after the IMKL 2.0 themes (plus public lighting)."""

    DATATRANSPORT = "datatransport"
    LAAGSPANNING = "laagspanning"
    MIDDENSPANNING = "middenspanning"
    GAS_LAGE_DRUK = "gasLageDruk"
    GAS_HOGE_DRUK = "gasHogeDruk"
    WATER = "water"
    WARMTE = "warmte"
    RIOOL_VRIJVERVAL = "rioolVrijverval"
    OPENBARE_VERLICHTING = "openbareVerlichting"

    @property
    def label(self) -> str:
        """A short plain-English name for reports."""
        return _KIND_LABELS[self]


_KIND_LABELS = {
    NetworkKind.DATATRANSPORT: "telecom",
    NetworkKind.LAAGSPANNING: "LV power",
    NetworkKind.MIDDENSPANNING: "MV power",
    NetworkKind.GAS_LAGE_DRUK: "gas (low pressure)",
    NetworkKind.GAS_HOGE_DRUK: "gas (high pressure)",
    NetworkKind.WATER: "drinking water",
    NetworkKind.WARMTE: "heat",
    NetworkKind.RIOOL_VRIJVERVAL: "gravity sewer",
    NetworkKind.OPENBARE_VERLICHTING: "street lighting",
}

#: Object kinds that are not networks but take part in pairwise rules.
RACK_KIND = "rack"
TREE_KIND = "tree"
RESERVATION_KIND = "reservation"


class Arrangement(str, Enum):
    """How the networks are ordered in the cross-section."""

    HORIZONTAL = "horizontal"  # NEN 7171 strips side by side
    VKLS = "vkls"  # vertical rack (Leiden living lab)


@dataclass(frozen=True)
class Route:
    """The facade line the cross-section is swept along.

    Attributes
    ----------
    xy : (n, 2) float64, metres
        Polyline vertices in RD New (EPSG:28992), n >= 2.
    ground_level : float, metres NAP
        Height of the ground surface.
    street_side : {"left", "right"}
        Side of the route (seen in its direction) on which the street lies.
    """

    xy: np.ndarray
    ground_level: float = 0.0
    street_side: str = "right"


@dataclass(frozen=True)
class Zone:
    """A strip of street surface, listed from the facade outward."""

    name: str
    width: float
    surface: str


@dataclass(frozen=True)
class Network:
    """One cable or pipe network (or a bundle of equal cables) along the street.

    Attributes
    ----------
    id : str
    kind : NetworkKind
    owner : str
    diameter : float, metres
        Outer diameter of one cable or pipe.
    count : int
        Number of equal cables/ducts in a bundle (laid side by side, touching).
    offset : float or None, metres
        Horizontal distance facade -> axis (horizontal arrangement); None: from NEN 7171 defaults.
    depth : float or None, metres
        Cover depth to the top of the object; None: the kind's default.
    accuracy_xy, accuracy_depth : float, metres
        Position uncertainty (KLIC classes: 0.3, 0.5, 1.0); 0 for a design.
    """

    id: str
    kind: NetworkKind
    owner: str
    diameter: float
    count: int = 1
    offset: float | None = None
    depth: float | None = None
    accuracy_xy: float = 0.0
    accuracy_depth: float = 0.0


@dataclass(frozen=True)
class RackLevel:
    """One level of a VKLS rack: the networks that rest on one beam."""

    depth: float  # cover depth to the top of the networks on this level, metres
    networks: tuple[str, ...]
    side: str = "street"  # "street" or "facade" half of a double-sided rack


@dataclass(frozen=True)
class Rack:
    """A VKLS rack (verticaal kabels en leidingen systeem).

    Attributes
    ----------
    offset : float, metres
        Facade -> near face of the rack.
    width : float, metres
        Across the street.
    sides : int
        1 (single-sided) or 2 (double-sided: a centre post line, networks on both halves).
    post_spacing : float, metres
        Centre-to-centre distance of the uprights (staanders) along the route.
    levels : tuple of RackLevel
        Top to bottom.
    post_size, beam_height, plate_thickness : float, metres
        Section of an upright, height of a beam (ligger), thickness of the base plate
        (bodemplaat) and of the protection plate (beschermplaat).
    cover_plate_depth : float, metres
        Cover depth of the top of the protection plate.
    bottom_depth : float, metres
        Depth of the underside of the base plate.
    """

    offset: float
    width: float
    sides: int
    post_spacing: float
    levels: tuple[RackLevel, ...]
    post_size: float
    beam_height: float
    plate_thickness: float
    cover_plate_depth: float
    bottom_depth: float


#: The largest trunk diameter and crown radius a tree may have (metres): beyond any Dutch street tree.
MAX_TRUNK_DIAMETER, MAX_CROWN_RADIUS = 5.0, 40.0


@dataclass(frozen=True)
class Tree:
    """A street tree.

    Attributes
    ----------
    id : str
    chainage, offset : float, metres
        Position along the route and from the facade.
    size_class : str
        "1a", "1b", "2" or "3" (mature height class).
    trunk_diameter : float, metres
        At breast height (DBH).
    crown_radius : float, metres
    root_barrier : bool
        A root barrier (wortelscherm) or root-guiding screen protects the networks: the
        trunk distance drops to the barrier value and root-zone intrusion is not reported.
    xy : (float, float) or None, metres RD New
        Position of a tree on a map (existing networks); streets use chainage and offset.
    """

    id: str
    chainage: float
    offset: float
    size_class: str
    trunk_diameter: float
    crown_radius: float
    root_barrier: bool = False
    xy: tuple[float, float] | None = None


@dataclass(frozen=True)
class Reservation:
    """A corridor kept free for a future network (e.g. a heat network), in the section.

    Attributes
    ----------
    id : str
    purpose : str
        What it is reserved for (a network kind or free text).
    offset : float, metres
        Facade -> near side of the corridor.
    width : float, metres
    depth_top, depth_bottom : float, metres
        Cover depth of the top and of the bottom of the corridor.
    chainage_start, chainage_end : float, metres
        Stretch of the route (default: all of it).
    """

    id: str
    purpose: str
    offset: float
    width: float
    depth_top: float
    depth_bottom: float
    chainage_start: float
    chainage_end: float


@dataclass(frozen=True)
class ConnectionSpec:
    """House connections of one network, every ``spacing`` metres from ``start``.

    A connection leaves its main, drops or rises to ``run_depth`` (cover depth of its
    run across the sidewalk; None: the main's cover depth), runs at that depth towards
    the facade and rises to ``facade_depth`` in the free strip along the facade. Sewer
    connections run straight from the facade (at ``facade_depth``) down to the sewer
    main and so cross everything in between.
    """

    network: str
    spacing: float
    start: float
    diameter: float
    facade_depth: float
    run_depth: float | None = None


@dataclass(frozen=True)
class Street:
    """A complete street design: the input of a check."""

    name: str
    source: str
    route: Route
    zones: tuple[Zone, ...]
    arrangement: Arrangement
    networks: tuple[Network, ...]
    rack: Rack | None = None
    trees: tuple[Tree, ...] = ()
    connections: tuple[ConnectionSpec, ...] = ()
    reservations: tuple[Reservation, ...] = ()
    segment_length: float = 1.0
    extra: dict = field(default_factory=dict)

    def network(self, network_id: str) -> Network:
        """The network with this id (KeyError if absent)."""
        for network in self.networks:
            if network.id == network_id:
                return network
        raise KeyError(network_id)

    def describe(self) -> str:
        """One line for report headers."""
        return f"{self.arrangement.value}, {_polyline_length(self.route.xy):.1f} m of route"


@dataclass(frozen=True)
class Utility:
    """A cable or pipe with its own course: an existing network as a map delivers it (KLIC).

    Attributes
    ----------
    id : str
    kind : NetworkKind
    owner : str
    diameter : float, metres
    points : (n, 3) float64
        RD New x, y (metres) and the depth of the axis below the ground surface (metres,
        positive down; a cover depth plus the radius).
    accuracy_xy, accuracy_depth : float, metres
        Position uncertainty (KLIC classes).
    group : str
        Utilities of one group are never paired: a cable and the duct or sleeve it lies in.
    status : str
        ``in use``, ``out of use`` or ``orphan``.
    label : str
        Plain words for reports (type, theme, owner).
    """

    id: str
    kind: NetworkKind
    owner: str
    diameter: float
    points: np.ndarray
    accuracy_xy: float = 0.0
    accuracy_depth: float = 0.0
    group: str = ""
    status: str = "in use"
    label: str = ""


@dataclass(frozen=True)
class NetworkMap:
    """Existing networks without a designed cross-section (a KLIC delivery, a GIS layer).

    The ground surface is the depth reference: z = -depth in the scene.
    """

    name: str
    source: str
    utilities: tuple[Utility, ...]
    trees: tuple[Tree, ...] = ()
    notes: tuple[str, ...] = ()

    def describe(self) -> str:
        """One line for report headers."""
        length = sum(_polyline_length(u.points[:, :2]) for u in self.utilities)
        return f"existing networks, {len(self.utilities)} cables and pipes, {length / 1000:.2f} km"


def _polyline_length(xy: np.ndarray) -> float:
    return float(np.hypot(*np.diff(np.asarray(xy)[:, :2], axis=0).T).sum()) if len(xy) > 1 else 0.0
