"""Reading tile files (vkls.city.store): the mapped reader gives what numpy.load gives, and damage is a
clear error."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from tests.city.stores import random_arrays, write_store
from vkls.city.store import _ALL_COLUMNS, read_manifest, read_tile
from vkls.errors import InputError


@pytest.fixture(scope="module")
def one_tile(tmp_path_factory):
    folder = tmp_path_factory.mktemp("store")
    write_store(folder, random_arrays(5, n_lines=200, n_trees=20, size=40.0, origin=(90400.0, 460400.0)),
                tile_size=1000.0)
    manifest = read_manifest(folder)
    assert len(manifest.tiles) == 1
    return manifest, folder / manifest.tiles[0].file


def moved_to(folder, manifest):
    """The manifest pointing at ``folder``, and where its tile file goes there."""
    target = folder / manifest.tiles[0].file
    target.parent.mkdir(parents=True, exist_ok=True)
    return dataclasses.replace(manifest, folder=str(folder)), target


def assert_same(arrays, columns):
    for name in _ALL_COLUMNS:
        got = getattr(arrays, name)
        assert got.dtype == columns[name].dtype and got.shape == columns[name].shape, name
        np.testing.assert_array_equal(got, columns[name])


def test_the_direct_reader_gives_what_numpy_load_gives(one_tile):
    manifest, path = one_tile
    with np.load(path) as data:
        expected = {name: data[name] for name in _ALL_COLUMNS}
    arrays = read_tile(manifest, manifest.tiles[0])
    assert_same(arrays, expected)
    assert all(getattr(arrays, name).flags.aligned for name in _ALL_COLUMNS)


def test_tiles_held_in_memory_keep_no_file_open(one_tile):
    manifest, _ = one_tile
    descriptors = Path("/proc/self/fd")
    if not descriptors.is_dir():
        pytest.skip("needs /proc (Linux)")
    before = len(list(descriptors.iterdir()))
    held = [read_tile(manifest, manifest.tiles[0]) for _ in range(40)]
    assert len(list(descriptors.iterdir())) == before and len(held) == 40


def test_a_compressed_tile_is_read_by_numpy(one_tile, tmp_path):
    manifest, path = one_tile
    with np.load(path) as data:
        expected = {name: data[name] for name in _ALL_COLUMNS}
    moved, target = moved_to(tmp_path, manifest)
    np.savez_compressed(target, **expected)
    assert_same(read_tile(moved, manifest.tiles[0]), expected)


@pytest.mark.parametrize("keep", [0.3, 0.6, 0.95])
def test_a_truncated_tile_is_a_clear_error(one_tile, tmp_path, keep):
    manifest, path = one_tile
    content = path.read_bytes()
    moved, target = moved_to(tmp_path, manifest)
    target.write_bytes(content[:int(len(content) * keep)])
    with pytest.raises(InputError, match=r"unreadable tile file \((?!\[Errno)"):
        read_tile(moved, manifest.tiles[0])


def test_a_missing_array_is_named(one_tile, tmp_path):
    manifest, path = one_tile
    with np.load(path) as data:
        columns = {name: data[name] for name in _ALL_COLUMNS if name != "tree_crown"}
    moved, target = moved_to(tmp_path, manifest)
    np.savez(target, **columns)
    with pytest.raises(InputError, match="tree_crown"):
        read_tile(moved, manifest.tiles[0])


def test_an_array_of_the_wrong_kind_is_named(one_tile, tmp_path):
    manifest, path = one_tile
    with np.load(path) as data:
        columns = {name: data[name] for name in _ALL_COLUMNS}
    columns["xyz"] = columns["xyz"].astype(str)
    moved, target = moved_to(tmp_path, manifest)
    np.savez(target, **columns)
    with pytest.raises(InputError, match=r"xyz holds <U\d+ values; expected floating-point numbers"):
        read_tile(moved, manifest.tiles[0])


@pytest.mark.parametrize("change, message", [
    (lambda text, file: text + "\n" + text[text.index("[[tiles]]"):], "is listed twice"),
    (lambda text, file: text.replace(f'file = "{file}"', 'file = "/etc/passwd"'), "must be a path inside the store"),
    (lambda text, file: text.replace(f'file = "{file}"', f'file = "../{file}"'), "must be a path inside the store"),
    (lambda text, file: text.replace('crs = "EPSG:28992"', 'crs = "EPSG:4326"'), "a city store is in RD New"),
])
def test_a_manifest_listing_a_tile_twice_outside_the_store_or_in_another_crs_is_refused(one_tile, tmp_path, change,
                                                                                       message):
    manifest, path = one_tile
    folder = tmp_path / "store"
    (folder / "tiles").mkdir(parents=True)
    (folder / manifest.tiles[0].file).write_bytes(path.read_bytes())
    text = (Path(manifest.folder) / "city.toml").read_text()
    (folder / "city.toml").write_text(change(text, manifest.tiles[0].file))
    with pytest.raises(InputError, match=message):
        read_manifest(folder)
