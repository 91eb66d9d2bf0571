"""Scale benchmark (issue 7): synthetic cities from 1e4 to 1e8 segments, checked tile by tile.

For every size it generates (or reuses) a city with ``vkls generate city`` and measures, in
one run and on one machine:

- the tiled check (local worker processes) with the clearance rule alone and with the full
  rule set: wall time, segments per second, peak memory of the whole process tree, and where
  the time goes (read, scene, broad phase, narrow phase, rules, grouping; report writing);
- up to ``--single-up-to``: the same check in one pass and (up to ``--dask-up-to``) on a Dask
  LocalCluster, asserting identical conflict ids;
- up to ``--peers-up-to``: the pairwise clearance query on the city's capsules by vkls, by
  python-fcl (DynamicAABBTreeCollisionManager) and by trimesh (CollisionManager on capsule
  meshes), side by side, asserting that vkls and fcl find the same pairs;
- the pairwise-rule throughput (broad + narrow phase + clearance, thermal, duplicate and tree
  rules on one in-memory scene, all cores);
- an extrapolation to the whole country: 2 million km of cables and pipes at the mean
  segment length of real KLIC deliveries (3.09 m) and of the synthetic city.

Usage::

    python benchmarks/bench_scale.py --sizes 1e4 1e5 1e6 1e7 1e8 --data /tmp/vkls-scale \\
        --json benchmarks/scale.json --plot benchmarks/scale.png
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import threading
import time
from pathlib import Path

import numpy as np

# The in-process measurements (pairwise throughput, peers) run with the threading settings of
# `vkls check` (vkls/cli/main.py): numba's OpenMP threads wait passively between parallel regions
# instead of spinning, which otherwise took the cores from the serial steps and the rule threads
# in between (engine + five rules on 1.3e6 segments: 135-137 ms spinning, 126-130 ms passive).
# Set before numba loads its threading layer.
os.environ.setdefault("OMP_WAIT_POLICY", "passive")

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

COUNTRY_KM = 2_000_000.0  # km of cables and pipes in the Netherlands (GPKL key figures, rounded)
KLIC_MEAN_SEGMENT = 3.09  # m, measured on the four KLIC deliveries in shared/data/klic
PAIRWISE_RULES = ("clearance", "thermal", "duplicate", "tree-distance", "root-zone")


class PeakMemory:
    """Samples the resident memory of a process and all its children (MiB) every 50 ms
    (default: this process)."""

    def __init__(self, pid: int | None = None):
        import psutil

        self.root = psutil.Process(pid)
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> float:
        import psutil

        total = 0
        try:
            tree = [self.root] + self.root.children(recursive=True)
        except psutil.Error:  # the process has ended
            return 0.0
        for proc in tree:
            try:
                total += proc.memory_info().rss
            except psutil.Error:
                pass
        return total / 2**20

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self._sample())
            time.sleep(0.05)

    def __enter__(self):
        self.peak = self._sample()
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._sample())


def machine() -> dict:
    import numba
    import psutil

    cpu = platform.processor() or "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
            "python": platform.python_version(), "numba": numba.__version__, "numpy": np.__version__,
            "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", ""), "load_before": os.getloadavg()[0]}


def city_for(segments: int, data: Path, seed: int, per_km: float) -> tuple[Path, dict]:
    """A generated city of about ``segments`` segments (reused when already there)."""
    from vkls.city.generate import generate_city
    from vkls.city.store import is_city_store, read_manifest

    km = segments / per_km
    folder = data / f"city-{segments:.0e}-seed{seed}".replace("+", "")
    if is_city_store(folder):
        manifest = read_manifest(folder)
        if manifest.summary.get("seed") == seed and abs(manifest.summary.get("km_requested", 0) - km) < 1e-6 * km:
            return folder, {"seconds": None, "segments": manifest.n_segments}
    started = time.perf_counter()
    manifest = generate_city(folder, km, seed=seed, **({"force": True} if _accepts_force() else {}))
    return folder, {"seconds": time.perf_counter() - started, "segments": manifest.n_segments}


def _accepts_force() -> bool:
    import inspect

    from vkls.city.generate import generate_city

    return "force" in inspect.signature(generate_city).parameters


def calibrate(data: Path, seed: int) -> float:
    """Segments per km of street of the generator."""
    from vkls.city.generate import generate_city

    manifest = generate_city(data / "calibration", 2.0, seed=seed, **({"force": True} if _accepts_force() else {}))
    return manifest.n_segments / float(manifest.summary.get("km_street", 2.0))


def tiled(folder: Path, rules, workers: int, dask: str | None = None, single_pass: bool = False) -> dict:
    """One city check as the command line runs it, in a fresh Python process (this benchmark's
    own memory and garbage collector stay out of it): the report written to CSV by the workers.
    Wall time, peak memory of the whole process tree, stages and the conflict ids (small cities)."""
    import subprocess

    request = {"folder": str(folder), "rules": rules, "workers": workers, "dask": dask, "single_pass": single_pass}
    child = subprocess.Popen([sys.executable, __file__, "--child", json.dumps(request)], stdout=subprocess.PIPE,
                             text=True)
    with PeakMemory(child.pid) as memory:  # the check's own process tree, not this benchmark
        output, _ = child.communicate()
    if child.returncode:
        raise RuntimeError(f"the check of {folder} failed ({child.returncode})")
    row = json.loads(output.strip().splitlines()[-1])
    row["peak_mib"] = memory.peak
    target = Path(row.pop("report"))
    row["ids"] = _ids(target) if row["segments"] <= 2_000_000 else []
    return row


def _child(request: dict) -> None:
    """The check of :func:`tiled`, in the child process; prints one JSON line."""
    from vkls.city.check import check_city
    from vkls.city.report import StreamingReport
    from vkls.io.atomic import atomic_write

    folder = Path(request["folder"])
    target = folder.parent / f"{folder.name}.conflicts.csv"
    writing = [0.0]
    with atomic_write(target) as stream:
        report = StreamingReport("csv", stream)

        def receive(text):
            clock = time.perf_counter()
            report.add_text(text)
            writing[0] += time.perf_counter() - clock

        result = check_city(str(folder), rule_ids=request["rules"], workers=request["workers"],
                            dask=request["dask"], single_pass=request["single_pass"], report="csv", on_text=receive)
    summary = result.summary()
    summary["seconds"]["writing"] = round(writing[0], 3)
    print(json.dumps({"mode": result.mode, "rules": "all" if not request["rules"] else ",".join(request["rules"]),
                      "segments": result.segments, "conflicts": result.tally.conflicts,
                      "wall": result.seconds["wall"], "segments_per_second": result.segments / result.seconds["wall"],
                      "seconds": summary["seconds"], "segments_read": result.segments_read, "halo": result.halo,
                      "report": str(target)}))


def _ids(report: Path) -> list:
    """Conflict ids of a CSV report, in order."""
    import csv

    with report.open() as stream:
        return [row[0] for row in csv.reader(stream)][1:]


def one_scene(folder: Path):
    """The whole city as one in-memory scene (single pass), with the norms."""
    from vkls.city.store import read_all_tiles, read_manifest
    from vkls.geometry.array_scene import build_array_scene
    from vkls.rules.loader import load_norms

    manifest = read_manifest(folder)
    norms = load_norms(())
    return build_array_scene(read_all_tiles(manifest), norms, manifest.origin), norms


def pairwise_throughput(folder: Path, repeat: int = 5) -> dict:
    """Broad + narrow phase + the pairwise rules on one in-memory scene, every core (best of ``repeat``);
    under ``clearance_alone`` the same with the clearance rule only."""
    from vkls.memory import keep_freed_memory
    from vkls.pipeline import evaluate_rules, scene_contacts
    from vkls.rules import select_rules

    keep_freed_memory()  # as `vkls check` does
    scene, norms = one_scene(folder)

    def best_of(rule_ids) -> dict:
        rules = select_rules(rule_ids)
        best = None
        for _ in range(repeat):
            seconds: dict = {}
            clock = time.perf_counter()
            contacts = scene_contacts(scene, norms, rules, seconds)
            engine = time.perf_counter() - clock
            hits = list(evaluate_rules(rules, scene, contacts, norms).values())  # as a check runs them
            total = time.perf_counter() - clock
            row = {"segments": int(scene.n_capsules), "pairs": int(len(contacts.pairs)), "hits": sum(map(len, hits)),
                   "broad": seconds["broad"], "narrow": seconds["narrow"], "engine": engine,
                   "rules": total - engine, "total": total}
            best = row if best is None or row["total"] < best["total"] else best
        best["segments_per_second_engine"] = best["segments"] / best["engine"]
        best["segments_per_second"] = best["segments"] / best["total"]
        return best

    result = best_of(PAIRWISE_RULES)
    result["clearance_alone"] = best_of(("clearance",))
    return result


def peers(folder: Path, clearance: float, with_fcl: bool, with_trimesh: bool) -> dict:
    """The same query (all capsule pairs of different groups closer than ``clearance``) by vkls,
    python-fcl and trimesh on the city's capsules."""
    from vkls.geometry import kernels as K

    scene, _ = one_scene(folder)
    keep = scene.cap_r > 0  # cables and pipes (tree trunk axes have radius 0)
    a, b, r = (np.ascontiguousarray(x[keep]) for x in (scene.cap_a, scene.cap_b, scene.cap_r))
    group = np.ascontiguousarray(scene.object_group[scene.cap_object[keep]])
    centres = np.round((a + b) / 2, 9)
    _, first = np.unique(centres, axis=0, return_index=True)  # fcl objects are told apart by their centre
    unique = np.sort(first)
    a, b, r, group = a[unique], b[unique], r[unique], group[unique]
    n = len(r)
    row: dict = {"segments": n}

    def query(a, b, r, group):
        lo, hi = K.capsule_aabbs(a, b, r, np.full(len(r), clearance / 2))
        candidates = K.candidate_pairs(lo, hi, group)
        return candidates, K.capsule_capsule_geometry(candidates, a, b, r)[0]

    query(a[:200], b[:200], r[:200], group[:200])  # warm: compiled (or loaded from numba's cache) outside the clock
    clock = time.perf_counter()
    candidates, distance = query(a, b, r, group)
    ours = candidates[distance < clearance]
    row["vkls_s"] = time.perf_counter() - clock
    row["pairs"] = int(len(ours))
    if with_fcl:
        from benchmarks.bench_engine import fcl_close_pairs

        class Capsules:
            pass

        capsules = Capsules()
        capsules.cap_a, capsules.cap_b, capsules.cap_r, capsules.group = a, b, r, group
        capsules.clearance, capsules.n = clearance, n
        found, (_, _, total), _ = fcl_close_pairs(capsules)
        row["fcl_s"] = total
        row["fcl_ratio"] = total / row["vkls_s"]
        theirs = {tuple(p) for p in found}
        mine = {tuple(p) for p in ours}
        near_edge = np.abs(distance - clearance) < 1e-6
        edge = {tuple(p) for p in candidates[near_edge]}
        row["fcl_same_pairs"] = (theirs ^ mine) <= edge
    if with_trimesh:
        row.update(_trimesh(a, b, r, group, clearance, ours))
        row["trimesh_ratio"] = row["trimesh_s"] / row["vkls_s"]
    return row


