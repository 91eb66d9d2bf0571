"""The check of a city store, tile by tile, with a halo; on this machine's cores or on a Dask cluster.

Why tiled results equal one pass over the whole city:

- *Ownership.* Every pair of objects is judged by exactly one tile: the tile that stores
  the pair's first object (objects are ordered by their global index, lines before trees);
  a one-object finding (cover depth) by the tile that stores its object. So every run of
  hits of a pair lies in one tile and is grouped, numbered and given its id there.
- *Halo.* A tile reads every object that reaches within ``halo`` of the objects it owns,
  with ``halo`` the largest distance any rule requires (its reach) plus twice the largest
  position uncertainty: a rule can flag a pair only if its surface distance is at most the
  reach for its two kinds plus their uncertainties, and the extents compared include a
  line's radius and a tree's root zone, so the other object of every owned pair is read.
  Which pairs are kept does not depend on the tile: the broad-phase margins may differ from
  tile to tile, the reach filter after the narrow phase does not.
- *Same numbers.* Every scene subtracts the store's one origin and numbers objects in
  global order, and the kernels compute a pair's geometry in a canonical order, so a
  pair's distance, witness and chainage are bit-identical in any tile.

:func:`check_tile` is a pure function of a :class:`TileJob`; local processes and Dask
workers run the very same function.
"""

from __future__ import annotations

import gc
import os
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, replace
from functools import lru_cache

import numpy as np

from vkls.city.store import CityManifest, TileArrays, read_all_tiles, read_manifest, read_region, read_tile
from vkls.memory import keep_freed_memory
from vkls.rules import select_rules

#: Stages of a tile's work, for the report of where the time goes.
STAGES = ("read", "scene", "broad", "narrow", "rules", "group", "report")
#: Conflicts a worker sends back besides the report text (for the terminal table).
FIRST_CONFLICTS = 25
#: Cities smaller than this (segments) are checked in this process with every core's numba
#: threads: starting worker processes costs about a second each.
PROCESSES_FROM = 2_000_000
#: How long to try to reach a Dask scheduler before giving up.
DASK_CONNECT_TIMEOUT = "10s"


@dataclass(frozen=True)
class TileJob:
    """Everything a worker needs to check one tile (small and picklable).

    Attributes
    ----------
    folder : str
        The city store (a path every worker can read).
    tile : int
        Index into the manifest's tiles of the tile whose objects are judged; -1 for the
        whole city in one pass.
    region : (xmin, ymin, xmax, ymax), metres RD New
        What to read: the owned objects' extent grown by the halo.
    norm_files : tuple of str
    rule_ids : tuple of str or None
        Only these rules (default: every rule).
    threads : int
        numba threads for this job (0: leave as is).
    report : {"csv", "json"} or None
        Format the conflicts in the worker (in parallel) and send back the text, the tally and
        only the first conflicts; None sends back every conflict.
    """

    folder: str
    tile: int
    region: tuple[float, float, float, float]
    norm_files: tuple[str, ...] = ()
    rule_ids: tuple[str, ...] | None = None
    threads: int = 0
    report: str | None = None


@dataclass
class TileOutcome:
    """What one tile found, with its cost.

    Attributes
    ----------
    tile : int
    conflicts : list of Conflict
        Conflicts of the pairs this tile owns, in report order (only the first
        :data:`FIRST_CONFLICTS` when the worker formatted them into ``text``).
    tally : Tally
    text : str
        The conflicts as report text (``TileJob.report``), else empty.
    segments : int
        Segments owned (the work done for the city).
    segments_read : int
        Segments read (owned plus halo).
    candidate_pairs : int
    seconds : dict stage -> seconds
    """

    tile: int
    conflicts: list
    segments: int
    segments_read: int
    candidate_pairs: int
    seconds: dict = field(default_factory=dict)
    tally: "Tally" = None
    text: str = ""


