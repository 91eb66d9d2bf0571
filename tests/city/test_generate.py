"""The synthetic city generator: determinism, what the city holds, the store it writes, the command."""

import csv
import errno
import itertools
import os
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from vkls.city import generate
from vkls.city.generate import (
    CONFLICT_TYPES,
    DEVIATION_CLIP_SIGMAS,
    DEVIATION_SIGMA,
    SIDE_DIRECTION,
    SIDE_NORMAL,
    SIDES,
    generate_city,
    layouts,
    make_grid,
)
from vkls.city.store import (
    LINE_KINDS,
    LINE_ROLES,
    MANIFEST,
    TileArrays,
    is_city_store,
    read_all_tiles,
    read_manifest,
    read_tile,
)
from vkls.cli.main import cli
from vkls.errors import InputError
from vkls.model import NetworkKind
from vkls.rules.loader import load_norms

KM, SEED = 3.0, 7
MAIN, HOUSE, SEWER_CONNECTION, RACK_MAIN = (LINE_ROLES.index(r) for r in ("main", "house connection",
                                                                          "sewer connection", "main on a rack"))
SEWER = LINE_KINDS.index(NetworkKind.RIOOL_VRIJVERVAL)
LARGEST_DEVIATION = DEVIATION_CLIP_SIGMAS * DEVIATION_SIGMA


def read_all(folder) -> tuple:
    manifest = read_manifest(folder)
    return manifest, read_all_tiles(manifest)


def line_points(arrays: TileArrays, k: int) -> np.ndarray:
    return arrays.xyz[arrays.line_start[k]:arrays.line_start[k + 1]]


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    """A mixed city in small tiles (many tiles, objects crossing tile edges), with many deliberate conflicts."""
    folder = tmp_path_factory.mktemp("city")
    generate_city(folder, KM, seed=SEED, vkls_share=0.3, conflict_share=0.3, tile_size=150.0)
    return (folder, *read_all(folder))


@pytest.fixture(scope="module")
def nen_city(tmp_path_factory):
    folder = tmp_path_factory.mktemp("nen")
    generate_city(folder, KM, seed=SEED, vkls_share=0.0, conflict_share=0.0)
    return read_all(folder)


@pytest.fixture(scope="module")
def vkls_city(tmp_path_factory):
    folder = tmp_path_factory.mktemp("vkls")
    generate_city(folder, KM, seed=SEED, vkls_share=1.0, conflict_share=0.0)
    return read_all(folder)


# --- determinism ------------------------------------------------------------------------------------------------

def test_the_same_seed_and_km_give_identical_files(tmp_path):
    for name in ("a", "b"):
        generate_city(tmp_path / name, 1.5, seed=3, conflict_share=0.5, tile_size=200.0)
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert len(files) > 3 and Path(MANIFEST) in files
    assert files == sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file())
    for file in files:
        assert (tmp_path / "a" / file).read_bytes() == (tmp_path / "b" / file).read_bytes(), file


def test_another_seed_gives_another_city(tmp_path, city):
    generate_city(tmp_path, KM, seed=SEED + 1, vkls_share=0.3, conflict_share=0.3, tile_size=150.0)
    _, other = read_all(tmp_path)
    assert other.n_segments != city[2].n_segments or not np.array_equal(other.xyz, city[2].xyz)


def test_the_city_does_not_depend_on_the_tile_size(tmp_path, city):
    folder, manifest, small_tiles = city
    generate_city(tmp_path, KM, seed=SEED, vkls_share=0.3, conflict_share=0.3, tile_size=5000.0)
    one_tile_manifest, one_tile = read_all(tmp_path)
    assert len(one_tile_manifest.tiles) == 1 < len(manifest.tiles)
    for column in ("line_index", "line_name", "line_kind", "line_role", "line_group", "line_diameter",
                   "line_accuracy", "line_start", "xyz", "tree_index", "tree_name", "tree_xy", "tree_class",
                   "tree_dbh", "tree_crown", "tree_barrier"):
        assert np.array_equal(getattr(small_tiles, column), getattr(one_tile, column)), column
    assert one_tile_manifest.max_segment_length == manifest.max_segment_length
    assert one_tile_manifest.summary["deliberate_conflicts"] == manifest.summary["deliberate_conflicts"]
    assert (tmp_path / "deliberate_conflicts.csv").read_text() == (folder / "deliberate_conflicts.csv").read_text()


