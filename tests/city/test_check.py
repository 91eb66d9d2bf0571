"""The tiled city check: one pass, tiles, local processes and a Dask LocalCluster give the same
conflicts; the array scene gives what the NetworkMap scene gives."""

from __future__ import annotations

import numpy as np
import pytest

from tests.city.stores import random_arrays, write_store
from vkls.city.check import check_city, halo_width, plan
from vkls.city.store import LINE_KINDS, LINE_ROLES, read_manifest
from vkls.model import NetworkMap, Tree, Utility
from vkls.pipeline import check_street
from vkls.rules import default_rules
from vkls.rules.loader import load_norms


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("city")
    arrays = random_arrays(3, n_lines=1500, n_trees=120, size=250)
    write_store(folder, arrays, tile_size=60.0)
    return folder, arrays


def _records(result):
    return sorted((c.id, c.rule, c.objects, round(c.actual, 9), round(c.chainage_start, 9), c.severity)
                  for c in result.conflicts)


def test_tiles_give_exactly_the_single_pass_conflicts(store):
    folder, _ = store
    one = check_city(str(folder), single_pass=True, workers=1)
    tiled = check_city(str(folder), workers=1)
    assert tiled.tiles > 10 and one.tiles == 1
    assert len(one.conflicts) > 500
    assert {c.id for c in one.conflicts} == {c.id for c in tiled.conflicts}
    assert sorted(one.conflicts, key=lambda c: c.id) == sorted(tiled.conflicts, key=lambda c: c.id)
    assert tiled.segments == one.segments  # every segment is owned by exactly one tile
    assert tiled.segments_read > tiled.segments  # the halo was read too


def test_local_processes_give_the_same_conflicts(store, monkeypatch):
    monkeypatch.setattr("vkls.city.check.PROCESSES_FROM", 0)  # small as it is, use worker processes
    folder, _ = store
    serial = check_city(str(folder), workers=1)
    parallel = check_city(str(folder), workers=2)
    assert parallel.mode == "2 processes"
    assert [c.id for c in serial.conflicts] == [c.id for c in parallel.conflicts]  # same order too


def test_dask_local_cluster_gives_the_same_conflicts(store):
    pytest.importorskip("dask.distributed")
    folder, _ = store
    serial = check_city(str(folder), workers=1)
    on_dask = check_city(str(folder), workers=2, dask="local")
    assert on_dask.mode.startswith("dask")
    assert _records(on_dask) == _records(serial)
    assert [c.id for c in serial.conflicts] == [c.id for c in on_dask.conflicts]


def test_the_halo_brings_in_a_neighbour_across_the_tile_border(tmp_path):
    """Two parallel cables 0.2 m apart on either side of a tile border, each stored in its own
    tile, with extents that do not overlap: only the halo lets the owning tile see the pair."""
    from dataclasses import replace

    from vkls.city.check import check_tile
    from vkls.city.store import TileArrays
    from vkls.model import NetworkKind

    lv, telecom = LINE_KINDS.index(NetworkKind.LAAGSPANNING), LINE_KINDS.index(NetworkKind.DATATRANSPORT)
    origin = (90000.0, 460000.0)
    lines = TileArrays.empty()
    lines = replace(lines, line_index=np.array([1, 2]), line_name=np.array(["a", "b"]),
                    line_kind=np.array([lv, telecom], np.int8), line_role=np.zeros(2, np.int8),
                    line_group=np.array([0, 1]), line_diameter=np.array([0.1, 0.1]),
                    line_accuracy=np.zeros((2, 2)), line_start=np.array([0, 2, 4]),
                    xyz=np.array([[1, 9.8, 0.8], [5, 9.8, 0.8], [1, 10.1, 0.8], [5, 10.1, 0.8]]) + [*origin, 0])
    write_store(tmp_path, lines, tile_size=10.0, origin=origin)
    manifest = read_manifest(tmp_path)
    assert len(manifest.tiles) == 2
    assert manifest.tiles[0].bbox[3] < manifest.tiles[1].bbox[1]  # extents apart
    jobs, _ = plan(manifest, load_norms(()), default_rules())
    with_halo = [c for job in jobs for c in check_tile(job).conflicts]
    bare = [c for job in jobs for c in check_tile(replace(job, region=manifest.tiles[job.tile].bbox)).conflicts]
    assert [(c.rule, c.objects, round(c.actual, 6)) for c in with_halo] == [("clearance", ("a", "b"), 0.2)]
    assert bare == []


