"""Every conflict the generator plants is found by the tiled check, whatever the tile size."""

import csv

import pytest

from vkls.city.check import check_city
from vkls.city.generate import generate_city


@pytest.fixture(scope="module", params=[1000.0, 150.0])
def planted(tmp_path_factory, request):
    folder = tmp_path_factory.mktemp("planted")
    generate_city(folder, 3.0, seed=7, conflict_share=0.5, tile_size=request.param)
    with (folder / "deliberate_conflicts.csv").open() as stream:
        rows = list(csv.DictReader(stream))
    return folder, rows


def test_every_planted_conflict_is_reported(planted):
    folder, rows = planted
    assert len(rows) > 10 and {r["type"] for r in rows} == {"displaced", "shallow", "tree", "thermal"}
    found = check_city(str(folder), workers=1)
    reported = {(c.rule, frozenset(o for o in c.objects if o)) for c in found.conflicts}
    for row in rows:
        objects = frozenset(row["objects"].split(";"))
        assert (row["rule"], objects) in reported, row


def test_tile_size_changes_nothing_in_the_report(tmp_path):
    small, large = tmp_path / "small", tmp_path / "large"
    generate_city(small, 2.0, seed=3, conflict_share=0.3, tile_size=120.0)
    generate_city(large, 2.0, seed=3, conflict_share=0.3, tile_size=5000.0)
    by_tiles = check_city(str(small), workers=1)
    one_tile = check_city(str(large), workers=1)
    assert len(by_tiles.manifest.tiles) > 4 and len(one_tile.manifest.tiles) == 1
    assert sorted(by_tiles.conflicts, key=lambda c: c.id) == sorted(one_tile.conflicts, key=lambda c: c.id)