def _trimesh(a, b, r, group, clearance, ours) -> dict:
    import trimesh

    clock = time.perf_counter()
    manager = trimesh.collision.CollisionManager()
    for i in range(len(r)):
        axis = b[i] - a[i]
        length = float(np.linalg.norm(axis))
        mesh = trimesh.creation.capsule(height=max(length, 1e-6), radius=float(r[i] + clearance / 2), count=[8, 8])
        transform = trimesh.geometry.align_vectors([0, 0, 1], axis / length if length > 0 else [0, 0, 1])
        transform[:3, 3] = (a[i] + b[i]) / 2  # trimesh's capsule is centred on the origin
        manager.add_object(str(i), mesh, transform=transform)
    _, names = manager.in_collision_internal(return_names=True)
    pairs = {tuple(sorted((int(p), int(q)))) for p, q in names if group[int(p)] != group[int(q)]}
    seconds = time.perf_counter() - clock
    mine = {tuple(p) for p in ours}
    return {"trimesh_s": seconds, "trimesh_pairs": len(pairs), "trimesh_common": len(pairs & mine)}


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        _child(json.loads(sys.argv[2]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", nargs="+", type=float, default=[1e4, 1e5, 1e6])
    parser.add_argument("--data", type=Path, default=Path("/tmp/vkls-scale"))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    parser.add_argument("--single-up-to", type=float, default=1e6)
    parser.add_argument("--dask-up-to", type=float, default=1e6)
    parser.add_argument("--peers-up-to", type=float, default=1e5, help="trimesh up to this size")
    parser.add_argument("--fcl-up-to", type=float, default=1e6)
    parser.add_argument("--pairwise-at", type=float, default=1e6)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--plot", type=Path, default=None)
    parser.add_argument("--replot", action="store_true", help="only draw --plot from the results in --json")
    args = parser.parse_args()
    if args.replot:
        plot(json.loads(args.json.read_text()), args.plot)
        return
    args.data.mkdir(parents=True, exist_ok=True)
    results = {"machine": machine(), "sizes": []}
    per_km = calibrate(args.data, args.seed)
    print(f"generator: {per_km:,.0f} segments per km of street", flush=True)
    tiled(args.data / "calibration", None, 1)  # warm up: numba's compiled kernels loaded from its cache
    for size in args.sizes:
        segments = int(size)
        folder, generated = city_for(segments, args.data, args.seed, per_km)
        row: dict = {"target": segments, "generated": generated}
        row["clearance"] = tiled(folder, ["clearance"], args.workers)
        row["all"] = tiled(folder, None, args.workers)
        row["segments"] = row["all"]["segments"]
        if segments <= args.single_up_to:
            single = tiled(folder, None, 1, single_pass=True)
            row["single"] = {k: v for k, v in single.items() if k != "ids"}
            row["single_equal"] = sorted(single["ids"]) == sorted(row["all"]["ids"])
        if segments <= args.dask_up_to:
            on_dask = tiled(folder, None, args.workers, dask="local")
            row["dask"] = {k: v for k, v in on_dask.items() if k != "ids"}
            row["dask_equal"] = on_dask["ids"] == row["all"]["ids"]
        if segments <= args.fcl_up_to:
            row["peers"] = peers(folder, 0.3, with_fcl=True, with_trimesh=segments <= args.peers_up_to)
        if segments == int(args.pairwise_at):
            row["pairwise"] = pairwise_throughput(folder)
        for key in ("clearance", "all"):
            row[key].pop("ids")
        results["sizes"].append(row)
        _print_row(row)
        if args.json:
            args.json.write_text(json.dumps(results, indent=1, default=float))
    results["country"] = country(results)
    print(json.dumps(results["country"], indent=1))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=float))
    if args.plot:
        plot(results, args.plot)


