"""Place networks in the cross-section: NEN 7171 strips (horizontal) or VKLS rack levels.

The section coordinate system: ``offset`` is horizontal distance from the facade towards
the street (metres), ``depth`` is distance below the ground surface (metres, positive down).
"""

from __future__ import annotations

from dataclasses import dataclass

from vkls.errors import InputError
from vkls.model import Arrangement, Network, Rack, Street, Zone
from vkls.rules.loader import Norms

CARRIAGEWAY_SURFACES = ("asphalt", "carriageway")

#: Networks on a rack keep this gap (metres) to the uprights. Along a curved route a 1 m
#: chord deviates from the arc by L^2 / 8R (0.8 mm at R = 150 m): without a gap, a cable laid
#: against the uprights would clip them by that much in the model, not in the street.
RACK_UPRIGHT_GAP = 0.01


@dataclass(frozen=True)
class Placement:
    """Where one network lies in the section.

    Attributes
    ----------
    network_id : str
    axis_offsets : tuple of float, metres
        Horizontal offset of each cable/pipe axis of the bundle (one per ``count``).
    axis_depth : float, metres
        Depth of the axes below ground (cover depth + radius).
    radius : float, metres
    how : str
        How the position was chosen, for reports ("given", "NEN 7171 strip", "rack level 2", ...).
    """

    network_id: str
    axis_offsets: tuple[float, ...]
    axis_depth: float
    radius: float
    how: str

    @property
    def cover(self) -> float:
        """Cover depth: ground surface to the top of the object, metres."""
        return self.axis_depth - self.radius


@dataclass(frozen=True)
class RackPart:
    """One rack part in section coordinates (a box, extruded along the route).

    Attributes
    ----------
    id : str
        Unique within the rack: ``posts@0.33``, ``beam-level-2``, ``base-plate``, ``protection-plate``.
    name : str
        "posts", "beam", "base plate" or "protection plate".
    label : str
        Plain words: "uprights at offset 0.33 m", "beam of level 2 (W1)".
    offset_min, offset_max : float, metres
    depth_min, depth_max : float, metres (top and bottom)
    along : float or None, metres
        Length along the route for parts repeated at every post (posts, beams);
        None for continuous plates.
    """

    id: str
    name: str
    label: str
    offset_min: float
    offset_max: float
    depth_min: float
    depth_max: float
    along: float | None


def carriageway_span(zones: tuple[Zone, ...]) -> tuple[float, float] | None:
    """Offsets (start, end) of the first carriageway zone, or None."""
    position = 0.0
    for zone in zones:
        if zone.surface in CARRIAGEWAY_SURFACES:
            return position, position + zone.width
        position += zone.width
    return None


def place_networks(street: Street, norms: Norms) -> dict[str, Placement]:
    """Position every network of the street in the cross-section.

    Horizontal: a network's own ``offset``/``depth`` where given; otherwise NEN 7171
    strips in the norms' sidewalk order (free strip first, each network centred in
    its strip), carriageway kinds (sewer, heat) at a fraction of the carriageway.
    VKLS: networks on rack levels; the rest as in the horizontal case.

    Returns
    -------
    dict network id -> Placement
    """
    placements: dict[str, Placement] = {}
    if street.arrangement is Arrangement.VKLS and street.rack is not None:
        placements.update(_place_on_rack(street, street.rack))
    rest = [n for n in street.networks if n.id not in placements]
    placements.update(_place_horizontal(street, rest, norms))
    return {n.id: placements[n.id] for n in street.networks}


def _bundle_offsets(centre: float, network: Network) -> tuple[float, ...]:
    """Axis offsets of the cables of a bundle, side by side and touching."""
    d = network.diameter
    return tuple(centre + (i - (network.count - 1) / 2) * d for i in range(network.count))


def _depth(network: Network, norms: Norms) -> float:
    cover = network.depth if network.depth is not None else norms.number(f"networks.{network.kind.value}.cover")
    return cover + network.diameter / 2


def _place_horizontal(street: Street, networks: list[Network], norms: Norms) -> dict[str, Placement]:
    order = list(norms.get("placement.sidewalk_order").value)
    fractions = {key.rsplit(".", 1)[1]: norms.number(key) for key in norms.values
                 if key.startswith("placement.carriageway_fraction.")}
    position = norms.number("placement.free_strip")
    placements = {}
    for network in networks:
        if network.offset is not None:
            placements[network.id] = Placement(network.id, _bundle_offsets(network.offset, network),
                                               _depth(network, norms), network.diameter / 2, "given offset")
    for kind in order:
        for network in networks:
            if network.kind.value != kind or network.id in placements:
                continue
            width = norms.number(f"placement.strip_width.{kind}")
            width = max(width, network.count * network.diameter)
            centre = position + width / 2
            placements[network.id] = Placement(network.id, _bundle_offsets(centre, network),
                                               _depth(network, norms), network.diameter / 2, "NEN 7171 strip")
            position += width
    span = carriageway_span(street.zones)
    for network in networks:
        if network.id in placements:
            continue
        kind = network.kind.value
        if kind in fractions and span is not None:
            centre = span[0] + fractions[kind] * (span[1] - span[0])
            placements[network.id] = Placement(network.id, _bundle_offsets(centre, network),
                                               _depth(network, norms), network.diameter / 2, "carriageway")
            continue
        index = [n.id for n in street.networks].index(network.id)
        why = ("no carriageway zone (surface asphalt or carriageway) to put it in" if kind in fractions
               else f"kind {kind} has no default strip in the norms' sidewalk order")
        raise InputError(f"needs an offset: {why}", source=street.source, place=f"networks[{index}].offset")
    return placements


