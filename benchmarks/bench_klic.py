"""KLIC import and check benchmark (issue 6): the four example deliveries in ../shared/data/klic/.

Run from the repository root::

    python benchmarks/bench_klic.py             # all four, appends/replaces the section in RESULTS.md
    python benchmarks/bench_klic.py --no-write  # print only

Each delivery runs in a fresh process: a warm-up check of the smallest delivery loads the numba
kernels from their cache, then the delivery is imported (zip -> GML stream -> NetworkMap) and
checked (scene, engine, rules) ``--repeat`` times; the median and best times are reported. Peak
memory is the rise of the process high-water mark (VmHWM, reset through /proc/self/clear_refs)
during one import + check, and tracemalloc's peak of Python allocations during one import alone.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "passive")  # see bench_engine.py: busy 2-core machine

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "klic"
DELIVERIES = ("Levering_22G003180_1.zip", "Levering_22O000518_1.zip", "Levering_22G003178_1.zip",
              "Levering_22C001966_3.zip")
HEADING = "## KLIC import and check (issue 6)"


def _hwm_mib() -> float:
    """The process's peak resident memory (VmHWM), MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _reset_hwm() -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def measure(name: str, repeat: int) -> dict:
    """Import and check one delivery in this process (the child side)."""
    import tracemalloc
    import zipfile

    sys.path.insert(0, str(ROOT))
    from vkls.io.klic import load_klic
    from vkls.pipeline import check_street
    from vkls.rules.loader import load_norms

    norms = load_norms()
    check_street(load_klic(str(DATA / DELIVERIES[0]), norms).network_map, norms)  # warm-up: numba cache, imports
    path = DATA / name
    with zipfile.ZipFile(path) as archive:
        gml_bytes = max(info.file_size for info in archive.infolist() if info.filename.endswith(".xml"))
    _reset_hwm()
    base = _hwm_mib()
    imports, checks = [], []
    for _ in range(repeat):
        clock = time.perf_counter()
        imported = load_klic(str(path), norms)
        imports.append(time.perf_counter() - clock)
        clock = time.perf_counter()
        result = check_street(imported.network_map, norms)
        checks.append(time.perf_counter() - clock)
        if len(imports) == 1:
            rss = _hwm_mib() - base
    tracemalloc.start()
    load_klic(str(path), norms)
    traced = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    summary = result.summary()
    counts = imported.counts
    line_types = [t for t in counts.types if counts.types[t].used and t not in ("UtilityLink", "Utiliteitsnet",
                                                                                  "Beheerder", "Belanghebbende")]
    return {"name": name, "gml_mib": gml_bytes / 2**20, "zip_mib": path.stat().st_size / 2**20,
            "utilities": len(imported.network_map.utilities), "segments": summary["capsules"],
            "used": {t: counts.types[t].used for t in line_types}, "conflicts": summary["conflicts"],
            "certain": summary["certain"], "candidates": summary["candidate_pairs"],
            "import": imports, "check": checks, "seconds": summary["seconds"], "rss": rss, "traced": traced}


def run_child(name: str, repeat: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", name, "--repeat", str(repeat)], capture_output=True,
                         text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def machine() -> str:
    import numpy

    cpu = "unknown CPU"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    import lxml.etree

    return (f"{cpu}, {os.cpu_count()} cores, {platform.platform()}; Python {platform.python_version()}, "
            f"numpy {numpy.__version__}, lxml {'.'.join(map(str, lxml.etree.LXML_VERSION))}; load average "
            f"{os.getloadavg()[0]:.1f} at the start")


def table(rows: list[dict]) -> list[str]:
    lines = ["| delivery | GML | cables, pipes, containers used | segments | import median (best) | "
             "check median (best) | scene / engine / rules | conflicts (certain) | peak RSS rise | import traced peak |",
             "|---|---:|---|---:|---:|---:|---|---:|---:|---:|"]
    for r in rows:
        used = ", ".join(f"{n} {t}" for t, n in r["used"].items())
        s = r["seconds"]
        lines.append(f"| {r['name']} | {r['gml_mib']:.1f} MiB | {used} | {r['segments']:,} | "
                     f"{statistics.median(r['import']):.2f} s ({min(r['import']):.2f} s) | "
                     f"{statistics.median(r['check']):.2f} s ({min(r['check']):.2f} s) | "
                     f"{s['scene']:.2f} / {s['engine']:.2f} / {s['rules']:.2f} s | {r['conflicts']:,} ({r['certain']:,}) | "
                     f"{r['rss']:.0f} MiB | {r['traced']:.0f} MiB |")
    return lines


def write_results(text: str) -> None:
    """Replace this benchmark's section of RESULTS.md (or append it), leaving the others alone."""
    path = ROOT / "benchmarks" / "RESULTS.md"
    current = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    if HEADING in current:
        start = current.index(HEADING)
        following = current.find("\n## ", start + len(HEADING))
        current = current[:start].rstrip("\n") + "\n\n" + (current[following + 1:] if following >= 0 else "")
    path.write_text(current.rstrip("\n") + "\n\n" + text.rstrip("\n") + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.repeat)))
        return
    header = machine()
    rows = [run_child(name, args.repeat) for name in DELIVERIES]
    text = "\n".join([
        HEADING, "",
        "The four example deliveries of ../shared/data/klic/ (Kadaster's IMKL 2.0 examples), each in a fresh "
        "process after a warm-up check (numba kernels loaded from their cache). Import: the zip as received, "
        "the GML streamed out of it with lxml.iterparse (never extracted), one feature member at a time. "
        f"Check: scene, engine and every rule. Median and best of {args.repeat} runs.", "",
        f"Machine: {header}.", "", *table(rows), "",
        "Peak RSS rise: VmHWM during one import + check above the warmed-up process; traced peak: tracemalloc's "
        "peak of Python (and numpy) allocations during one import.", "",
        f"Reproduce: `python benchmarks/bench_klic.py --repeat {args.repeat}`"])
    print(text)
    if not args.no_write:
        write_results(text)


if __name__ == "__main__":
    main()
