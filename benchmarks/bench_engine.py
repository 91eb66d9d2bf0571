"""Engine throughput benchmark (issue 2): vkls kernels vs brute force vs python-fcl.

Run from the repository root::

    python benchmarks/bench_engine.py                      # 1e4 1e5 1e6 3e6
    python benchmarks/bench_engine.py --sizes 1e4 1e5 --no-write

For every size N a synthetic street grid (benchmarks/synthetic.py) is built
and the same question is answered three ways: which pairs of capsules of
different networks are closer than the clearance (surface distance < C)?

- vkls: ``capsule_aabbs`` -> ``candidate_pairs`` -> ``capsule_capsule_geometry``
  -> filter ``distance < C`` (warm: after a JIT warm-up; compile time is
  measured separately in fresh processes);
- brute force: numpy-vectorised exact segment distance over all O(N^2) pairs
  (only up to ``--brute-max``);
- python-fcl: ``DynamicAABBTreeCollisionManager`` over capsules inflated by
  C/2, a Python callback that skips same-network pairs and calls
  ``fcl.collide`` (up to ``--fcl-max`` and while the projected time stays
  under ``--fcl-budget`` seconds).

The pair sets are asserted equal where the methods run (pairs with
``|d - C|`` below the method's tolerance are ignored and counted). Results
go into benchmarks/RESULTS.md under "## Engine throughput (issue 2)".
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

# GNU OpenMP threads spin-wait between parallel regions by default; on a busy
# 2-core machine that made 1e5-segment runs up to 10x slower (measured while
# developing). Passive waiting costs ~nothing when the machine is idle. This
# must be set before numba loads its OpenMP threading layer.
os.environ.setdefault("OMP_WAIT_POLICY", "passive")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.synthetic import street_network  # noqa: E402
from vkls.geometry import kernels as K  # noqa: E402

HEADING = "## Engine throughput (issue 2)"
FCL_TOLERANCE = 1e-6  # m; pairs this close to the clearance may differ
BRUTE_TOLERANCE = 1e-9  # m


# --------------------------------------------------------------------------- #
# Memory: peak RSS delta via /proc (covers numba's allocator, which           #
# tracemalloc does not see).                                                  #
# --------------------------------------------------------------------------- #


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return -1


def peak_rss_delta(fn):
    """Run fn(); return (result, peak RSS above the RSS before, in MiB)."""
    gc.collect()
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # reset VmHWM to the current RSS
        resettable = True
    except OSError:
        resettable = False
    before = _status_kib("VmRSS")
    out = fn()
    peak = _status_kib("VmHWM")
    if not resettable:
        return out, float("nan")
    return out, (peak - before) / 1024.0


# --------------------------------------------------------------------------- #
# The three methods.                                                          #
# --------------------------------------------------------------------------- #


def vkls_close_pairs(sc):
    lo, hi = K.capsule_aabbs(sc.cap_a, sc.cap_b, sc.cap_r, sc.margin)
    cand = K.candidate_pairs(lo, hi, sc.group)
    d, _, _, _ = K.capsule_capsule_geometry(cand, sc.cap_a, sc.cap_b, sc.cap_r)
    close = d < sc.clearance
    return cand, d, cand[close], d[close]


def vkls_timed(sc):
    t0 = time.perf_counter()
    lo, hi = K.capsule_aabbs(sc.cap_a, sc.cap_b, sc.cap_r, sc.margin)
    t1 = time.perf_counter()
    cand = K.candidate_pairs(lo, hi, sc.group)
    t2 = time.perf_counter()
    d, _, _, _ = K.capsule_capsule_geometry(cand, sc.cap_a, sc.cap_b, sc.cap_r)
    close = cand[d < sc.clearance]
    t3 = time.perf_counter()
    return (t1 - t0, t2 - t1, t3 - t2, t3 - t0), len(cand), len(close)


def segment_distance_np(p1, q1, p2, q2):
    """Exact segment distances, vectorised: min over the interior critical
    point and the four edges of the parameter square (independent of the
    kernel's Ericson routine)."""
    d1 = q1 - p1
    d2 = q2 - p2
    r = p1 - p2

    def point_seg(pt, a, d):
        dd = np.einsum("ij,ij->i", d, d)
        t = np.einsum("ij,ij->i", pt - a, d) / np.where(dd > 0, dd, 1.0)
        t = np.clip(np.where(dd > 0, t, 0.0), 0.0, 1.0)
        v = pt - a - t[:, None] * d
        return np.einsum("ij,ij->i", v, v)

    best = np.minimum(
        np.minimum(point_seg(p1, p2, d2), point_seg(q1, p2, d2)),
        np.minimum(point_seg(p2, p1, d1), point_seg(q2, p1, d1)),
    )
    a = np.einsum("ij,ij->i", d1, d1)
    e = np.einsum("ij,ij->i", d2, d2)
    b = np.einsum("ij,ij->i", d1, d2)
    c = np.einsum("ij,ij->i", d1, r)
    f = np.einsum("ij,ij->i", d2, r)
    den = a * e - b * b
    ok = den > 1e-12 * a * e
    sden = np.where(ok, den, 1.0)
    s = (b * f - c * e) / sden
    t = (a * f - b * c) / sden
    inside = ok & (s >= 0) & (s <= 1) & (t >= 0) & (t <= 1)
    s = np.where(inside, s, 0.0)
    t = np.where(inside, t, 0.0)
    v = r + s[:, None] * d1 - t[:, None] * d2
    crit = np.where(inside, np.einsum("ij,ij->i", v, v), np.inf)
    return np.sqrt(np.minimum(best, crit))


def brute_close_pairs(sc, chunk_pairs=2_000_000):
    n = sc.n
    a, b, r, g, C = sc.cap_a, sc.cap_b, sc.cap_r, sc.group, sc.clearance
    out_i, out_j, out_d = [], [], []
    rows = max(1, chunk_pairs // n)
    for i0 in range(0, n, rows):
        i1 = min(n, i0 + rows)
        ii, jj = np.meshgrid(np.arange(i0, i1), np.arange(n), indexing="ij")
        keep = (jj > ii) & (g[ii] != g[jj])
        ii = ii[keep]
        jj = jj[keep]
        d = segment_distance_np(a[ii], b[ii], a[jj], b[jj]) - r[ii] - r[jj]
        close = d < C + BRUTE_TOLERANCE
        out_i.append(ii[close])
        out_j.append(jj[close])
        out_d.append(d[close])
    return np.stack([np.concatenate(out_i), np.concatenate(out_j)], 1), np.concatenate(out_d)


def fcl_close_pairs(sc):
    import fcl

    a, b, r, g, C = sc.cap_a, sc.cap_b, sc.cap_r, sc.group, sc.clearance
    t0 = time.perf_counter()
    objs = []
    index = {}
    for i in range(sc.n):
        d = b[i] - a[i]
        length = float(np.linalg.norm(d))
        z = d / length if length > 0 else np.array([0.0, 0.0, 1.0])
        h = np.array([1.0, 0.0, 0.0]) if abs(z[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
        x = np.cross(h, z)
        x /= np.linalg.norm(x)
        rot = np.stack([x, np.cross(z, x), z], 1)
        centre = (a[i] + b[i]) / 2
        o = fcl.CollisionObject(fcl.Capsule(float(r[i] + C / 2), length), fcl.Transform(rot, centre))
        objs.append(o)
        index[tuple(o.getTranslation())] = i
    if len(index) != sc.n:
        raise RuntimeError("segment centres are not unique; cannot map fcl objects back")
    manager = fcl.DynamicAABBTreeCollisionManager()
    manager.registerObjects(objs)
    manager.setup()
    t1 = time.perf_counter()
    found = []
    request = fcl.CollisionRequest()
    calls = [0]

    def callback(o1, o2, _cdata):
        calls[0] += 1
        i = index[tuple(o1.getTranslation())]
        j = index[tuple(o2.getTranslation())]
        if g[i] == g[j]:
            return False
        if fcl.collide(o1, o2, request, fcl.CollisionResult()):
            found.append((i, j) if i < j else (j, i))
        return False

    manager.collide(fcl.CollisionData(), callback)
    t2 = time.perf_counter()
    pairs = np.array(sorted(found), dtype=np.int64).reshape(-1, 2)
    return pairs, (t1 - t0, t2 - t1, t2 - t0), calls[0]


def compare_sets(ref_pairs, got_pairs, d_lookup, clearance, tol):
    """Symmetric difference of two pair sets, ignoring pairs within tol of C."""
    ref = set(map(tuple, ref_pairs.tolist()))
    got = set(map(tuple, got_pairs.tolist()))
    diff = ref ^ got
    bad = [p for p in diff if not (p in d_lookup and abs(d_lookup[p] - clearance) <= tol)]
    return len(diff), bad


# --------------------------------------------------------------------------- #
# Compile time, machine info.                                                 #
# --------------------------------------------------------------------------- #

_COMPILE_SNIPPET = """
import sys, time
sys.path.insert(0, {root!r})
t0 = time.perf_counter()
from benchmarks.synthetic import street_network
from vkls.geometry import kernels as K
sc = street_network(2000, seed=0)
lo, hi = K.capsule_aabbs(sc.cap_a, sc.cap_b, sc.cap_r, sc.margin)
cand = K.candidate_pairs(lo, hi, sc.group)
K.capsule_capsule_geometry(cand, sc.cap_a, sc.cap_b, sc.cap_r)
print(time.perf_counter() - t0)
"""


def compile_times():
    """(cold compile s, load-from-cache s), each in a fresh interpreter."""
    code = _COMPILE_SNIPPET.format(root=str(ROOT))
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, NUMBA_CACHE_DIR=tmp)
        cold = float(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                                    check=True).stdout.strip())
        warm = float(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                                    check=True).stdout.strip())
    return cold, warm


def machine_info():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem_gib = float("nan")
    try:
        with open("/proc/meminfo") as f:
            mem_gib = int(f.readline().split()[1]) / 1024**2
    except OSError:
        pass
    import numba

    try:
        import fcl

        fcl_version = fcl.__version__
    except ImportError:  # pragma: no cover
        fcl_version = "not installed"
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "numba_threads": numba.get_num_threads(),
        "threading_layer": numba.config.THREADING_LAYER,
        "ram_gib": mem_gib,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numba": numba.__version__,
        "python-fcl": fcl_version,
        "os": platform.platform(),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", ""),
    }