@dataclass
class Tally:
    """Conflict counts kept while conflicts stream past (per rule, per severity, certain/possible)."""

    conflicts: int = 0
    certain: int = 0
    by_rule: dict = field(default_factory=dict)
    by_severity: dict = field(default_factory=dict)

    def merge(self, other: "Tally") -> None:
        """Add another tally's counts."""
        self.conflicts += other.conflicts
        self.certain += other.certain
        for mine, theirs in ((self.by_rule, other.by_rule), (self.by_severity, other.by_severity)):
            for key, value in theirs.items():
                mine[key] = mine.get(key, 0) + value

    def add(self, conflicts: list) -> None:
        for conflict in conflicts:
            self.by_rule[conflict.rule] = self.by_rule.get(conflict.rule, 0) + 1
            self.by_severity[conflict.severity] = self.by_severity.get(conflict.severity, 0) + 1
            self.certain += conflict.certainty == "certain"
        self.conflicts += len(conflicts)


@dataclass
class CityResult:
    """The result of a city check (``conflicts`` is empty when they were streamed to a callback)."""

    manifest: CityManifest
    tally: Tally
    conflicts: list
    segments: int
    segments_read: int
    candidate_pairs: int
    tiles: int
    halo: float
    mode: str
    seconds: dict
    norm_files: tuple[str, ...] = ()

    def summary(self) -> dict:
        """Counts per rule and severity, sizes and timings (seconds)."""
        tally = self.tally
        wall = self.seconds.get("wall", 0.0)
        return {
            "conflicts": tally.conflicts, "certain": tally.certain, "possible": tally.conflicts - tally.certain,
            "by_rule": dict(sorted(tally.by_rule.items())), "by_severity": dict(sorted(tally.by_severity.items())),
            "segments": self.segments, "segments_read": self.segments_read, "lines": self.manifest.n_lines,
            "trees": self.manifest.n_trees, "tiles": self.tiles, "halo_m": round(self.halo, 3), "mode": self.mode,
            "candidate_pairs": self.candidate_pairs,
            "segments_per_second": round(self.segments / wall) if wall > 0 else None,
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
        }


def halo_width(manifest: CityManifest, norms, rules: list) -> float:
    """How far around the objects a tile owns it must read, metres.

    A rule flags a pair only within its reach plus both position uncertainties, surface to
    surface. Line extents include the radius and a tree reaches as far as its root zone, so
    the extents of the two objects of any flagged pair are at most that far apart: the halo
    is the largest reach of the rules + twice the store's largest position uncertainty.
    """
    from vkls.pipeline import rule_reach

    reach = rule_reach(norms, rules)
    largest_reach = float(np.nanmax(reach)) if np.isfinite(reach).any() else 0.0
    accuracy_xy = max((t.accuracy_xy_max for t in manifest.tiles), default=0.0)
    accuracy_z = max((t.accuracy_z_max for t in manifest.tiles), default=0.0)
    return largest_reach + 2.0 * float(np.hypot(accuracy_xy, accuracy_z)) + 1e-6


def plan(manifest: CityManifest, norms, rules: list, norm_files=(), rule_ids=None, single_pass: bool = False,
         threads: int = 0) -> tuple[list[TileJob], float]:
    """One job per non-empty tile (or one job for the whole city), and the halo width in metres."""
    halo = halo_width(manifest, norms, rules)
    common = dict(folder=manifest.folder, norm_files=tuple(norm_files),
                  rule_ids=tuple(rule_ids) if rule_ids else None, threads=threads)
    if single_pass:
        return [TileJob(tile=-1, region=(-np.inf, -np.inf, np.inf, np.inf), **common)], halo
    jobs = []
    for index, tile in enumerate(manifest.tiles):
        if not (tile.lines or tile.trees):
            continue
        x0, y0, x1, y1 = tile.bbox
        jobs.append(TileJob(tile=index, region=(x0 - halo, y0 - halo, x1 + halo, y1 + halo), **common))
    return jobs, halo


