"""Shared test helpers: small street files written on the fly."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples"

def base_street(arrangement="horizontal", zones=(("sidewalk", 4.0, "paving"), ("road", 6.0, "asphalt")),
                coordinates="[[155000.0, 463000.0], [155020.0, 463000.0]]"):
    """The [street], [route] and [[zones]] tables of a test street as TOML text."""
    text = (f'[street]\nname = "test street"\narrangement = "{arrangement}"\n\n'
            f"[route]\ncoordinates = {coordinates}\nground_level = 0.0\n")
    for name, width, surface in zones:
        text += f'\n[[zones]]\nname = "{name}"\nwidth = {width}\nsurface = "{surface}"\n'
    return text


BASE_STREET = base_street()


def network(id, kind, offset=None, depth=None, diameter=None, count=None, owner="test"):
    """A [[networks]] table as TOML text."""
    lines = ["[[networks]]", f'id = "{id}"', f'kind = "{kind}"', f'owner = "{owner}"']
    for key, value in (("offset", offset), ("depth", depth), ("diameter", diameter), ("count", count)):
        if value is not None:
            lines.append(f"{key} = {value}")
    return "\n".join(lines) + "\n"


@pytest.fixture
def street_file(tmp_path):
    """Write a street file: ``street_file(networks_toml, extra="", base=BASE_STREET)`` -> path."""

    def write(body: str, extra: str = "", base: str = BASE_STREET, name: str = "street.toml") -> str:
        path = tmp_path / name
        path.write_text(textwrap.dedent(base) + "\n" + body + "\n" + textwrap.dedent(extra))
        return str(path)

    return write


@pytest.fixture(scope="session")
def small_city(tmp_path_factory):
    """A generated city (1.5 km of street, a third of it VKLS racks, trees with and without root
    barriers, many deliberate conflicts) as one scene: ``(scene, norms)``."""
    from vkls.city.generate import generate_city
    from vkls.city.store import read_all_tiles, read_manifest
    from vkls.geometry.array_scene import build_array_scene
    from vkls.rules.loader import load_norms

    folder = tmp_path_factory.mktemp("small-city")
    generate_city(folder, 1.5, seed=5, vkls_share=0.3, conflict_share=0.3, tile_size=400.0)
    manifest = read_manifest(folder)
    norms = load_norms(())
    return build_array_scene(read_all_tiles(manifest), norms, manifest.origin), norms