# --- the store --------------------------------------------------------------------------------------------------

def test_the_store_reads_back_and_every_object_is_anchored_in_its_tile(city):
    folder, manifest, arrays = city
    assert is_city_store(folder)
    assert manifest.origin == tuple(float(np.floor(v)) for v in manifest.origin)
    every_xy = np.concatenate([arrays.xyz[:, :2], arrays.tree_xy])
    assert (every_xy > manifest.origin).all()
    for tile in manifest.tiles:
        part = read_tile(manifest, tile)  # validates shapes, NaN, codes
        assert (tile.lines, tile.segments, tile.trees) == (part.n_lines, part.n_segments, part.n_trees)
        extent = part.line_extents()
        centre = (np.column_stack([(extent[:, 0] + extent[:, 2]) / 2, (extent[:, 1] + extent[:, 3]) / 2])
                  if part.n_lines else np.zeros((0, 2)))
        for xy in (centre, part.tree_xy):
            assert (np.floor((xy - manifest.origin) / manifest.tile_size) == (tile.ix, tile.iy)).all()
        assert np.all(np.diff(part.line_index) > 0) and np.all(np.diff(part.tree_index) > 0)
    assert len(set(arrays.line_index) | set(arrays.tree_index)) == arrays.n_lines + arrays.n_trees
    assert len(set(arrays.line_name) | set(arrays.tree_name)) == arrays.n_lines + arrays.n_trees
    assert np.array_equal(arrays.line_group, arrays.line_kind.astype(np.int64))  # one group per kind, city-wide
    assert (arrays.line_accuracy == 0.0).all()  # the synthetic positions are exact


def test_max_segment_length_is_the_true_maximum(city):
    _, manifest, arrays = city
    step = np.linalg.norm(np.diff(arrays.xyz, axis=0), axis=1)
    step[arrays.line_start[1:-1] - 1] = 0.0
    assert manifest.max_segment_length == pytest.approx(step.max(), abs=1e-12)


def test_counts_and_lengths_match_the_summary(city):
    _, manifest, arrays = city
    summary = manifest.summary
    grid = make_grid(KM, SEED)
    assert summary["seed"] == SEED and summary["blocks"] == grid.n_blocks
    assert summary["km_street"] == pytest.approx(grid.street_length() / 1000, abs=1e-3) and summary["km_street"] >= KM
    assert (summary["segments"], summary["lines"], summary["trees"]) == \
        (arrays.n_segments, arrays.n_lines, arrays.n_trees) == (manifest.n_segments, manifest.n_lines, manifest.n_trees)
    lengths = arrays.line_lengths()
    main = (arrays.line_role == MAIN) | (arrays.line_role == RACK_MAIN)
    for code, kind in enumerate(LINE_KINDS):
        total = lengths[main & (arrays.line_kind == code)].sum() / 1000
        assert summary["km_cables"].get(kind.value, 0.0) == pytest.approx(total, abs=1e-3), kind
    assert summary["km_house_connections"] == pytest.approx(lengths[~main].sum() / 1000, abs=1e-3)
    houses = {name.rsplit("/", 1)[0] for name in arrays.line_name if "/h" in name}
    assert summary["houses"] == len(houses)
    assert 0 < summary["vkls_blocks"] < summary["blocks"]
    # every network kind of the brief is there
    assert {"datatransport", "laagspanning", "gasLageDruk", "water", "openbareVerlichting",
            "rioolVrijverval"} <= set(summary["km_cables"])