# --------------------------------------------------------------------------- #
# Main.                                                                       #
# --------------------------------------------------------------------------- #


def fmt_rate(n, seconds):
    return f"{n / seconds / 1e6:.2f} M/s" if seconds > 0 else "-"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", nargs="+", type=float, default=[1e4, 1e5, 1e6, 3e6])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=7, help="timed vkls runs per size (median reported)")
    ap.add_argument("--brute-max", type=float, default=1e4)
    ap.add_argument("--fcl-max", type=float, default=1e6)
    ap.add_argument("--fcl-budget", type=float, default=150.0, help="skip fcl when projected above this (s)")
    ap.add_argument("--no-compile-time", action="store_true")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes]

    info = machine_info()
    print(info)
    cold = warm_load = float("nan")
    if not args.no_compile_time:
        cold, warm_load = compile_times()
        print(f"compile: cold {cold:.1f} s, from cache {warm_load:.2f} s")

    # JIT warm-up in this process.
    vkls_close_pairs(street_network(2000, seed=0))
    import numba

    info["threading_layer"] = numba.threading_layer()

    rows = []
    fcl_rate = None  # seconds per segment of the last fcl run
    for n in sizes:
        t = time.perf_counter()
        sc = street_network(n, seed=args.seed)
        gen = time.perf_counter() - t
        # Warm run with the same size (first touch of memory), then timed runs.
        (cand, d, close, dclose), mem = peak_rss_delta(lambda: vkls_close_pairs(sc))
        load_before = os.getloadavg()[0]
        runs = [vkls_timed(sc) for _ in range(args.repeat)]
        stages = np.median(np.array([r[0] for r in runs]), axis=0)
        t_vkls = float(stages[3])
        row = {
            "n": n,
            "gen_s": gen,
            "candidates": len(cand),
            "close": len(close),
            "overlapping": int((d < 0).sum()),
            "vkls_s": t_vkls,
            "vkls_min_s": float(min(r[0][3] for r in runs)),
            "aabb_s": float(stages[0]),
            "broad_s": float(stages[1]),
            "narrow_s": float(stages[2]),
            "vkls_mem_mib": mem,
            "load": load_before,
        }
        print(f"N={n}: vkls {t_vkls:.3f} s ({fmt_rate(n, t_vkls)}; best {row['vkls_min_s']:.3f} s), "
              f"candidates {len(cand)}, close {len(close)}, peak +{mem:.0f} MiB, load {load_before:.2f}")
        d_lookup = None

        def lookup():
            nonlocal d_lookup
            if d_lookup is None:
                d_lookup = dict(zip(map(tuple, cand.tolist()), d.tolist()))
            return d_lookup

        if n <= args.brute_max:
            t = time.perf_counter()
            bpairs, bd = brute_close_pairs(sc)
            row["brute_s"] = time.perf_counter() - t
            strict = bd < sc.clearance
            n_diff, bad = compare_sets(bpairs[strict], close, lookup(), sc.clearance, BRUTE_TOLERANCE)
            assert not bad, f"vkls != brute force on {len(bad)} pairs, e.g. {bad[:5]}"
            # Distances agree too.
            bmap = dict(zip(map(tuple, bpairs.tolist()), bd.tolist()))
            err = max((abs(bmap[p] - lookup()[p]) for p in map(tuple, close.tolist()) if p in bmap), default=0.0)
            row["brute_max_abs_diff"] = err
            row["brute_ignored"] = n_diff
            assert err <= 1e-9, err
            print(f"  brute {row['brute_s']:.1f} s, same pair set (ignored at limit: {n_diff}), max |dd| {err:.1e}")
        else:
            row["brute_s"] = None

        projected = fcl_rate * n if fcl_rate is not None else None
        if n <= args.fcl_max and (projected is None or projected <= args.fcl_budget):
            (fpairs, (tb, tq, tt), calls), fmem = peak_rss_delta(lambda: fcl_close_pairs(sc))
            fcl_rate = tt / n
            n_diff, bad = compare_sets(fpairs, close, lookup(), sc.clearance, FCL_TOLERANCE)
            assert not bad, f"vkls != fcl on {len(bad)} pairs, e.g. {bad[:5]}"
            row.update(fcl_s=tt, fcl_build_s=tb, fcl_query_s=tq, fcl_calls=calls, fcl_ignored=n_diff,
                       fcl_mem_mib=fmem)
            print(f"  fcl {tt:.1f} s (build {tb:.1f}, collide {tq:.1f}, {calls} callbacks), same pair set "
                  f"(ignored at limit: {n_diff}), peak +{fmem:.0f} MiB")
        else:
            row["fcl_s"] = None
            row["fcl_projected_s"] = projected
        rows.append(row)
        del sc, cand, d, close, dclose
        gc.collect()

    report = render(info, cold, warm_load, rows, args)
    print(report)
    if not args.no_write:
        write_section(ROOT / "benchmarks" / "RESULTS.md", report)


