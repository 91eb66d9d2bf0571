"""Small wording helpers shared by the rules' explanations."""

from __future__ import annotations

from vkls.geometry.tolerances import REPORT_DECIMALS


def metres(value: float) -> str:
    """``0.183`` -> ``"0.18 m"`` (two decimals in sentences; reports keep millimetres)."""
    return f"{value:.2f} m"


def at_chainage(conflict) -> str:
    """``over 12.4 m (chainage 8.0-20.4)`` for runs side by side, else ``at chainage 12.0``."""
    if conflict.regime in ("parallel", "stacked", "n/a") and conflict.length >= 0.05:
        return (f"over {conflict.length:.1f} m (chainage {conflict.chainage_start:.1f}"
                f"–{conflict.chainage_end:.1f})")
    return f"at chainage {conflict.chainage:.1f}"


def provenance(conflict) -> str:
    """``practitioner default, source: ...`` for the norm value a conflict was judged by."""
    status = {"normative": "normative value", "practitioner": "practitioner default",
              "local": "local requirement"}.get(conflict.status, conflict.status)
    return f"{status}; source: {conflict.source}"


def relation(conflict) -> str:
    """``above``, ``below`` or ``above or below``: where object a lies relative to object b."""
    return {1: "above", -1: "below"}.get(conflict.a_above_b, "above or below")


__all__ = ["metres", "at_chainage", "provenance", "relation", "REPORT_DECIMALS"]