def test_the_mean_segment_length_is_close_to_klic_deliveries(city):
    _, manifest, arrays = city
    mean = arrays.line_lengths().sum() / arrays.n_segments
    assert 2.8 <= mean <= 3.4  # KLIC deliveries: 3.09 m
    assert manifest.summary["mean_segment_length"] == pytest.approx(mean, abs=1e-3)


def test_a_few_blocks_make_about_ten_thousand_segments(tmp_path):
    manifest = generate_city(tmp_path, 0.05, seed=1)
    assert manifest.summary["blocks"] == 1 and 700 < manifest.n_segments < 2000
    manifest = generate_city(tmp_path, 2.0, seed=1)
    assert 5_000 < manifest.n_segments < 20_000


# --- what the city holds ----------------------------------------------------------------------------------------

def facade_frame(grid, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The facade corner where a side starts, its direction and outward normal, from a name ``B000012/N/...``."""
    block, side = name.split("/")[:2]
    number = int(block[1:])
    x0, y0, x1, y1 = grid.block_rects()[number // grid.nx, number % grid.nx]
    s = SIDES.index(side)
    start = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])[s]
    return start, SIDE_DIRECTION[s], SIDE_NORMAL[s]


def mains_by_letter(arrays: TileArrays, grid) -> dict:
    """letter -> (offsets from the facade, depths) of the interior vertices of every main around a block."""
    found = defaultdict(lambda: ([], []))
    for k in np.flatnonzero(np.isin(arrays.line_role, (MAIN, RACK_MAIN)) & (arrays.line_kind != SEWER)):
        name = str(arrays.line_name[k])
        start, _, normal = facade_frame(grid, name)
        points = line_points(arrays, k)[1:-1]
        found[name.split("/")[2]][0].append((points[:, :2] - start) @ normal)
        found[name.split("/")[2]][1].append(points[:, 2])
    return {letter: (np.concatenate(o), np.concatenate(d)) for letter, (o, d) in found.items()}


def test_a_nen_block_has_its_networks_in_their_strips(nen_city):
    _, arrays = nen_city
    layout = layouts()[(False, True)]
    found = mains_by_letter(arrays, make_grid(KM, SEED))
    assert set(found) == set(layout.letters)  # MV power on some blocks
    for slot, letter in enumerate(layout.letters):
        offsets, depths = found[letter]
        assert np.abs(offsets - layout.offsets[slot]).max() <= LARGEST_DEVIATION + 1e-9, letter
        assert np.abs(depths - layout.depths[slot]).max() <= LARGEST_DEVIATION + 1e-9, letter
        assert offsets.std() > 0.01 and depths.std() > 0.01  # deviations are there
    medians = [np.median(found[letter][0]) for letter in ("T2", "L", "G", "W", "M", "O")]
    assert medians == sorted(medians) and medians[-1] < generate.SIDEWALK_WIDTH  # side by side in the sidewalk


def test_a_vkls_block_stacks_its_networks_in_the_rack(vkls_city):
    _, arrays = vkls_city
    found = mains_by_letter(arrays, make_grid(KM, SEED))
    stack = ("T1", "L", "G", "W", "H")
    assert set(stack) <= set(found)
    depths = [np.median(found[letter][1]) for letter in stack]
    assert depths == sorted(depths) and depths[-1] - depths[0] > 0.9  # telecom on top ... heat at the bottom
    rack = np.concatenate([found[letter][0] for letter in stack])
    low, high = generate.VKLS_RACK_OFFSET, generate.VKLS_RACK_OFFSET + generate.VKLS_RACK_WIDTH
    assert (rack > low - LARGEST_DEVIATION).all() and (rack < high + LARGEST_DEVIATION).all()
    assert np.median(found["O"][0]) > generate.SIDEWALK_WIDTH - 0.5  # lighting along the kerb


def test_house_connections_come_every_six_metres_from_the_main_to_the_facade(nen_city):
    _, arrays = nen_city
    grid = make_grid(KM, SEED)
    layout = layouts()[(False, False)]
    per_side = defaultdict(list)
    for k in np.flatnonzero(arrays.line_role == HOUSE):
        name = str(arrays.line_name[k])
        points = line_points(arrays, k)
        assert 3 <= len(points) <= 4, name
        start, direction, normal = facade_frame(grid, name)
        offsets = (points[:, :2] - start) @ normal
        assert abs(offsets[-1]) < 1e-9 and offsets[0] > 0.5  # from the main to the facade
        assert name.split("/")[2].startswith("h")
        if name.endswith("/T"):
            along = (points[-1, :2] - start) @ direction
            per_side[name.rsplit("/", 2)[0]].append(along)
    spacing = np.concatenate([np.diff(np.sort(v)) for v in per_side.values()])
    assert 5.5 <= spacing.mean() <= 6.5 and spacing.min() > 4.5 and spacing.max() < 7.5
    connection_kinds = {LINE_KINDS[c] for c in arrays.line_kind[arrays.line_role == HOUSE]}
    assert connection_kinds == {NetworkKind.DATATRANSPORT, NetworkKind.LAAGSPANNING, NetworkKind.GAS_LAGE_DRUK,
                                NetworkKind.WATER}
    assert len(layout.connections) == 4


def test_the_sewer_runs_in_the_middle_of_the_carriageway_deeper_than_everything(city):
    _, _, arrays = city
    grid = make_grid(KM, SEED)
    sewers = np.flatnonzero((arrays.line_role == MAIN) & (arrays.line_kind == SEWER))
    assert len(sewers) == (grid.nx + 1) * grid.ny + (grid.ny + 1) * grid.nx  # one per street segment
    others = (arrays.line_role == MAIN) & (arrays.line_kind != SEWER)
    deepest_other = max(line_points(arrays, k)[:, 2].max() for k in np.flatnonzero(others))
    for k in sewers:
        points = line_points(arrays, k)
        on_x = np.isin(points[:, 0], grid.street_x).all()
        on_y = np.isin(points[:, 1], grid.street_y).all()
        assert on_x or on_y  # on a street centre line, the middle of the carriageway
        assert points[:, 2].min() > deepest_other
        assert 0.3 <= arrays.line_diameter[k] <= 0.6 and (points[:, 2] >= 2.0).all() and (points[:, 2] <= 3.0).all()
    sewer_connections = np.flatnonzero(arrays.line_role == SEWER_CONNECTION)
    assert len(sewer_connections) > 0 and (arrays.line_kind[sewer_connections] == SEWER).all()
    for k in sewer_connections:
        points = line_points(arrays, k)
        assert points[:, 2].min() > deepest_other - 0.2  # under the sidewalk networks
        assert points[0, 2] > points[1, 2]  # falls towards the sewer


def test_trees_stand_in_rows_with_their_size_classes(city):
    _, _, arrays = city
    assert arrays.n_trees > 10
    assert set(arrays.tree_class) <= {"1a", "1b", "2", "3"}
    assert (arrays.tree_crown >= 2.0).all() and (arrays.tree_crown <= 6.0).all()
    assert (arrays.tree_dbh > 0.1).all() and (arrays.tree_dbh < 1.5).all()
    assert arrays.tree_barrier.any() and not arrays.tree_barrier.all()


# --- deliberate conflicts ---------------------------------------------------------------------------------------

def polyline_gap(a: np.ndarray, b: np.ndarray) -> float:
    """Smallest distance between two polylines (points of ``a`` every ~2 cm against the segments of ``b``)."""
    samples = np.concatenate([np.linspace(p, q, max(2, int(np.linalg.norm(q - p) / 0.02) + 1))
                              for p, q in itertools.pairwise(a)])
    p, q = b[:-1], b[1:]
    d = q - p
    t = np.clip(np.einsum("sij,ij->si", samples[:, None] - p[None], d) / np.einsum("ij,ij->i", d, d), 0, 1)
    return float(np.linalg.norm(samples[:, None] - (p[None] + t[..., None] * d[None]), axis=2).min())


def test_deliberate_conflicts_are_counted_listed_and_really_there(city):
    folder, manifest, arrays = city
    counts = manifest.summary["deliberate_conflicts"]
    assert set(counts) == set(CONFLICT_TYPES) and all(counts[kind] > 0 for kind in CONFLICT_TYPES)
    rows = list(csv.DictReader((folder / "deliberate_conflicts.csv").open()))
    assert len(rows) == sum(counts.values())
    norms = load_norms()
    lines = {str(name): k for k, name in enumerate(arrays.line_name)}
    trees = {str(name): k for k, name in enumerate(arrays.tree_name)}
    for row in rows:
        objects = row["objects"].split(";")
        if row["type"] == "shallow":
            k = lines[objects[0]]
            cover = line_points(arrays, k)[:, 2] - arrays.line_diameter[k] / 2
            assert cover.min() < norms.number(f"networks.{LINE_KINDS[arrays.line_kind[k]].value}.cover_min")
        elif row["type"] == "tree":
            tree, main = trees[objects[0]], lines[objects[1]]
            trunk = np.append(arrays.tree_xy[tree], 0.0)
            points = line_points(arrays, main) * [1, 1, 0]
            gap = polyline_gap(np.array([trunk, trunk + 1e-9]), points) - arrays.line_diameter[main] / 2
            assert gap < norms.number("trees.classes.2.trunk_distance")
        else:
            a, b = lines[objects[0]], lines[objects[1]]
            gap = polyline_gap(line_points(arrays, a), line_points(arrays, b)) - \
                (arrays.line_diameter[a] + arrays.line_diameter[b]) / 2
            kinds = (LINE_KINDS[arrays.line_kind[a]].value, LINE_KINDS[arrays.line_kind[b]].value)
            required = max([norms.clearance(*kinds).crossing] + [norms.thermal[pair].crossing for pair in
                                                                 (kinds, kinds[::-1]) if pair in norms.thermal])
            assert gap < required, row


def test_no_deliberate_conflicts_without_a_share(nen_city, vkls_city, tmp_path):
    for manifest, arrays in (nen_city, vkls_city):
        assert manifest.summary["deliberate_conflicts"] == dict.fromkeys(CONFLICT_TYPES, 0)
        assert not any(str(name).endswith(("/Hx", "/tx")) for name in
                       np.concatenate([arrays.line_name, arrays.tree_name]))
    folder = Path(nen_city[0].folder)
    assert (folder / "deliberate_conflicts.csv").read_text().strip() == "type,rule,objects,x,y"


def section_gap(path: np.ndarray, point: np.ndarray) -> float:
    """Distance from a point to a section polyline (offset, depth)."""
    p, q = path[:-1], path[1:]
    d = q - p
    t = np.clip(((point - p) * d).sum(axis=1) / np.maximum((d * d).sum(axis=1), 1e-18), 0, 1)
    return float(np.linalg.norm(point - (p + t[:, None] * d), axis=1).min())


@pytest.mark.parametrize("key", [(False, False), (False, True), (True, False), (True, True)])
def test_every_layout_keeps_the_default_norms_with_room_for_the_deviations(key):
    """In section: mains of different networks, and each connection against the other mains, stay farther
    apart than the norms ask by a margin for the deviations (NEN: 0.12 m; VKLS, where the rack moves as a
    whole: 0.035 m). The one exception is the VKLS heat pipe under the drinking water (the living-lab question)."""
    layout = layouts()[key]
    norms = load_norms()
    margin = 0.035 if layout.vkls else 0.12
    position = np.column_stack([layout.offsets, layout.depths])
    kind = [LINE_KINDS[k].value for k in layout.kinds]
    exempt = {("water", "warmte"), ("warmte", "water")}
    for i, j in itertools.combinations(range(layout.n_slots), 2):
        if layout.bundle[i] == layout.bundle[j] or (kind[i], kind[j]) in exempt:
            continue
        gap = np.linalg.norm(position[i] - position[j]) - (layout.diameters[i] + layout.diameters[j]) / 2
        crossing = abs(position[i, 1] - position[j, 1]) > abs(position[i, 0] - position[j, 0])
        entry = norms.clearance(kind[i], kind[j])
        need = max([entry.crossing if crossing else entry.parallel]
                   + [(norms.thermal[p].crossing if crossing else norms.thermal[p].parallel)
                      for p in ((kind[i], kind[j]), (kind[j], kind[i])) if p in norms.thermal])
        assert gap >= need + margin, (layout.name, layout.letters[i], layout.letters[j], gap, need)
    for template in layout.connections:
        for j in range(layout.n_slots):
            if layout.kinds[j] == template.kind or (LINE_KINDS[template.kind].value, kind[j]) in exempt:
                continue
            gap = section_gap(template.path, position[j]) - (template.diameter + layout.diameters[j]) / 2
            entry = norms.clearance(LINE_KINDS[template.kind].value, kind[j])
            assert gap >= entry.crossing + margin, (layout.name, template.letter, layout.letters[j], gap)


# --- the folder -------------------------------------------------------------------------------------------------

def test_a_foreign_non_empty_folder_is_refused_unless_forced(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="not empty"):
        generate_city(tmp_path, 0.1)
    assert not (tmp_path / MANIFEST).exists()
    generate_city(tmp_path, 0.1, force=True)
    assert is_city_store(tmp_path) and (tmp_path / "notes.txt").read_text() == "mine"
    with pytest.raises(InputError, match="not a folder"):
        generate_city(tmp_path / "notes.txt", 0.1)


def test_an_earlier_store_stays_whole_until_its_replacement_is_complete(tmp_path):
    folder = tmp_path / "city"
    earlier = generate_city(folder, 1.0, tile_size=100.0)
    files = {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert len(list((folder / "tiles").glob("*.npz"))) > 1

    def interrupt(done, total, segments):
        if done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        generate_city(folder, 1.0, tile_size=100.0, seed=7, progress=interrupt)
    assert {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()} == files
    assert read_manifest(folder).tiles == earlier.tiles
    assert sorted(p.name for p in tmp_path.iterdir()) == ["city"]  # no staging folder left
    manifest = generate_city(folder, 1.0, tile_size=5000.0)
    assert [p.name for p in (folder / "tiles").glob("*.npz")] == [Path(t.file).name for t in manifest.tiles]
    assert read_manifest(folder).folder == str(folder)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["city"]


def test_a_full_disk_is_one_line_and_the_earlier_store_stays_whole(tmp_path, monkeypatch):
    folder = tmp_path / "city"
    generate_city(folder, 0.5)
    files = {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(generate, "_write_conflicts", full)
    with pytest.raises(InputError, match=r"city: cannot write output \(No space left on device\)"):
        generate_city(folder, 0.5, seed=3)
    assert {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()} == files
    assert sorted(p.name for p in tmp_path.iterdir()) == ["city"]


def test_a_failed_swap_puts_the_earlier_store_back(tmp_path, monkeypatch):
    folder = tmp_path / "city"
    generate_city(folder, 0.5)
    files = {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    rename = os.rename

    def fails_for_the_staging_folder(source, destination):
        if str(source).endswith(".generating"):
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        rename(source, destination)

    monkeypatch.setattr(generate.os, "rename", fails_for_the_staging_folder)
    with pytest.raises(InputError, match="cannot put the new city store in place"):
        generate_city(folder, 0.5, seed=3)
    assert {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()} == files
    assert sorted(p.name for p in tmp_path.iterdir()) == ["city"]


def test_an_interrupted_first_run_leaves_nothing(tmp_path):
    def interrupt(done, total, segments):
        if done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        generate_city(tmp_path / "new", 1.0, tile_size=100.0, progress=interrupt)
    assert not (tmp_path / "new").exists()
    (tmp_path / "empty").mkdir()
    with pytest.raises(KeyboardInterrupt):
        generate_city(tmp_path / "empty", 1.0, tile_size=100.0, progress=interrupt)
    assert (tmp_path / "empty").is_dir() and not any((tmp_path / "empty").iterdir())  # kept, as it was


def test_progress_is_reported_per_tile(tmp_path):
    calls = []
    manifest = generate_city(tmp_path, 1.0, tile_size=100.0, progress=lambda *args: calls.append(args))
    assert calls[-1][0] == calls[-1][1] == len(calls) > 1
    assert calls[-1][2] == manifest.n_segments
    assert [c[2] for c in calls] == sorted(c[2] for c in calls)


@pytest.mark.parametrize("arguments, message", [
    ({"km": 0}, "km"), ({"km": float("nan")}, "km"), ({"km": -2}, "km"), ({"km": 1e9}, "km"),
    ({"km": 1, "tile_size": 0}, "tile_size"), ({"km": 1, "vkls_share": -0.1}, "vkls_share"),
    ({"km": 1, "conflict_share": 1.5}, "conflict_share"), ({"km": 1, "seed": -1}, "seed"),
    ({"km": 1, "seed": 2**64}, "seed"),
    ({"km": 1, "accuracy": float("inf")}, "accuracy"),
])
def test_bad_parameters_are_refused(tmp_path, arguments, message):
    with pytest.raises(InputError) as error:
        generate_city(tmp_path, **arguments)
    assert error.value.place == message
    assert not any(tmp_path.iterdir())


# --- the command ------------------------------------------------------------------------------------------------

def run(*args):
    return CliRunner().invoke(cli, ["generate", "city", *args], catch_exceptions=False)


def test_command_writes_a_city_and_prints_one_summary_line(tmp_path):
    result = run("--km", "1", "-o", str(tmp_path / "city"), "--seed", "2", "--tile-size", "300")
    assert result.exit_code == 0, result.output
    line = result.stdout.strip()
    assert "\n" not in line and "km of street" in line and "segments" in line and "tile(s)" in line
    manifest = read_manifest(tmp_path / "city")
    assert f"{manifest.n_segments:,} segments" in line and manifest.summary["seed"] == 2


@pytest.mark.parametrize("option, value", [
    ("--km", "0"), ("--km", "nan"), ("--km", "-3"), ("--tile-size", "0"), ("--vkls-share", "-0.5"),
    ("--conflict-share", "1.5"), ("--accuracy", "-1"), ("--seed", "-1"), ("--seed", "99999999999999999999999"),
])
def test_command_bad_values_exit_2_with_one_line(tmp_path, option, value):
    arguments = ["--km", "1", "-o", str(tmp_path / "city"), option, value]
    result = run(*arguments)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith(f"vkls: error: {option}: "), result.stderr
    assert not (tmp_path / "city" / MANIFEST).exists()


def test_command_refuses_a_foreign_folder_unless_forced(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    result = run("--km", "0.5", "-o", str(tmp_path))
    assert result.exit_code == 2 and result.stderr.count("\n") == 1 and "--force" in result.stderr
    assert run("--km", "0.5", "-o", str(tmp_path), "--force", "-q").exit_code == 0
    assert is_city_store(tmp_path)


def test_mains_on_a_rack_are_marked_and_only_in_vkls_blocks(vkls_city, nen_city):
    _, vkls_arrays = vkls_city
    _, nen_arrays = nen_city
    on_rack = vkls_arrays.line_role == RACK_MAIN
    assert on_rack.any() and not (nen_arrays.line_role == RACK_MAIN).any()
    letters = {str(name).split("/")[2] for name in vkls_arrays.line_name[on_rack]}
    assert {"T1", "L", "G", "W"} <= letters
