"""Read and validate rule data (``norms/*.toml``), layering user files on the defaults.

Every leaf value is a table ``{value = ..., status = ..., source = ...}``; clearance
pairs carry ``parallel``, ``crossing``, ``status`` and ``source``. Built-in files and a
user's ``--norms`` file go through the same path; a user's value replaces the default
with the same key (a clearance pair replaces the pair with the same kinds).
"""

from __future__ import annotations

import hashlib
import math
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from vkls.errors import InputError
from vkls.model import RACK_KIND, NetworkKind

STATUSES = ("normative", "practitioner", "local")
#: The largest distance a clearance or thermal entry may require (metres): a rule's distance is
#: also the reach of the broad phase, and a typo like 1e6 would pair every object with every other.
MAX_PAIR_DISTANCE = 25.0
#: Sizes that cannot be zero (besides every diameter): the rack's parts and spacing.
POSITIVE_KEYS = frozenset(f"placement.rack_{key}" for key in ("post_spacing", "width", "level_pitch", "top_depth",
                                                               "bottom_depth", "post_size", "beam_height",
                                                               "plate_thickness"))
#: The largest value of any other rule number (metres, degrees, factors, m³); the built-in values
#: reach 100. A larger one is a typo.
MAX_RULE_NUMBER = 1e4
WILDCARD = "*"
PAIR_KINDS = frozenset({k.value for k in NetworkKind} | {RACK_KIND, WILDCARD})
SECTIONS = ("clearance", "thermal", "networks", "placement", "trees", "cover", "access", "duplicates", "order",
            "digging")
NETWORK_KEYS = ("diameter", "cover", "connection_diameter", "connection_facade_depth", "cover_min", "cover_max",
                "bend_factor", "invert_min", "invert_max")
REQUIRED_NETWORK_KEYS = NETWORK_KEYS[:7]
DEFAULT_FILES = ("clearance.toml", "thermal.toml", "networks.toml", "placement.toml", "trees.toml", "rules.toml",
                 "compare.toml")


@dataclass(frozen=True)
class NormValue:
    """One rule value with its provenance.

    Attributes
    ----------
    key : str
        Dotted key, e.g. ``networks.water.cover``.
    value : float, str or list
    status : {"normative", "practitioner", "local"}
    source : str
        Where the value comes from (a norm, an operator, a reasoned default).
    origin : str
        The file it was read from.
    """

    key: str
    value: Any
    status: str
    source: str
    origin: str


@dataclass(frozen=True)
class ClearanceEntry:
    """Required surface-to-surface clearance for a pair of kinds, metres."""

    kinds: tuple[str, str]
    parallel: float
    crossing: float
    status: str
    source: str
    origin: str


@dataclass(frozen=True)
class ThermalEntry:
    """Required distance from a warm network (source) to a sensitive one, metres.

    ``above`` applies where the sensitive network lies above the source.
    """

    kinds: tuple[str, str]
    parallel: float
    crossing: float
    above: float
    reason: str
    status: str
    source: str
    origin: str


@dataclass(frozen=True)
class KindsEntry:
    """A statement about a pair of kinds with its provenance (e.g. may not share a rack)."""

    kinds: tuple[str, str]
    status: str
    source: str
    origin: str


@dataclass(frozen=True)
class Norms:
    """The effective rule set: defaults with user files layered on top."""

    values: dict[str, NormValue]
    pairs: dict[tuple[str, str], ClearanceEntry]
    default_pair: ClearanceEntry
    files: tuple[str, ...]
    thermal: dict[tuple[str, str], ThermalEntry]
    rack_exclusions: dict[tuple[str, str], KindsEntry]

    def optional(self, key: str) -> NormValue | None:
        """The value under a dotted key, or None where the norms do not set it."""
        return self.values.get(key)

    def rack_exclusion(self, kind_a: str, kind_b: str) -> KindsEntry | None:
        """Why two kinds may not share a VKLS rack, or None if they may."""
        for key in (_pair_key(kind_a, kind_b), _pair_key(kind_a, WILDCARD), _pair_key(kind_b, WILDCARD)):
            if key in self.rack_exclusions:
                return self.rack_exclusions[key]
        return None

    def get(self, key: str) -> NormValue:
        """The value under a dotted key; KeyError names the key."""
        try:
            return self.values[key]
        except KeyError:
            raise KeyError(f"no norm value '{key}'") from None

    def number(self, key: str) -> float:
        """The numeric value under a dotted key."""
        return float(self.get(key).value)

    def clearance(self, kind_a: str, kind_b: str) -> ClearanceEntry:
        """Clearance entry for two kinds: exact pair, else (for rack parts) the rack entry, else the
        largest wildcard entry that applies, else the default."""
        exact = self.pairs.get(_pair_key(kind_a, kind_b))
        if exact is not None:
            return exact
        if RACK_KIND in (kind_a, kind_b):  # rack parts follow their own entry, not the networks' wildcards
            return self.pairs.get(_pair_key(RACK_KIND, WILDCARD), self.default_pair)
        wildcards = [self.pairs[k] for k in (_pair_key(kind_a, WILDCARD), _pair_key(kind_b, WILDCARD))
                     if k in self.pairs]
        if wildcards:
            return max(wildcards, key=lambda e: (max(e.parallel, e.crossing), e.kinds))
        return self.default_pair