def in_blocks(jobs: list[TileJob], manifest: CityManifest, edge: int) -> list[list[TileJob]]:
    """Jobs in square blocks of ``edge`` x ``edge`` tiles, block after block (row-major), tiles
    within a block in (ix, iy) order: a worker that checks a block reads each tile of the block
    and its ring once, and its cache serves the halos within."""
    blocks: dict = {}
    for job in jobs:
        tile = manifest.tiles[job.tile]
        blocks.setdefault((tile.ix // edge, tile.iy // edge), []).append(job)
    order = lambda job: (manifest.tiles[job.tile].ix, manifest.tiles[job.tile].iy)  # noqa: E731
    return [sorted(blocks[key], key=order) for key in sorted(blocks)]


def even_finish(batches: list[list[TileJob]], workers: int, columns: int = 2) -> list[list[TileJob]]:
    """The last ``2 x workers`` blocks cut into pieces of about ``columns`` block columns (``columns``
    x the block's edge tiles), so that no worker is left alone with a whole block at the end; the
    jobs keep their order."""
    tail = max(0, len(batches) - 2 * workers)
    pieces = []
    for batch in batches[tail:]:
        size = columns * max(1, round(len(batch) ** 0.5))
        pieces += [batch[k:k + size] for k in range(0, len(batch), size)]
    return batches[:tail] + pieces


@lru_cache(maxsize=4)
def _manifest(folder: str) -> CityManifest:
    return read_manifest(folder)


#: Bytes of tiles a worker keeps after reading them (a tile is read again as the halo of each of
#: its neighbours; about 10 MB per 100,000 segments). Least recently used tiles go first.
TILE_CACHE_BYTES = 512 * 2**20
_cache: OrderedDict = OrderedDict()


def _tile(folder: str, index: int) -> TileArrays:
    key = (folder, index)
    if key in _cache:
        _cache.move_to_end(key)
        return _cache[key]
    manifest = _manifest(folder)
    arrays = read_tile(manifest, manifest.tiles[index])
    _cache[key] = arrays
    while len(_cache) > 1 and sum(a.nbytes for a in _cache.values()) > TILE_CACHE_BYTES:
        _cache.popitem(last=False)
    return arrays


def check_tile(job: TileJob) -> TileOutcome:
    """Check the objects one tile owns against everything near them (see the module docs)."""
    from vkls.conflicts import RUN_JOIN_FACTOR, group_hits
    from vkls.geometry.array_scene import build_array_scene, root_zone_radius
    from vkls.pipeline import drop_superseded, evaluate_rules, scene_contacts
    from vkls.rules.loader import load_norms

    if job.threads:
        import numba

        numba.set_num_threads(max(1, min(job.threads, numba.config.NUMBA_NUM_THREADS)))
    seconds = dict.fromkeys(STAGES, 0.0)
    clock = time.perf_counter()
    manifest = _manifest(job.folder)
    norms = load_norms(job.norm_files)
    rules = select_rules(job.rule_ids)
    if job.tile < 0:
        arrays = read_all_tiles(manifest)  # not cached: once
        owned_lines = np.ones(arrays.n_lines, dtype=bool)
        owned_trees = np.ones(arrays.n_trees, dtype=bool)
    else:
        own = _tile(job.folder, job.tile)
        index_of = {tile.file: k for k, tile in enumerate(manifest.tiles)}
        arrays = read_region(manifest, job.region, root_zone_radius(norms),
                             read=lambda _, tile: _tile(job.folder, index_of[tile.file]))
        owned_lines = np.isin(arrays.line_index, own.line_index)
        owned_trees = np.isin(arrays.tree_index, own.tree_index)
    seconds["read"] = time.perf_counter() - clock

    clock = time.perf_counter()
    scene = build_array_scene(arrays, norms, manifest.origin)
    owned = np.concatenate([owned_lines, np.repeat(owned_trees, 2)])
    seconds["scene"] = time.perf_counter() - clock

    contacts = scene_contacts(scene, norms, rules, seconds)

    clock = time.perf_counter()
    hits = {rule_id: _rows(found, owned) for rule_id, found in evaluate_rules(rules, scene, contacts, norms).items()}
    seconds["rules"] = time.perf_counter() - clock

    clock = time.perf_counter()
    join_gap = RUN_JOIN_FACTOR * min(50.0, manifest.max_segment_length)
    with _no_cycle_collection():
        found = {rule.id: group_hits(hits[rule.id], scene, rule, join_gap) for rule in rules}
        conflicts = [c for rule in rules for c in drop_superseded(found, rule, rules)]
        conflicts.sort(key=conflict_order)
    seconds["group"] = time.perf_counter() - clock

    tally = Tally()
    tally.add(conflicts)
    text = ""
    if job.report:
        from vkls.city.report import format_conflicts

        clock = time.perf_counter()
        with _no_cycle_collection():
            text, conflicts = format_conflicts(conflicts, job.report), conflicts[:FIRST_CONFLICTS]
        seconds["report"] = time.perf_counter() - clock
    segments_owned = int(np.diff(arrays.line_start)[owned_lines].sum() - owned_lines.sum())
    return TileOutcome(tile=job.tile, conflicts=conflicts, segments=segments_owned, segments_read=arrays.n_segments,
                       candidate_pairs=len(contacts.pairs), seconds=seconds, tally=tally, text=text)


@contextmanager
def _no_cycle_collection():
    """Python's cycle collector paused while a tile makes and formats its conflicts: they hold no
    reference cycles, and the collector would otherwise walk every object each few hundred
    allocations (a third of the grouping time)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def check_tiles(jobs: list[TileJob]) -> list[TileOutcome]:
    """Several tiles one after the other in one worker (its tile cache serves their shared halos)."""
    return [check_tile(job) for job in jobs]


def conflict_order(conflict) -> tuple:
    """Report order within a tile: by object, rule and place along the object."""
    return (conflict.objects[0], conflict.objects[1] or "", conflict.rule, conflict.chainage_start, conflict.id)


def _rows(hits, owned: np.ndarray):
    """The hits whose first object is owned by the tile."""
    keep = owned[hits.object_a]
    if keep.all():
        return hits
    columns = {f.name: getattr(hits, f.name)[keep] for f in fields(hits) if f.name not in ("rule", "entries")}
    return replace(hits, **columns)


# --------------------------------------------------------------------------- #
# Running the jobs                                                            #
# --------------------------------------------------------------------------- #


def run_serial(jobs: list[TileJob]) -> Iterator[TileOutcome]:
    """In this process, one job after another (the kernels use every core)."""
    for job in jobs:
        yield check_tile(job)


def run_processes(jobs: list[list[TileJob]], workers: int) -> Iterator[TileOutcome]:
    """Batches of jobs on ``workers`` local processes with one numba thread each; at most two
    batches per worker are in flight, so memory stays bounded whatever the size of the city.
    Outcomes come in job order."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    batches = [[replace(job, threads=1) for job in batch] for batch in jobs]
    context = multiprocessing.get_context("spawn")  # fork after OpenMP has started is unsafe
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_worker_init) as pool:
        pending = {}
        upcoming = iter(enumerate(batches))
        for position, batch in _take(upcoming, 2 * workers):
            pending[position] = pool.submit(check_tiles, batch)
        next_position = 0
        while pending:
            outcomes = pending.pop(next_position).result()
            next_position += 1
            for position, batch in _take(upcoming, 1):
                pending[position] = pool.submit(check_tiles, batch)
            yield from outcomes


def block_edge(jobs: int) -> int:
    """Edge of the square blocks of tiles handed to a worker at once: 8 x 8 where there are at
    least eight such blocks, else 4 x 4, 2 x 2, or single tiles. Bigger blocks read fewer ring
    tiles per tile (1.6 reads per tile at 8 x 8, 2.25 at 4 x 4); going through a block column
    by column, a worker's cache needs only about three columns of tiles. It depends on the
    city only, so every way of running gives the report in the same order."""
    for edge in (8, 4, 2):
        if jobs >= 8 * edge * edge:
            return edge
    return 1


def _take(iterator, count):
    for _ in range(count):
        try:
            yield next(iterator)
        except StopIteration:
            return


def _worker_init() -> None:
    os.environ.setdefault("OMP_WAIT_POLICY", "passive")
    keep_freed_memory()


def run_dask(jobs: list[list[TileJob]], address: str, workers: int) -> Iterator[TileOutcome]:
    """Batches of jobs on a Dask distributed cluster (``address`` of its scheduler, or ``local`` for a
    ``LocalCluster`` of ``workers`` processes here). Every worker must be able to read the
    store's folder (a shared file system). Outcomes come in job order."""
    import logging

    from vkls.errors import InputError

    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise InputError("--dask needs Dask: pip install 'vkls[dask]'", place="--dask") from None
    cluster = None
    try:
        if address == "local":
            # The workers' own logs are silenced: a tile's bad input reaches the user once, as one line
            # (the exception travels back here), not as the worker's "Compute Failed" traceback too.
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                                   silence_logs=logging.CRITICAL)
            client = Client(cluster)
        else:
            client = Client(address, timeout=DASK_CONNECT_TIMEOUT)
    except (OSError, TimeoutError) as error:
        if cluster is not None:
            cluster.close()
        raise InputError(f"cannot reach the Dask scheduler ({error})", place="--dask") from None
    try:
        batches = [[replace(job, threads=1) for job in batch] for batch in jobs]
        futures = client.map(check_tiles, batches, pure=False)
        position_of = {future.key: k for k, future in enumerate(futures)}
        waiting: dict[int, list] = {}
        next_position = 0
        for future, outcomes in as_completed(futures, with_results=True):
            waiting[position_of[future.key]] = outcomes
            future.release()
            while next_position in waiting:
                yield from waiting.pop(next_position)
                next_position += 1
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def check_city(path: str, norm_files=(), rule_ids=None, workers: int | None = None, dask: str | None = None,
               single_pass: bool = False, progress: Callable | None = None,
               on_conflicts: Callable | None = None, report: str | None = None,
               on_text: Callable | None = None) -> CityResult:
    """Check a city store.

    Parameters
    ----------
    path : str
        The store's folder (or its ``city.toml``).
    norm_files : sequence of str
        User norms files layered over the built-in ones.
    rule_ids : sequence of str, optional
        Run only these rules.
    workers : int, optional
        Local processes (default: every core); 1 runs in this process.
    dask : str, optional
        Scheduler address, or ``"local"`` for a LocalCluster of ``workers`` processes.
    single_pass : bool
        Read the whole city into one scene (for comparison; memory grows with the city).
    progress : callable (tiles_done, tiles_total, segments_done), optional
    on_conflicts : callable (list of Conflict), optional
        Receives each tile's conflicts as the tile is done; then the result holds none
        (memory stays bounded for any size of city).
    report : {"csv", "json"}, optional
        Workers format their conflicts as report text (in parallel) and send back only the
        first few conflicts (to ``on_conflicts``) and the text (to ``on_text``).
    on_text : callable (str), optional

    Returns
    -------
    CityResult
    """
    from vkls.rules.loader import load_norms

    wall = time.perf_counter()
    manifest = read_manifest(path)
    norms = load_norms(tuple(norm_files))
    rules = select_rules(rule_ids)
    workers = workers or os.cpu_count() or 1
    jobs, halo = plan(manifest, norms, rules, norm_files, rule_ids, single_pass)
    jobs = [replace(job, report=report) for job in jobs]
    if not single_pass:
        batches = even_finish(in_blocks(jobs, manifest, block_edge(len(jobs))), workers)
        jobs = [job for batch in batches for job in batch]  # the same order whoever runs them
    if dask:
        mode, outcomes = f"dask ({dask})", run_dask(batches if not single_pass else [jobs], dask, workers)
    elif workers > 1 and len(jobs) > 1 and manifest.n_segments >= PROCESSES_FROM:
        mode, outcomes = f"{workers} processes", run_processes(batches, workers)
    else:
        mode, outcomes = "this process", run_serial(jobs)
    if single_pass:
        mode = f"single pass, {mode}"
    conflicts: list = []
    tally = Tally()
    totals = dict.fromkeys(STAGES, 0.0)
    segments = segments_read = pairs = 0
    for done, outcome in enumerate(outcomes, start=1):
        for stage, value in outcome.seconds.items():
            totals[stage] += value
        segments += outcome.segments
        segments_read += outcome.segments_read
        pairs += outcome.candidate_pairs
        tally.merge(outcome.tally)
        if on_text is not None and outcome.text:
            on_text(outcome.text)
        if on_conflicts is not None:
            on_conflicts(outcome.conflicts)
        else:
            conflicts += outcome.conflicts
        if progress is not None:
            progress(done, len(jobs), segments)
    totals["wall"] = time.perf_counter() - wall
    return CityResult(manifest=manifest, tally=tally, conflicts=conflicts, segments=segments, segments_read=segments_read,
                      candidate_pairs=pairs, tiles=len(jobs), halo=halo, mode=mode, seconds=totals,
                      norm_files=norms.files)
