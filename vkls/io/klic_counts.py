"""What a KLIC import read, used and skipped, per IMKL object type, with reasons.

Nothing is dropped silently: every feature member of the delivery is counted under its type,
and every skip has a reason and the ids of (the first few of) the objects it concerns.
:meth:`ImportCounts.summary` is the one line ``vkls check`` prints on stderr for a KLIC input;
:meth:`ImportCounts.lines` the table ``vkls check --verbose`` prints.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

#: Ids named per skip reason in the verbose table (the count always covers all of them).
NAMED_IDS = 3


@dataclass
class TypeCount:
    """Counts of one IMKL object type.

    Attributes
    ----------
    read : int
        Feature members of this type in the delivery.
    used : int
        Objects that became part of the check (cables, pipes, containers, attached depths).
    skipped : Counter reason -> int
    named : dict reason -> list of str
        The first :data:`NAMED_IDS` object ids per reason.
    """

    read: int = 0
    used: int = 0
    skipped: Counter = field(default_factory=Counter)
    named: dict = field(default_factory=dict)

    def skip(self, reason: str, object_id: str) -> None:
        """Count one skipped object under ``reason`` (and name it if few are named yet)."""
        self.skipped[reason] += 1
        ids = self.named.setdefault(reason, [])
        if len(ids) < NAMED_IDS:
            ids.append(object_id)

    @property
    def n_skipped(self) -> int:
        return sum(self.skipped.values())


#: Types that give structure (geometry, network, operator): used through the cables and pipes.
SUPPORT_TYPES = ("UtilityLink", "Utiliteitsnet", "Beheerder", "Belanghebbende")
#: Why the other IMKL types are not checked.
ROLE_OF_TYPE = {
    "Annotatie": "map annotation (labels, arrows): not a cable or pipe",
    "Maatvoering": "dimensioning on the map: not a cable or pipe",
    "EigenTopografie": "the operator's own topography: not a cable or pipe",
    "ExtraGeometrie": "an extra outline of an object: vkls uses the centre lines",
    "AanduidingEisVoorzorgsmaatregel": "an area where the operator requires precautions: read its notice",
    "EisVoorzorgsmaatregelBijlage": "the operator's precaution notice (a document)",
    "ExtraDetailinfo": "a link to a detail document",
    "Bijlage": "an attached document",
    **{name: "a point object (fitting, cabinet, manhole, mast, building): not modelled"
       for name in ("Appurtenance", "Kast", "Mast", "Put", "Toren", "TechnischGebouw", "Leidingelement")},
    **{name: "delivery administration" for name in ("GebiedsinformatieLevering", "GebiedsinformatieAanvraag",
                                                     "Graafpolygoon", "Orientatiepolygoon", "Informatiepolygoon",
                                                     "Belang", "BelangGeneriek")},
}
#: Reason for any other type.
NOT_MODELLED = "not a cable or pipe (not checked)"


@dataclass
class ImportCounts:
    """Counts of a whole delivery.

    Attributes
    ----------
    source : str
        The file as the user named it.
    types : dict type -> TypeCount
    diameters_given, diameters_default : int
        Cables and pipes whose diameter came from the delivery / from the kind's default.
    depths_standard, depths_default, depths_annotated : int
        Cables and pipes whose depth came from the network's ``standaardDieptelegging`` / the
        kind's default cover / ``Diepte`` annotations (interpolated along them).
    groups : int
        Containers that hold at least one cable or pipe (one group each: never paired).
    notes : list of str
        Decisions worth telling (theme mappings, a pressure sewer checked as a sewer, ...).
    """

    source: str
    types: dict = field(default_factory=dict)
    diameters_given: int = 0
    diameters_default: int = 0
    depths_standard: int = 0
    depths_default: int = 0
    depths_annotated: int = 0
    groups: int = 0
    notes: list = field(default_factory=list)

    def of(self, type_name: str) -> TypeCount:
        """The counts of ``type_name`` (created on first use)."""
        return self.types.setdefault(type_name, TypeCount())

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def totals(self, type_names) -> tuple[int, int, int]:
        """(read, used, skipped) summed over ``type_names``."""
        chosen = [self.types[t] for t in type_names if t in self.types]
        return sum(c.read for c in chosen), sum(c.used for c in chosen), sum(c.n_skipped for c in chosen)

    def summary(self, line_types, depth_types) -> str:
        """One line: cables and pipes read / used / skipped, depth annotations, the rest."""
        read, used, skipped = self.totals(line_types)
        d_read, d_used, _ = self.totals(depth_types)
        others = sum(c.read for t, c in self.types.items()
                     if t not in line_types and t not in depth_types and t not in SUPPORT_TYPES)
        reasons = Counter()
        for t in line_types:
            if t in self.types:
                reasons.update(self.types[t].skipped)
        why = f" ({'; '.join(f'{n} {r}' for r, n in reasons.most_common(3))})" if reasons else ""
        return (f"KLIC {self.source}: {used} of {read} cables, pipes and containers used, {skipped} skipped{why}; "
                f"{d_used} of {d_read} depth annotations attached; {others} map and administration objects "
                f"not checked (--verbose lists them)")

    def lines(self, line_types, depth_types) -> list[str]:
        """The verbose table: one row per type (read, used, skipped), then reasons with named ids."""
        rows = [self.summary(line_types, depth_types), "", f"{'IMKL type':<32} {'read':>6} {'used':>6} {'skipped':>8}"]
        order = [t for t in (*line_types, *depth_types) if t in self.types]
        order += sorted(t for t in self.types if t not in order)
        for type_name in order:
            count = self.types[type_name]
            rows.append(f"{type_name:<32} {count.read:>6} {count.used:>6} {count.n_skipped:>8}")
            for reason, n in count.skipped.most_common():
                ids = ", ".join(count.named.get(reason, []))
                more = f", +{n - len(count.named.get(reason, []))} more" if n > len(count.named.get(reason, [])) else ""
                rows.append(f"    {n} {reason}" + (f": {ids}{more}" if ids else ""))
        rows += ["", f"diameters: {self.diameters_given} from the delivery, {self.diameters_default} kind defaults; "
                     f"depths: {self.depths_annotated} from Diepte annotations, {self.depths_standard} from the "
                     f"network's standaardDieptelegging, {self.depths_default} kind defaults; "
                     f"{self.groups} containers hold cables or pipes; the lines of one network and of a container "
                     f"are never paired with each other"]
        rows += [f"note: {text}" for text in self.notes]
        return rows