def _pair_key(kind_a: str, kind_b: str) -> tuple[str, str]:
    return (kind_a, kind_b) if kind_a <= kind_b else (kind_b, kind_a)


def default_norms_dir() -> Path:
    """Folder of the built-in norms: the installed ``vkls.norms`` package or the source tree."""
    try:
        folder = Path(str(resources.files("vkls.norms")))
        if (folder / DEFAULT_FILES[0]).is_file():
            return folder
    except ModuleNotFoundError:
        pass
    return Path(__file__).resolve().parents[2] / "norms"


def load_norms(user_files: tuple[str, ...] | list[str] = ()) -> Norms:
    """Load the built-in norms and layer ``user_files`` over them, in order.

    Raises
    ------
    InputError
        A file is missing, not TOML, or a value is invalid (the message names file and key).
    """
    return _load_cached(tuple((str(p), _stamp(p)) for p in user_files))


def _stamp(path) -> str:
    """Digest of a file's bytes, so an edited file is read again ("" if unreadable: the loader reports it)."""
    try:
        return hashlib.sha1(Path(path).read_bytes()).hexdigest()
    except OSError:
        return ""


@lru_cache(maxsize=16)
def _load_cached(stamped_files: tuple[tuple[str, str], ...]) -> Norms:
    user_files = [path for path, _ in stamped_files]
    folder = default_norms_dir()
    tables = _Tables()
    paths = [str(folder / name) for name in DEFAULT_FILES] + list(user_files)
    for path in paths:
        _read_file(path, tables)
    if not tables.default_pair:
        raise InputError("no [clearance.default] entry in the norms", source=str(folder))
    norms = Norms(values=tables.values, pairs=tables.pairs, default_pair=tables.default_pair[-1],
                  files=tuple(paths), thermal=tables.thermal, rack_exclusions=tables.rack_exclusions)
    _check_complete(norms)
    return norms


@dataclass
class _Tables:
    """What the files have said so far; later files replace earlier entries."""

    values: dict = field(default_factory=dict)
    pairs: dict = field(default_factory=dict)
    default_pair: list = field(default_factory=list)
    thermal: dict = field(default_factory=dict)
    rack_exclusions: dict = field(default_factory=dict)


def _read_file(path: str, tables: _Tables) -> None:
    try:
        with open(path, "rb") as handle:
            document = tomllib.load(handle)
    except FileNotFoundError:
        raise InputError("norms file not found", source=path) from None
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"not valid TOML ({error})", source=path) from None
    except UnicodeDecodeError:
        raise InputError("not valid TOML (not UTF-8 text)", source=path) from None
    except IsADirectoryError:
        raise InputError("a folder, not a norms file", source=path) from None
    except OSError as error:
        raise InputError(f"cannot read norms file ({error.strerror})", source=path) from None
    for section, content in document.items():
        if section not in SECTIONS:
            raise InputError(f"unknown section '{section}'; expected one of {', '.join(SECTIONS)}",
                             source=path, place=section)
        if not isinstance(content, dict):
            raise InputError("expected a table", source=path, place=section)
        if section == "clearance":
            _read_clearance(path, content, tables)
        elif section == "thermal":
            _read_thermal(path, content, tables)
        elif section == "order":
            _read_order(path, content, tables)
        else:
            _read_values(path, section, content, tables.values)


def _entries(path: str, place: str, item) -> list:
    if not isinstance(item, list):
        raise InputError(f"expected an array of tables [[{place}]]", source=path, place=place)
    return item


