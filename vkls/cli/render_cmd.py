"""``vkls render``: the 3D scene of a checked street as a PNG, offscreen (no screen needed)."""

from __future__ import annotations

import click

from vkls.cli.common import EXIT_CLEAN, input_errors_exit_2, norms_option


def parse_size(text: str) -> tuple[int, int]:
    """``1600x1000`` -> (1600, 1000); InputError otherwise (16 to 8000 pixels a side)."""
    from vkls.errors import InputError

    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise InputError(f"--size: expected WIDTHxHEIGHT in pixels, e.g. 1600x1000, got '{text}'") from None
    if not (16 <= width <= 8000 and 16 <= height <= 8000):
        raise InputError(f"--size: each side must be 16 to 8000 pixels, got '{text}'")
    return width, height


@click.command("render")
@click.argument("street_file", type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True,
              help="The PNG file to write (atomically).")
@click.option("--view", type=click.Choice(("iso", "top", "section")), default="iso", show_default=True,
              help="iso: 3D from above the street side; top: plan view; section: cut at --chainage, looking along "
                   "the route.")
@click.option("--chainage", type=float, default=None,
              help="Where the section view cuts, metres along the route (default: the middle).")
@click.option("--conflicts-only", is_flag=True, help="Draw only the objects named by a conflict.")
@click.option("--size", "size_text", default="1600x1000", show_default=True, help="Picture size in pixels, WxH.")
@norms_option
@input_errors_exit_2
def render_command(street_file, output, view, chainage, conflicts_only, size_text, norm_files):
    """Check STREET_FILE and render its 3D scene to a PNG offscreen.

    Cables and pipes in their KLIC theme colours (with codes and band patterns), the VKLS
    rack, trees with their root zones, the translucent ground and surface zones, conflicts
    as red balls with pins and labels, and a legend. Works without a screen.

    Exit code 0 when the picture was written (also when there are conflicts); 2 on bad input.
    """
    import sys

    from vkls.errors import InputError
    from vkls.io.atomic import atomic_write
    from vkls.pipeline import check
    from vkls.viewer.render import png_bytes, render_image

    if not output.lower().endswith(".png"):
        raise InputError("render writes PNG: give an output file ending in .png", source=output)
    size = parse_size(size_text)
    result = check(street_file, norm_files)
    try:  # render_image checks the view and chainage before it draws
        image = render_image(result.street, result.scene, result.conflicts, view=view, chainage=chainage,
                             conflicts_only=conflicts_only, size=size)
    except InputError as error:
        raise error.naming(street_file) from None
    with atomic_write(output, mode="wb") as stream:
        stream.write(png_bytes(image))
    click.echo(f"{view} view of {result.street.name} ({len(result.conflicts)} conflict(s)) written to {output}",
               err=True)
    sys.exit(EXIT_CLEAN)