def _print_row(row: dict) -> None:
    c, a = row["clearance"], row["all"]
    line = (f"{row['segments']:>11,} seg | clearance {c['wall']:7.1f} s {c['segments_per_second']:>10,.0f}/s "
            f"{c['peak_mib']:6.0f} MiB | all rules {a['wall']:7.1f} s {a['segments_per_second']:>10,.0f}/s "
            f"{a['peak_mib']:6.0f} MiB {a['conflicts']:>9,} conflicts")
    for key in ("single_equal", "dask_equal"):
        if key in row:
            line += f" | {key} {row[key]}"
    print(line, flush=True)
    if "peers" in row:
        print("   peers:", {k: (round(v, 3) if isinstance(v, float) else v) for k, v in row["peers"].items()})
    if "pairwise" in row:
        print("   pairwise:", {k: (round(v, 3) if isinstance(v, float) else v) for k, v in row["pairwise"].items()
                                if k != "clearance_alone"})
        print("   clearance alone:", {k: (round(v, 3) if isinstance(v, float) else v)
                                      for k, v in row["pairwise"]["clearance_alone"].items()})
    print("   stages (all rules, s summed over workers):", a["seconds"], flush=True)


def country(results: dict) -> dict:
    """Extrapolate the largest measured tiled runs to the whole country."""
    largest = max(results["sizes"], key=lambda r: r["segments"])
    out = {"measured_at_segments": largest["segments"]}
    for length_name, length in (("klic_3.09m", KLIC_MEAN_SEGMENT),):
        segments = COUNTRY_KM * 1000 / length
        for key in ("clearance", "all"):
            rate = largest[key]["segments_per_second"]
            out[f"{key}_{length_name}"] = {"segments": segments, "minutes": segments / rate / 60,
                                           "peak_mib_measured": largest[key]["peak_mib"]}
    return out


