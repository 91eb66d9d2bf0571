"""Rules: one module per kind of rule, all with the interface of :class:`vkls.rules.base.Rule`."""

from __future__ import annotations


def default_rules() -> list:
    """The rules a check runs, in report order."""
    from vkls.rules.access import AccessRule
    from vkls.rules.bend import BendRadiusRule
    from vkls.rules.clearance import ClearanceRule
    from vkls.rules.cover import CoverDepthRule, SewerInvertRule
    from vkls.rules.duplicates import DuplicateRule
    from vkls.rules.order import OrderRule
    from vkls.rules.reservations import ReservationRule
    from vkls.rules.thermal import ThermalRule
    from vkls.rules.trees import RootZoneRule, TreeTrunkRule

    return [ClearanceRule(), ThermalRule(), DuplicateRule(), CoverDepthRule(), SewerInvertRule(), OrderRule(),
            TreeTrunkRule(), RootZoneRule(), BendRadiusRule(), AccessRule(), ReservationRule()]
