"""``vkls generate``: synthetic data for scale tests (``vkls generate city``)."""

from __future__ import annotations

import time

import click

from vkls.cli.common import input_errors_exit_2

#: Parameters of :func:`vkls.city.generate.generate_city` -> the options that set them.
OPTION_NAMES = {"km": "--km", "seed": "--seed", "vkls_share": "--vkls-share", "conflict_share": "--conflict-share",
                "tile_size": "--tile-size", "accuracy": "--accuracy"}


@click.group("generate")
def generate_group():
    """Write synthetic data: a whole city of streets, cables, pipes and trees for scale tests."""


@generate_group.command("city")
@click.option("--km", type=float, required=True,
              help="Street length to reach, in kilometres of street centre line (at least one block is made; "
                   "about 4,500 segments per km: --km 10 gives ~5e4 segments, --km 2200 ~1e7).")
@click.option("-o", "--output", "folder", type=click.Path(file_okay=False), required=True,
              help="The city store folder to write (new, empty, or an earlier city store, which is replaced once "
                   "the new one is complete: it needs room for both meanwhile).")
@click.option("--seed", type=int, default=1, show_default=True,
              help="Random seed: the same seed and --km give identical files.")
@click.option("--vkls-share", type=float, default=0.2, show_default=True,
              help="Share of the blocks with a VKLS rack (vertical) instead of NEN 7171 strips, 0 to 1.")
@click.option("--conflict-share", type=float, default=0.05, show_default=True,
              help="Share of the block sides with one deliberate conflict (listed in deliberate_conflicts.csv), "
                   "0 to 1.")
@click.option("--tile-size", type=float, default=1000.0, show_default=True,
              help="Edge of a square tile of the store, metres (at least 10). The city does not depend on it.")
@click.option("--accuracy", type=float, default=0.0, show_default=True,
              help="Position accuracy every line claims, horizontal and vertical, metres (0: the synthetic "
                   "positions are exact; 0.1 makes pairs near the norms' distances possible conflicts).")
@click.option("-f", "--force", is_flag=True, help="Write into a non-empty folder that is not a city store.")
@click.option("-q", "--quiet", is_flag=True, help="No progress line and no summary.")
@input_errors_exit_2
def generate_city_command(km, folder, seed, vkls_share, conflict_share, tile_size, accuracy, force, quiet):
    """Write a realistic synthetic city into the tiled city store FOLDER (-o).

    A grid of building blocks around Leiden (RD New) with streets of 14-24 m: around every
    block the networks in the sidewalk in NEN 7171 strips (telecom, LV, gas, water, MV on
    some blocks, street lighting) or, on a share of the blocks, stacked in a VKLS rack;
    house connections every ~6 m; a gravity sewer in every street with sewer connections;
    rows of trees; random deviations in position and depth; and deliberate conflicts of four
    types (displaced main, main too shallow, tree on the cables, heat pipe beside water).

    The store is written tile by tile with bounded memory, city.toml last. Exit code 0
    when written; 2 for bad input.
    """
    from vkls.city.generate import generate_city
    from vkls.cli.progress import progress_reporter
    from vkls.errors import InputError

    clock = time.perf_counter()
    try:
        with progress_reporter("generating", "segments", quiet) as progress:
            manifest = generate_city(folder, km, seed=seed, vkls_share=vkls_share, conflict_share=conflict_share,
                                     tile_size=tile_size, accuracy=accuracy, force=force, progress=progress)
    except InputError as error:  # name the option, not the parameter
        place = OPTION_NAMES.get(error.place, error.place)
        raise InputError(error.message, source=error.source, place=place) from None
    seconds = time.perf_counter() - clock
    if not quiet:
        click.echo(summary_line(folder, manifest, seconds))


def summary_line(folder: str, manifest, seconds: float) -> str:
    """One line: km of street and of cables, segments, lines, trees, tiles, seconds and rate."""
    summary = manifest.summary
    cables = sum(summary.get("km_cables", {}).values())
    rate = manifest.n_segments / seconds if seconds > 0 else 0.0
    return (f"{folder}: {summary.get('km_street', 0):,.1f} km of street, {cables:,.1f} km of cables and pipes, "
            f"{manifest.n_segments:,} segments, {manifest.n_lines:,} lines, {manifest.n_trees:,} trees in "
            f"{len(manifest.tiles):,} tile(s), {seconds:.1f} s ({rate / 1e3:,.0f}k segments/s)")