def plot(results: dict, target: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = results["sizes"]
    n = np.array([r["segments"] for r in rows], dtype=float)
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for key, label, colour in (("clearance", "clearance alone", "#1f77b4"), ("all", "all rules", "#d62728")):
        wall = np.array([r[key]["wall"] for r in rows])
        peak = np.array([r[key]["peak_mib"] for r in rows])
        left.loglog(n, wall, "o-", color=colour, label=f"{label}, tiled (one process below 2M segments)")
        right.semilogx(n, peak / 1024, "o-", color=colour, label=label)
    single = [(r["segments"], r["single"]["wall"], r["single"]["peak_mib"]) for r in rows if "single" in r]
    if single:
        s = np.array(single)
        left.loglog(s[:, 0], s[:, 1], "s--", color="grey", label="all rules, one pass")
        right.semilogx(s[:, 0], s[:, 2] / 1024, "s--", color="grey", label="all rules, one pass")
    reference = n / 1e6
    left.loglog(n, reference, ":", color="black", label="1 s per million segments")
    country_runs = results.get("country", {})
    for key, colour in (("clearance", "#1f77b4"), ("all", "#d62728")):
        run = country_runs.get(f"{key}_klic_3.09m")
        if run:  # extrapolated from the largest run at its throughput
            left.loglog([n[-1], run["segments"]], [rows[-1][key]["wall"], run["minutes"] * 60], "--", color=colour,
                        alpha=0.6)
            left.loglog([run["segments"]], [run["minutes"] * 60], "*", color=colour, markersize=11)
    if country_runs:
        segments = country_runs["all_klic_3.09m"]["segments"]
        left.loglog([segments / 3, segments * 1.6], [600, 600], "-", color="black", linewidth=0.8)
        left.annotate("country target: 10 min\n(* extrapolated, 2M km)", (segments / 3, 600),
                      textcoords="offset points", xytext=(-118, -8), fontsize=8)
        left.set_ylim(top=3000)
    left.set_xlabel("segments")
    left.set_ylabel("wall time (s)")
    left.set_title("time against size")
    left.legend(fontsize=8, loc="lower right")
    right.axhline(8, color="black", linestyle=":", label="8 GB target")
    right.set_xlabel("segments")
    right.set_ylabel("peak memory, process tree (GiB)")
    right.set_title("memory against size")
    right.legend(fontsize=8)
    fig.suptitle(f"vkls check on synthetic cities ({results['machine']['cpu']}, {results['machine']['cores']} cores)",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(target, dpi=110)


if __name__ == "__main__":
    main()