def _read_thermal(path, content, tables: _Tables) -> None:
    for key, item in content.items():
        if key != "pair":
            raise InputError("unknown key; expected [[thermal.pair]]", source=path, place=f"thermal.{key}")
        for index, entry in enumerate(_entries(path, "thermal.pair", item)):
            place = f"thermal.pair[{index}]"
            kinds = _kinds(path, place, entry, ordered=True,
                           allowed={"parallel", "crossing", "above", "reason", "status", "source"})
            numbers = {name: _distance(path, f"{place}.{name}", entry.get(name), MAX_PAIR_DISTANCE)
                       for name in ("parallel", "crossing", "above")}
            reason = entry.get("reason", "")
            if not isinstance(reason, str):
                raise InputError("'reason' must be a text", source=path, place=f"{place}.reason")
            status, source = _provenance(path, place, entry)
            tables.thermal[kinds] = ThermalEntry(kinds, numbers["parallel"], numbers["crossing"], numbers["above"],
                                                 reason, status, source, path)


def _read_order(path, content, tables: _Tables) -> None:
    for key, item in content.items():
        if key != "rack_exclusion":
            raise InputError("unknown key; expected [[order.rack_exclusion]]", source=path, place=f"order.{key}")
        for index, entry in enumerate(_entries(path, "order.rack_exclusion", item)):
            place = f"order.rack_exclusion[{index}]"
            kinds = _kinds(path, place, entry, ordered=False, allowed={"status", "source"})
            status, source = _provenance(path, place, entry)
            tables.rack_exclusions[kinds] = KindsEntry(kinds, status, source, path)


def _kinds(path: str, place: str, entry, ordered: bool, allowed: set) -> tuple[str, str]:
    """Validate ``kinds = [a, b]`` of an entry; sorted unless ``ordered``."""
    if not isinstance(entry, dict):
        raise InputError("expected a table", source=path, place=place)
    _no_unknown_keys(path, place, entry, allowed | {"kinds"})
    raw = entry.get("kinds")
    if not (isinstance(raw, list) and len(raw) == 2 and all(isinstance(k, str) for k in raw)):
        raise InputError("'kinds' must be a list of two kind names", source=path, place=f"{place}.kinds")
    for kind in raw:
        if kind not in PAIR_KINDS:
            raise InputError(f"unknown kind '{kind}'; expected one of {', '.join(sorted(PAIR_KINDS))}",
                             source=path, place=f"{place}.kinds")
    return (raw[0], raw[1]) if ordered else _pair_key(raw[0], raw[1])


def _read_clearance(path, content, tables: _Tables) -> None:
    values, pairs, default_pair = tables.values, tables.pairs, tables.default_pair
    for key, item in content.items():
        place = f"clearance.{key}"
        if key == "pair":
            if not isinstance(item, list):
                raise InputError("expected an array of tables [[clearance.pair]]", source=path, place=place)
            for index, entry in enumerate(item):
                parsed = _clearance_entry(path, f"clearance.pair[{index}]", entry, with_kinds=True)
                pairs[_pair_key(*parsed.kinds)] = parsed
        elif key == "default":
            default_pair.append(_clearance_entry(path, place, item, with_kinds=False))
        elif key == "parallel_angle":
            values[place] = _leaf(path, place, item)
            angle = values[place].value
            if not 0.0 <= angle <= 90.0:
                raise InputError(f"must lie between 0 and 90 degrees, got {angle}", source=path, place=place)
        else:
            raise InputError("unknown key; expected pair, default or parallel_angle", source=path, place=place)


def _clearance_entry(path: str, place: str, entry: Any, with_kinds: bool) -> ClearanceEntry:
    if not isinstance(entry, dict):
        raise InputError("expected a table", source=path, place=place)
    allowed = {"parallel", "crossing", "status", "source"} | ({"kinds"} if with_kinds else set())
    _no_unknown_keys(path, place, entry, allowed)
    kinds: tuple[str, str] = ("*", "*")
    if with_kinds:
        kinds = _kinds(path, place, entry, ordered=False, allowed=allowed)
        if kinds == (WILDCARD, WILDCARD):
            raise InputError("use [clearance.default] for the pair ['*', '*']", source=path, place=f"{place}.kinds")
    distances = {name: _distance(path, f"{place}.{name}", entry.get(name), MAX_PAIR_DISTANCE)
                 for name in ("parallel", "crossing")}
    status, source = _provenance(path, place, entry)
    return ClearanceEntry(kinds=kinds, parallel=distances["parallel"], crossing=distances["crossing"],
                          status=status, source=source, origin=path)


def _read_values(path: str, prefix: str, content: dict, values: dict) -> None:
    for key, item in content.items():
        place = f"{prefix}.{key}"
        if not isinstance(item, dict):
            raise InputError("expected a table {value = ..., status = ..., source = ...}", source=path, place=place)
        if "value" in item:
            _validate_key(path, place)
            leaf = _leaf(path, place, item)
            earlier = values.get(place)
            if earlier is not None and _value_type(leaf.value) != _value_type(earlier.value):
                raise InputError(f"expected {_value_type(earlier.value)} as in {Path(earlier.origin).name}, got "
                                 f"{leaf.value!r}", source=path, place=f"{place}.value")
            if leaf.value == 0 and (place in POSITIVE_KEYS or place.endswith("diameter")):
                raise InputError("must be greater than 0, got 0", source=path, place=f"{place}.value")
            values[place] = leaf
        else:
            _read_values(path, place, item, values)