def test_array_scene_matches_the_network_map_scene(store):
    """Independent reference: the same lines and trees as Utility/Tree objects through build_map_scene."""
    folder, arrays = store
    norms = load_norms(())
    utilities = []
    for k in range(arrays.n_lines):
        points = arrays.xyz[arrays.line_start[k]:arrays.line_start[k + 1]]
        utilities.append(Utility(id=str(arrays.line_name[k]), kind=LINE_KINDS[arrays.line_kind[k]], owner="test",
                                 diameter=float(arrays.line_diameter[k]), points=points,
                                 accuracy_xy=float(arrays.line_accuracy[k, 0]),
                                 accuracy_depth=float(arrays.line_accuracy[k, 1]),
                                 group=f"g{arrays.line_group[k]}"))
        assert LINE_ROLES[arrays.line_role[k]] in ("main", "house connection")
    trees = [Tree(id=str(arrays.tree_name[t]), chainage=0.0, offset=0.0, size_class=str(arrays.tree_class[t]),
                  trunk_diameter=float(arrays.tree_dbh[t]), crown_radius=float(arrays.tree_crown[t]),
                  root_barrier=bool(arrays.tree_barrier[t]), xy=tuple(arrays.tree_xy[t]))
             for t in range(arrays.n_trees)]
    reference = check_street(NetworkMap("random", "test", tuple(utilities), tuple(trees)), norms)
    city = check_city(str(folder), single_pass=True, workers=1)
    # the map scene calls every line a main; compare the rules that do not look at the role
    role_free = {"clearance", "thermal", "tree-distance", "root-zone"}
    ours = sorted((c.rule, c.objects, round(c.actual, 6), round(c.chainage, 6))
                  for c in city.conflicts if c.rule in role_free)
    theirs = sorted((c.rule, c.objects, round(c.actual, 6), round(c.chainage, 6))
                    for c in reference.conflicts if c.rule in role_free)
    assert len(ours) > 300
    assert ours == theirs


def test_rule_selection_and_unknown_rule(store):
    from vkls.errors import InputError

    folder, _ = store
    only = check_city(str(folder), rule_ids=["clearance"], workers=1)
    assert {c.rule for c in only.conflicts} == {"clearance"}
    with pytest.raises(InputError, match="unknown rule 'clearence'"):
        check_city(str(folder), rule_ids=["clearence"], workers=1)


def test_damaged_tile_is_a_clear_error(store, tmp_path):
    import shutil

    from vkls.errors import InputError

    folder, _ = store
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    victim = sorted((copy / "tiles").glob("*.npz"))[3]
    victim.write_bytes(victim.read_bytes()[:200])
    with pytest.raises(InputError, match=r"t_.*\.npz: unreadable tile file"):
        check_city(str(copy), workers=1)
    assert np.isfinite(halo_width(read_manifest(copy), load_norms(()), default_rules()))


def test_blocks_cover_every_job_once_in_squares(store):
    from vkls.city.check import block_edge, in_blocks

    folder, _ = store
    manifest = read_manifest(folder)
    jobs, _ = plan(manifest, load_norms(()), default_rules())
    blocks = in_blocks(jobs, manifest, 2)
    assert sorted(job.tile for block in blocks for job in block) == sorted(job.tile for job in jobs)
    for block in blocks:
        cells = {(manifest.tiles[j.tile].ix // 2, manifest.tiles[j.tile].iy // 2) for j in block}
        assert len(cells) == 1 and len(block) <= 4
    assert block_edge(1000) == 8 and block_edge(200) == 4 and block_edge(40) == 2 and block_edge(10) == 1


def test_even_finish_cuts_only_the_last_blocks_and_keeps_the_order():
    from vkls.city.check import even_finish

    blocks = [list(range(64 * b, 64 * (b + 1))) for b in range(10)]
    batches = even_finish(blocks, workers=2)
    assert [job for batch in batches for job in batch] == list(range(640))
    assert batches[:6] == blocks[:6]
    assert all(len(batch) == 16 for batch in batches[6:]) and len(batches) == 6 + 4 * 4
    assert even_finish(blocks[:3], workers=2)[0] == list(range(16))  # fewer blocks than 2 x workers
