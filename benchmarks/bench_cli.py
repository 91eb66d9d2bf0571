"""Wall time of ``vkls check`` on each bundled sample, cold and warm.

Cold: the first run with an empty numba cache (``NUMBA_CACHE_DIR`` set to a fresh folder), as
after a fresh install: it includes compiling the kernels. Warm: later runs, which load the
compiled kernels from that cache. Each is a separate ``vkls`` process, as a user runs it.

    python benchmarks/bench_cli.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def vkls_command() -> list[str]:
    exe = shutil.which("vkls") or str(Path(sys.executable).parent / "vkls")
    return [exe]


def timed(command: list[str], env: dict) -> tuple[float, int]:
    start = time.perf_counter()
    result = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} failed: {result.stderr}")
    return elapsed, result.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="warm runs per sample (median reported)")
    args = parser.parse_args()
    print("| sample | conflicts exit | cold s (incl. JIT) | warm s (median of %d) |" % args.repeat)
    print("|---|---|---|---|")
    for sample in sorted((REPO / "samples").glob("*.toml")):
        cache = tempfile.mkdtemp(prefix="vkls-numba-cache-")
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        command = vkls_command() + ["check", str(sample), "--quiet"]
        try:
            cold, code = timed(command, env)
            warm = statistics.median(timed(command, env)[0] for _ in range(args.repeat))
        finally:
            shutil.rmtree(cache, ignore_errors=True)
        print(f"| {sample.name} | {code} | {cold:.2f} | {warm:.2f} |")


if __name__ == "__main__":
    main()
