"""What the full rule set costs against clearance alone, on long synthetic streets.

A synthetic Leiden-like street (the NEN 7171 sample's cross-section: nine networks, house
connections every 6 m, sewer connections every 12 m, a tree every 12 m) is swept along a
gently curving route of L km. The same scene is checked with the clearance rule only and
with every rule, side by side in one run; times are split into scene building, engine
(broad + narrow phase) and rules (evaluation, grouping, explanations).

    python benchmarks/bench_rules.py [--km 1 10 80]
"""

from __future__ import annotations

import argparse
import platform
import resource
import time

import numpy as np

from vkls.model import Arrangement, ConnectionSpec, Network, NetworkKind, Route, Street, Tree, Zone
from vkls.pipeline import check_street
from vkls.rules import default_rules
from vkls.rules.clearance import ClearanceRule
from vkls.rules.loader import load_norms


def synthetic_street(km: float, norms) -> Street:
    """A NEN 7171 street of ``km`` kilometres on a wide S-curve (radius 2 km) in RD New."""
    length = km * 1000.0
    s = np.linspace(0.0, length, max(2, int(length / 25.0) + 1))
    y = 200.0 * np.sin(s / 2000.0)
    xy = np.column_stack([150000.0 + s, 460000.0 + y])
    kinds = [("T1", NetworkKind.DATATRANSPORT, 0.60, 0.60, 2), ("L1", NetworkKind.LAAGSPANNING, 1.15, 0.85, 1),
             ("G1", NetworkKind.GAS_LAGE_DRUK, 1.90, 0.70, 1), ("W1", NetworkKind.WATER, 2.50, 1.00, 1),
             ("M1", NetworkKind.MIDDENSPANNING, 3.10, 0.90, 1), ("OVL1", NetworkKind.OPENBARE_VERLICHTING, 3.50, 0.50, 1),
             ("H1", NetworkKind.WARMTE, 7.40, 0.80, 1), ("R1", NetworkKind.RIOOL_VRIJVERVAL, 8.75, 1.50, 1)]
    networks = tuple(Network(i, k, "synthetic", norms.number(f"networks.{k.value}.diameter"), count, offset, depth)
                     for i, k, offset, depth, count in kinds)

    def connection(network, start, run=None, facade=None, spacing=6.0):
        kind = next(n.kind.value for n in networks if n.id == network)
        return ConnectionSpec(network, spacing, start, norms.number(f"networks.{kind}.connection_diameter"),
                              facade if facade is not None else norms.number(f"networks.{kind}.connection_facade_depth"),
                              run)

    connections = (connection("T1", 1.0), connection("L1", 2.0), connection("G1", 3.0, run=1.12),
                   connection("W1", 4.0, run=1.2), connection("R1", 12.0, facade=1.4, spacing=12.0))
    trees = tuple(Tree(f"B{k}", c, 5.2, "3", 0.25, 2.5) for k, c in enumerate(np.arange(6.0, length, 12.0)))
    zones = (Zone("sidewalk", 3.6, "paving"), Zone("parking", 2.4, "parking"), Zone("carriageway", 5.5, "asphalt"))
    return Street(name=f"synthetic {km:g} km", source="synthetic", route=Route(xy, 0.2, "right"), zones=zones,
                  arrangement=Arrangement.HORIZONTAL, networks=networks, trees=trees, connections=connections)


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--km", type=float, nargs="+", default=[1.0, 10.0, 80.0])
    args = parser.parse_args()
    norms = load_norms()
    warm = synthetic_street(0.05, norms)
    check_street(warm, norms)  # compile / load the kernels before timing
    print(f"Machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}")
    print("| street | segments | rules | scene s | engine s | rules s | total s | segments/s | conflicts | peak RSS MiB |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for km in args.km:
        street = synthetic_street(km, norms)
        for label, rules in (("clearance only", [ClearanceRule()]), ("all 11 rules", default_rules())):
            start = time.perf_counter()
            result = check_street(street, norms, rules=rules)
            total = time.perf_counter() - start
            t = result.seconds
            n = result.scene.n_capsules
            print(f"| {km:g} km | {n:,} | {label} | {t['scene']:.2f} | {t['engine']:.2f} | {t['rules']:.2f} | "
                  f"{total:.2f} | {n / total / 1e6:.2f} M | {len(result.conflicts):,} | {peak_rss_mib():.0f} |",
                  flush=True)


if __name__ == "__main__":
    main()
