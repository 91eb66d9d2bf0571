"""Time to the first offscreen frame of the 3D viewer, and its memory, for growing scenes (issue 4).

A synthetic street of N network objects: eight networks (NEN 7171 strips and the carriageway)
along a serpentine route (legs of 200 m, 40 m apart, so the picture stays compact), and house
connections of six networks every ``spacing`` metres, with N / 100 conflicts on them. The route
length is chosen so that mains + connections = N. Each size runs in a fresh process (peak RSS
is per size); the scene is built first (that is the check's work, not the viewer's), then the
clock runs over:

- ``layers``: the merged meshes per kind (:func:`vkls.viewer.meshes.scene_layers`);
- ``first frame``: a plotter, every layer, labels and legend added, one offscreen render read
  back (what ``vkls render`` does), layers included.

    python benchmarks/bench_render.py [--sizes 1000 3000 10000 30000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np

REPO = Path(__file__).resolve().parents[1]
NETWORKS_WITH_CONNECTIONS = ("datatransport", "laagspanning", "gasLageDruk", "water", "middenspanning",
                             "openbareVerlichting")
ALL_NETWORKS = NETWORKS_WITH_CONNECTIONS + ("warmte", "rioolVrijverval")
LEG, GAP = 200.0, 40.0
SPACING = 2.0


def serpentine(length: float) -> list[list[float]]:
    """Route vertices: legs of LEG metres joined by GAP-metre steps, about ``length`` long."""
    points = [[150000.0, 460000.0]]
    x, y, direction, total = 150000.0, 460000.0, 1.0, 0.0
    while total < length:
        step = min(LEG, length - total)
        x += direction * step
        points.append([x, y])
        total += step
        if total >= length:
            break
        y -= GAP
        points.append([x, y])
        total += GAP
        direction = -direction
    return points


def street_toml(n_objects: int) -> str:
    """A street file with about ``n_objects`` network objects."""
    mains = len(ALL_NETWORKS)
    per_metre = len(NETWORKS_WITH_CONNECTIONS) / SPACING
    length = max(20.0, (n_objects - mains) / per_metre)
    text = (f'[street]\nname = "synthetic {n_objects} objects"\narrangement = "horizontal"\nsegment_length = 1.0\n\n'
            f"[route]\ncoordinates = {json.dumps(serpentine(length))}\nground_level = 0.0\n\n"
            '[[zones]]\nname = "sidewalk"\nwidth = 3.5\nsurface = "paving"\n\n'
            '[[zones]]\nname = "road"\nwidth = 6.0\nsurface = "asphalt"\n')
    for n, kind in enumerate(ALL_NETWORKS):
        text += f'\n[[networks]]\nid = "N{n}"\nkind = "{kind}"\nowner = "bench"\n'
    ids = ", ".join(f'"N{n}"' for n, kind in enumerate(ALL_NETWORKS) if kind in NETWORKS_WITH_CONNECTIONS)
    text += f"\n[[connections]]\nnetworks = [{ids}]\nspacing = {SPACING}\nstart = 1.0\n"
    return text


def fake_conflicts(scene, count: int) -> list:
    """``count`` conflict-like records on house connections spread along the route."""
    connections = [n for n, obj in enumerate(scene.objects) if "connection" in obj.role]
    picks = np.linspace(0, len(connections) - 1, max(count, 0)).astype(int) if connections else []
    out = []
    for k, index in enumerate(picks):
        obj = scene.objects[connections[index]]
        row = int(np.flatnonzero(scene.cap_object == connections[index])[0])
        x, y, z = scene.to_world(scene.cap_a[row])
        chainage = float(scene.cap_chainage[row, 0])
        out.append(SimpleNamespace(id=f"C-{k:06d}", rule="clearance", objects=(obj.id, obj.network), chainage=chainage,
                                   chainage_start=chainage, chainage_end=chainage, x=x, y=y, z=z, actual=0.1,
                                   required=0.3, regime="crossing", severity="practitioner", explanation=""))
    return out


def run_one(n_objects: int, repeat: int) -> dict:
    """Build the scene once, then time layers and the first frame ``repeat`` times (fresh plotters)."""
    from vkls.geometry.scene import build_scene
    from vkls.io.street_toml import read_street
    from vkls.rules.loader import load_norms

    norms = load_norms()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "street.toml"
        path.write_text(street_toml(n_objects))
        street = read_street(str(path), norms)
    clock = time.perf_counter()
    scene = build_scene(street, norms)
    scene_seconds = time.perf_counter() - clock
    conflicts = fake_conflicts(scene, n_objects // 100)
    clock = time.perf_counter()
    import pyvista  # noqa: F401  (import time reported apart)

    from vkls.viewer import meshes, render

    import_seconds = time.perf_counter() - clock
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    layer_times, frame_times, points = [], [], 0
    for _ in range(repeat):
        clock = time.perf_counter()
        layers = meshes.scene_layers(street, scene, conflicts)
        layer_times.append(time.perf_counter() - clock)
        points = sum(layer.mesh.n_points for layer in layers if layer.mesh is not None)
        clock = time.perf_counter()
        image = render.render_image(street, scene, conflicts, view="iso", size=(1600, 1000))
        frame_times.append(time.perf_counter() - clock)
        assert image.std() > 5, "blank frame"
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"objects": len([o for o in scene.objects if o.network]), "capsules": int(scene.n_capsules),
            "route_m": round(scene.alignment.length, 1), "conflicts": len(conflicts), "points": int(points),
            "scene_s": scene_seconds, "import_s": import_seconds, "layers_s": min(layer_times),
            "first_frame_s": min(frame_times), "first_frame_median_s": float(np.median(frame_times)),
            "first_frame_first_s": frame_times[0], "peak_rss_mib": rss_after / 1024.0,
            "rss_rise_mib": (rss_after - rss_before) / 1024.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 3000, 10000, 30000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.repeat)))
        return
    import pyvista
    import vtk

    print(f"Machine: {platform.processor() or platform.machine()}, {__import__('os').cpu_count()} cores, "
          f"{platform.platform()}; Python {platform.python_version()}, pyvista {pyvista.__version__}, "
          f"vtk {vtk.vtkVersion.GetVTKVersion()}")
    rows = []
    for size in args.sizes:
        done = subprocess.run([sys.executable, __file__, "--one", str(size), "--repeat", str(args.repeat)],
                              capture_output=True, text=True, cwd=REPO, check=True)
        row = json.loads(done.stdout.strip().splitlines()[-1])
        rows.append(row)
        print(json.dumps(row), flush=True)
    print()
    print("| network objects | capsules | route | mesh points | layers | first frame (best / median of "
          f"{args.repeat}) | first frame, first run | peak RSS |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['objects']:,} | {r['capsules']:,} | {r['route_m']:,.0f} m | {r['points']:,} | "
              f"{r['layers_s']:.2f} s | {r['first_frame_s']:.2f} s / {r['first_frame_median_s']:.2f} s | "
              f"{r['first_frame_first_s']:.2f} s | {r['peak_rss_mib']:.0f} MiB |")
    for a, b in zip(rows[:-1], rows[1:]):
        growth = b["first_frame_s"] / a["first_frame_s"]
        print(f"objects x{b['objects'] / a['objects']:.1f} -> first frame x{growth:.1f}")


if __name__ == "__main__":
    main()
