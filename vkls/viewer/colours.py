"""Colours, patterns and short codes of everything vkls draws.

Network colours are the KLIC map colours per IMKL theme ("kleurgebruik per thema" of the
Regeling informatie-uitwisseling ondergrondse netten, carried on in Geonovum's PMKL
visualisation rules): telecom green, electricity in three reds (dark for LV, mid for MV,
bright for HV), gas in yellows, water blue, heat teal, gravity sewer purple. Street lighting
is not an IMKL theme (KLIC shows it as low voltage); vkls gives it a lighter red of its own.

Three of these reds and two of the yellows are hard to tell apart for anyone, and more so
for someone colour-blind, so every kind also has a **short code** (printed on labels and in
legends), a **hatch** (2D sections) and a **band pattern** (3D tubes: alternate segments in
a lighter tint). Conflicts are red *and* marked by shape (a ring or sphere with a pin) and
by their id, never by colour alone.

No drawing library is imported here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KindStyle:
    """How one kind of object is drawn.

    Attributes
    ----------
    kind : str
        A network kind (IMKL theme), ``rack``, ``tree``, ``rootzone`` or another scene kind.
    label : str
        Plain words for legends.
    code : str
        Short code printed next to labels (``W``, ``LS``, ``MS`` ...).
    colour : str
        ``#rrggbb``.
    hatch : str
        matplotlib hatch of the 2D section ("" for solid).
    banded : bool
        3D tubes alternate segments with a lighter tint of ``colour`` (a pattern that does not
        depend on telling hues apart).
    source : str
        Where the colour comes from.
    """

    kind: str
    label: str
    code: str
    colour: str
    hatch: str
    banded: bool
    source: str


_KLIC = "KLIC/IMKL theme colour (Regeling informatie-uitwisseling ondergrondse netten; PMKL visualisation rules)"

#: Network kinds, in the order legends list them (VKLS order, then the rest).
NETWORK_STYLES: dict[str, KindStyle] = {s.kind: s for s in (
    KindStyle("datatransport", "telecom", "TEL", "#00ff00", "", False, _KLIC + ": (0, 255, 0)"),
    KindStyle("laagspanning", "LV power", "LS", "#960000", "////", False, _KLIC + ": (150, 0, 0)"),
    KindStyle("middenspanning", "MV power", "MS", "#c80000", "xxxx", True, _KLIC + ": (200, 0, 0)"),
    KindStyle("openbareVerlichting", "street lighting", "OVL", "#e06c6c", "||||", True,
              "vkls: not an IMKL theme (KLIC draws it as low voltage); a lighter red"),
    KindStyle("gasLageDruk", "gas (low pressure)", "G-LD", "#ffd750", "....", False, _KLIC + ": (255, 215, 80)"),
    KindStyle("gasHogeDruk", "gas (high pressure)", "G-HD", "#ffaf3c", "oo", True, _KLIC + ": (255, 175, 60)"),
    KindStyle("water", "drinking water", "W", "#0000ff", "", False, _KLIC + ": (0, 0, 255)"),
    KindStyle("warmte", "heat", "WA", "#008080", "\\\\\\\\", True, _KLIC + ": (0, 128, 128)"),
    KindStyle("rioolVrijverval", "gravity sewer", "RI", "#ba38a8", "++", False, _KLIC + ": (186, 56, 168)"),
)}

#: Everything else in a scene.
OTHER_STYLES: dict[str, KindStyle] = {s.kind: s for s in (
    KindStyle("rack", "VKLS rack", "VKLS", "#8a8f96", "", False, "vkls: galvanised steel grey"),
    KindStyle("tree", "tree trunk", "tree", "#7a4a1e", "", False, "vkls: bark brown"),
    KindStyle("rootzone", "root zone", "roots", "#6b8e23", "xx", False, "vkls: olive, translucent"),
    KindStyle("reservation", "reserved corridor", "RES", "#7f7f7f", "//", False, "vkls: grey, dashed outline"),
)}

#: Fallback for kinds this module does not know yet (new rules may add object kinds).
UNKNOWN_STYLE = KindStyle("unknown", "other", "?", "#404040", "", False, "vkls: dark grey")

#: Conflicts: red, always with a marker shape and an id.
CONFLICT_COLOUR = "#e8000b"
CONFLICT_OUTLINE = "#ffffff"

#: Surface zones (seen from above, translucent in 3D; a thin band above the ground line in sections).
SURFACE_COLOURS: dict[str, str] = {
    "paving": "#c9c0b3",
    "asphalt": "#5a5a5a",
    "carriageway": "#5a5a5a",
    "parking": "#9a9a9a",
    "cycle": "#b5655a",
    "green": "#7fb86b",
    "tree_strip": "#9fbf7f",
    "verge": "#a7c98f",
}
SURFACE_FALLBACK = "#b0b0b0"

#: Soil in the 2D section and the frame of the soil volume in 3D.
SOIL_COLOUR = "#f3ead8"
GROUND_LINE_COLOUR = "#3b2f22"


def style_of(kind: str) -> KindStyle:
    """The style of a kind (an unknown kind gets :data:`UNKNOWN_STYLE` with its own name)."""
    if kind in NETWORK_STYLES:
        return NETWORK_STYLES[kind]
    if kind in OTHER_STYLES:
        return OTHER_STYLES[kind]
    return KindStyle(kind, kind, kind[:4].upper(), UNKNOWN_STYLE.colour, "", False, UNKNOWN_STYLE.source)


def surface_colour(surface: str) -> str:
    """Colour of a surface zone (``paving``, ``asphalt``, ...)."""
    return SURFACE_COLOURS.get(surface, SURFACE_FALLBACK)


def hex_to_rgb(colour: str) -> tuple[float, float, float]:
    """``#rrggbb`` -> (r, g, b) floats in [0, 1]."""
    text = colour.lstrip("#")
    return tuple(int(text[i:i + 2], 16) / 255.0 for i in (0, 2, 4))  # type: ignore[return-value]


def tint(colour: str, amount: float = 0.55) -> str:
    """A lighter version of ``colour``: mixed with white by ``amount`` (0 = unchanged, 1 = white)."""
    r, g, b = hex_to_rgb(colour)
    mix = [c + (1.0 - c) * amount for c in (r, g, b)]
    return "#" + "".join(f"{round(c * 255):02x}" for c in mix)


def legend_text(style: KindStyle) -> str:
    """Legend entry: plain words and the code, e.g. ``drinking water [W]``; banded kinds say so."""
    text = f"{style.label} [{style.code}]"
    return text + " (banded)" if style.banded else text