def rack_halves(rack: Rack) -> dict[str, tuple[float, float]]:
    """Offset range for networks between the uprights (less ``RACK_UPRIGHT_GAP``), per half of the rack."""
    gap = RACK_UPRIGHT_GAP
    near, far = rack.offset + rack.post_size + gap, rack.offset + rack.width - rack.post_size - gap
    if rack.sides == 1:
        return {"street": (near, far)}
    middle = rack.offset + rack.width / 2
    return {"facade": (near, middle - rack.post_size / 2 - gap), "street": (middle + rack.post_size / 2 + gap, far)}


def _place_on_rack(street: Street, rack: Rack) -> dict[str, Placement]:
    """Networks on rack levels, staggered.

    On each half of the rack the levels are staggered (VKLS: "networks are staggered so
    house connections can be made from above"): the top level lies against the street-side
    uprights, each deeper level a step nearer the facade, the bottom level against the
    facade-side uprights, so a connection rising to the facade passes beside the levels
    above it. Networks sharing a level lie side by side, touching, as one block.
    """
    halves = rack_halves(rack)
    placements = {}
    for side in halves:
        levels = [(number, level) for number, level in enumerate(rack.levels) if level.side == side and level.networks]
        lo, hi = halves[side]
        for step, (number, level) in enumerate(levels):
            networks = [street.network(i) for i in level.networks]
            needed = sum(n.count * n.diameter for n in networks)
            if needed > hi - lo + 1e-9:
                raise InputError(f"rack level at depth {level.depth:g} m holds {needed:.3f} m of cables and pipes "
                                 f"side by side but the {level.side} half is {hi - lo:.3f} m wide between the "
                                 f"uprights", source=street.source, place="rack.levels")
            share = step / (len(levels) - 1) if len(levels) > 1 else 0.5
            position = hi - needed - share * (hi - lo - needed)
            bottom = level.depth + max(n.diameter for n in networks)
            for network in networks:
                width = network.count * network.diameter
                placements[network.id] = Placement(network.id, _bundle_offsets(position + width / 2, network),
                                                   bottom - network.diameter / 2, network.diameter / 2,
                                                   f"rack level {number + 1}")
                position += width
    return placements


def rack_parts(street: Street) -> list[RackPart]:
    """The parts of the VKLS rack in section coordinates (empty without a rack).

    Uprights stand at both faces (and in the middle of a double-sided rack); a beam
    carries each level, its top touching the underside of the networks on it; a base
    plate closes the bottom and a protection plate covers the top.
    """
    rack = street.rack
    if rack is None:
        return []
    parts = []
    post_offsets = [rack.offset, rack.offset + rack.width - rack.post_size]
    if rack.sides == 2:
        post_offsets.append(rack.offset + (rack.width - rack.post_size) / 2)
    for left in post_offsets:
        centre = left + rack.post_size / 2
        parts.append(RackPart(f"posts@{centre:.2f}", "posts", f"uprights at offset {centre:.2f} m",
                              left, left + rack.post_size, rack.cover_plate_depth + rack.plate_thickness,
                              rack.bottom_depth - rack.plate_thickness, rack.post_size))
    halves = rack_halves(rack)
    for number, level in enumerate(rack.levels, start=1):
        if not level.networks:
            continue
        bottom = level.depth + max(street.network(i).diameter for i in level.networks)
        lo, hi = halves[level.side][0] - RACK_UPRIGHT_GAP, halves[level.side][1] + RACK_UPRIGHT_GAP
        parts.append(RackPart(f"beam-level-{number}", "beam", f"beams of level {number} ({', '.join(level.networks)})",
                              lo, hi, bottom, bottom + rack.beam_height, rack.post_size))
    parts.append(RackPart("base-plate", "base plate", "base plate", rack.offset, rack.offset + rack.width,
                          rack.bottom_depth - rack.plate_thickness, rack.bottom_depth, None))
    parts.append(RackPart("protection-plate", "protection plate", "protection plate", rack.offset,
                          rack.offset + rack.width, rack.cover_plate_depth,
                          rack.cover_plate_depth + rack.plate_thickness, None))
    return parts
