"""``vkls section``: the cross-section at a chainage, drawn to scale (SVG or PNG)."""

from __future__ import annotations

import click

from vkls.cli.common import EXIT_CLEAN, input_errors_exit_2, norms_option

PICTURE_FORMATS = ("svg", "png")


@click.command("section")
@click.argument("street_file", type=click.Path(dir_okay=False))
@click.option("--chainage", type=float, required=True, help="Where to cut, metres along the route.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True,
              help="The picture to write (atomically): .svg or .png.")
@norms_option
@input_errors_exit_2
def section_command(street_file, chainage, output, norm_files):
    """Check STREET_FILE and draw its cross-section at --chainage to scale.

    Surface zones and the ground line; every cable and pipe at its position and true
    diameter with its label; required-clearance envelopes; the rack; root zones; conflicts
    marked and listed; dimension lines for offsets and cover depths; a scale bar.

    Exit code 0 when the picture was written (also when there are conflicts); 2 on bad input.
    """
    import sys

    from vkls.errors import InputError
    from vkls.io.atomic import atomic_write
    from vkls.pipeline import check
    from vkls.rules.loader import load_norms
    from vkls.viewer.section import draw_section

    fmt = output.rsplit(".", 1)[-1].lower() if "." in output else ""
    if fmt not in PICTURE_FORMATS:
        raise InputError("section writes SVG or PNG: give an output file ending in .svg or .png", source=output)
    result = check(street_file, norm_files)
    try:  # draw_section checks that there is a route and that the chainage lies on it
        data = draw_section(result.street, result.scene, result.conflicts, chainage, norms=load_norms(norm_files),
                            fmt=fmt)
    except InputError as error:
        raise error.naming(street_file) from None
    with atomic_write(output, mode="wb") as stream:
        stream.write(data)
    click.echo(f"section at chainage {chainage:g} m of {result.street.name} written to {output}", err=True)
    sys.exit(EXIT_CLEAN)
