"""Random city stores for tests: lines and trees scattered over a square, anchored in tiles."""
import numpy as np
from vkls.city.store import CityManifest, TileArrays, write_manifest, write_tile, LINE_KINDS

def random_arrays(seed, n_lines=300, n_trees=30, size=200.0, origin=(90000.0, 460000.0)):
    rng = np.random.default_rng(seed)
    counts = rng.integers(2, 6, n_lines)
    start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    base = rng.uniform(0, size, (n_lines, 2)) + origin
    heading = rng.uniform(0, 2 * np.pi, n_lines)
    xyz = []
    for k in range(n_lines):
        steps = np.arange(counts[k])[:, None] * 3.0 * np.array([np.cos(heading[k]), np.sin(heading[k])])
        xy = base[k] + steps + rng.normal(0, 0.3, (counts[k], 2))
        depth = rng.uniform(0.5, 1.5) + rng.normal(0, 0.05, counts[k])
        xyz.append(np.column_stack([xy, depth]))
    xyz = np.concatenate(xyz)
    kinds = rng.integers(0, len(LINE_KINDS), n_lines).astype(np.int8)
    return TileArrays(
        line_index=np.arange(n_lines, dtype=np.int64) * 3 + 7,
        line_name=np.array([f"L{k}" for k in range(n_lines)]),
        line_kind=kinds, line_role=rng.integers(0, 2, n_lines).astype(np.int8),
        line_group=rng.integers(0, 40, n_lines).astype(np.int64),
        line_diameter=rng.uniform(0.02, 0.4, n_lines), line_accuracy=np.tile([0.1, 0.15], (n_lines, 1)),
        line_start=start, xyz=xyz,
        tree_index=np.arange(n_trees, dtype=np.int64) * 3 + 10_000,
        tree_name=np.array([f"T{k}" for k in range(n_trees)]),
        tree_xy=rng.uniform(0, size, (n_trees, 2)) + origin,
        tree_class=rng.choice(["1a", "1b", "2", "3"], n_trees), tree_dbh=rng.uniform(0.1, 0.6, n_trees),
        tree_crown=rng.uniform(1.0, 5.0, n_trees), tree_barrier=rng.random(n_trees) < 0.2,
    )

def write_store(folder, arrays, tile_size=50.0, origin=(90000.0, 460000.0)):
    extent = arrays.line_extents()
    centre = np.concatenate([(extent[:, :2] + extent[:, 2:]) / 2, arrays.tree_xy])
    cell = np.floor((centre - origin) / tile_size).astype(int)
    n = arrays.n_lines
    entries = []
    seglen = np.hypot(*np.diff(arrays.xyz[:, :2], axis=0).T)
    for ix, iy in sorted(set(map(tuple, cell))):
        mine = (cell[:, 0] == ix) & (cell[:, 1] == iy)
        part = arrays.select_lines(mine[:n]).select_trees(mine[n:])
        entries.append(write_tile(folder, ix, iy, part))
    within = np.ones(len(seglen), bool); within[arrays.line_start[1:-1] - 1] = False
    write_manifest(folder, CityManifest(name="random", origin=origin, tile_size=tile_size,
                   max_segment_length=float(seglen[within].max()), tiles=tuple(entries)))