def render(info, cold, warm_load, rows, args):
    lines = [HEADING, ""]
    lines.append(
        "Broad + narrow phase on the synthetic street grid of `benchmarks/synthetic.py` "
        "(x and y streets, 8 networks each at NEN 7171-like offsets/depths, ~1 m segments, house "
        "connections every ~6 m, random deviations), clearance C = 0.5 m between different networks, "
        "per-capsule margin C/2. Question answered by all methods: the set of pairs of different "
        "networks with surface distance < C."
    )
    lines.append("")
    lines.append(
        f"Machine: {info['cpu']}, {info['cores']} cores ({info['numba_threads']} numba threads, "
        f"layer `{info['threading_layer']}`, OMP_WAIT_POLICY={info['omp_wait_policy']}), "
        f"{info['ram_gib']:.1f} GiB RAM, {info['os']}. "
        f"Python {info['python']}, numpy {info['numpy']}, numba {info['numba']}, python-fcl {info['python-fcl']}."
    )
    lines.append("")
    lines.append(
        f"JIT: cold compile of all kernels used here {cold:.1f} s (fresh `NUMBA_CACHE_DIR`); "
        f"later processes load them from the numba cache in {warm_load:.2f} s. All timings below are warm "
        f"(median of {args.repeat} runs after a warm-up run of the same size)."
    )
    lines.append("")
    lines.append("| N segments | candidates | pairs < C | vkls median (best) | vkls seg/s (median) "
                 "| aabb / broad / narrow (s) | vkls peak RSS | load avg | brute force | vkls/brute | python-fcl "
                 "| vkls/fcl |")
    lines.append("|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        brute = f"{r['brute_s']:.1f} s" if r.get("brute_s") else f"skipped (N > {args.brute_max:.0e})"
        vb = f"{r['brute_s'] / r['vkls_s']:.0f}x" if r.get("brute_s") else "-"
        if r.get("fcl_s"):
            fc = f"{r['fcl_s']:.1f} s (build {r['fcl_build_s']:.1f} + collide {r['fcl_query_s']:.1f})"
            vf = f"{r['fcl_s'] / r['vkls_s']:.0f}x"
        else:
            proj = r.get("fcl_projected_s")
            why = f"projected {proj:.0f} s > budget" if proj and proj > args.fcl_budget else f"N > {args.fcl_max:.0e}"
            fc = f"not run ({why})"
            vf = "-"
        lines.append(
            f"| {r['n']:,} | {r['candidates']:,} | {r['close']:,} | {r['vkls_s']:.3f} s ({r['vkls_min_s']:.3f} s) | "
            f"{r['n'] / r['vkls_s'] / 1e6:.2f} M | {r['aabb_s']:.3f} / {r['broad_s']:.3f} / {r['narrow_s']:.3f} | "
            f"+{r['vkls_mem_mib']:.0f} MiB | {r['load']:.2f} | {brute} | {vb} | {fc} | {vf} |"
        )
    lines.append("")
    growth = []
    for r0, r1 in zip(rows, rows[1:]):
        growth.append(f"N x{r1['n'] / r0['n']:.0f} -> time x{r1['vkls_s'] / r0['vkls_s']:.1f}")
    if growth:
        lines.append("Growth of vkls time with N: " + "; ".join(growth) + " (linear would be the same factor).")
        lines.append("")
    checks = []
    for r in rows:
        if r.get("brute_s"):
            checks.append(f"N={r['n']:,}: pair set identical to brute force, max |distance difference| "
                          f"{r['brute_max_abs_diff']:.1e} m")
        if r.get("fcl_s"):
            checks.append(f"N={r['n']:,}: pair set identical to python-fcl ({r['fcl_calls']:,} broad-phase "
                          f"callbacks, {r['fcl_ignored']} pairs within {FCL_TOLERANCE:g} m of C ignored)")
    lines.append("Agreement (asserted by the script): " + "; ".join(checks) + ".")
    lines.append("")
    lines.append(
        "`load avg` is the 1-minute load average just before the timed vkls runs: the machine has 2 cores, so "
        "any other busy process halves the effective parallelism of the 2-thread kernels (ratios vs python-fcl, "
        "which is single-threaded, are then conservative)."
    )
    lines.append("")
    lines.append(
        "Peak RSS is the rise of the process high-water mark (VmHWM, reset via /proc/self/clear_refs) "
        "during one vkls run (aabb + broad + narrow, including the output arrays) or one fcl run."
    )
    lines.append("")
    lines.append("Reproduce: `python benchmarks/bench_engine.py --sizes "
                 + " ".join(f"{r['n']:.0e}".replace("+0", "") for r in rows) + "`")
    lines.append("")
    return "\n".join(lines)


def write_section(path: Path, section: str):
    text = path.read_text() if path.exists() else "# Benchmark results\n\n"
    if HEADING in text:
        start = text.index(HEADING)
        nxt = text.find("\n## ", start + len(HEADING))
        end = len(text) if nxt < 0 else nxt + 1
        text = text[:start] + section.rstrip("\n") + "\n\n" + text[end:]
    else:
        if not text.endswith("\n\n"):
            text = text.rstrip("\n") + "\n\n"
        text += section
    path.write_text(text)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