def _value_type(value) -> str:
    """How a norm value is written: a number, a text or a list of network kinds."""
    return "a number" if isinstance(value, float) else "a text" if isinstance(value, str) else "a list of kinds"


def _validate_key(path: str, place: str) -> None:
    parts = place.split(".")
    if parts[0] == "networks":
        if len(parts) != 3 or parts[1] not in {k.value for k in NetworkKind} or parts[2] not in NETWORK_KEYS:
            raise InputError(f"unknown key; expected networks.<kind>.<{'|'.join(NETWORK_KEYS)}> with a kind "
                             f"from {', '.join(k.value for k in NetworkKind)}", source=path, place=place)
    if parts[0] in ("placement", "digging") and len(parts) == 3 and parts[1] in ("strip_width", "carriageway_fraction",
                                                                                 "share"):
        if parts[2] not in {k.value for k in NetworkKind}:
            raise InputError(f"unknown network kind '{parts[2]}'", source=path, place=place)


def _leaf(path: str, place: str, item: dict) -> NormValue:
    _no_unknown_keys(path, place, item, {"value", "status", "source", "unit"})
    value = item["value"]
    if isinstance(value, bool) or not isinstance(value, (int, float, str, list)):
        raise InputError("value must be a number, a string or a list", source=path, place=place)
    if isinstance(value, (int, float)):
        value = _distance(path, place, value)
    if isinstance(value, list):
        known = {k.value for k in NetworkKind}
        for kind in value:
            if kind not in known:
                raise InputError(f"unknown network kind '{kind}'", source=path, place=place)
        if not value or len(set(value)) < len(value):
            raise InputError("expected a list of different network kinds, each once", source=path, place=place)
    status, source = _provenance(path, place, item)
    return NormValue(key=place, value=value, status=status, source=source, origin=path)


def _distance(path: str, place: str, value: Any, maximum: float = MAX_RULE_NUMBER) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(f"expected a number, got {value!r}", source=path, place=place)
    if not math.isfinite(value):
        raise InputError(f"expected a finite number, got {value}", source=path, place=place)
    if value < 0:
        raise InputError(f"must not be negative, got {value}", source=path, place=place)
    if value > maximum:
        raise InputError(f"must be at most {maximum:g}, got {value:g}", source=path, place=place)
    return float(value)


def _provenance(path: str, place: str, item: dict) -> tuple[str, str]:
    status = item.get("status")
    if status not in STATUSES:
        raise InputError(f"'status' must be one of {', '.join(STATUSES)}, got {status!r}", source=path,
                         place=f"{place}.status")
    source = item.get("source")
    if not isinstance(source, str) or not source.strip():
        raise InputError("every value needs a 'source' (where it comes from)", source=path, place=f"{place}.source")
    return status, source


def _no_unknown_keys(path: str, place: str, item: dict, allowed: set) -> None:
    for key in item:
        if key not in allowed:
            raise InputError(f"unknown key '{key}'; expected {', '.join(sorted(allowed))}", source=path,
                             place=f"{place}.{key}")


def _check_complete(norms: Norms) -> None:
    required = ["clearance.parallel_angle", "placement.sidewalk_order", "placement.free_strip",
                "placement.vkls_order", "trees.rootable_depth", "trees.root_zone_margin",
                "trees.root_zone_dbh_factor"]
    required += ["cover.rack_min", "access.working_room", "access.trench_width", "duplicates.axis_tolerance",
                 "trees.root_barrier_distance", "trees.dense_root_depth"]
    required += [f"networks.{k.value}.{key}" for k in NetworkKind for key in REQUIRED_NETWORK_KEYS]
    for key in required:
        if key not in norms.values:
            raise InputError(f"the norms lack required value '{key}'", source=norms.files[-1])
    for kind in NetworkKind:
        low, high = (norms.values.get(f"networks.{kind.value}.{bound}") for bound in ("cover_min", "cover_max"))
        if low is not None and high is not None and low.value > high.value:
            later = max((low, high), key=lambda v: norms.files.index(v.origin) if v.origin in norms.files else -1)
            raise InputError(f"cover_min {low.value:g} m is deeper than cover_max {high.value:g} m",
                             source=later.origin, place=later.key)
