"""``vkls view``: the interactive 3D viewer (a PyVista window)."""

from __future__ import annotations

import click

from vkls.cli.common import EXIT_CLEAN, input_errors_exit_2, norms_option


@click.command("view")
@click.argument("street_file", type=click.Path(dir_okay=False))
@click.option("--chainage", type=float, default=None, help="Start with the section plane at this chainage, metres.")
@click.option("--conflicts-only", is_flag=True, help="Show only the objects named by a conflict.")
@norms_option
@input_errors_exit_2
def view_command(street_file, chainage, conflicts_only, norm_files):
    """Check STREET_FILE and open it in an interactive 3D window.

    Check boxes (right) switch layers on and off: networks, rack, trees, ground,
    reservations, conflicts. Click an object or a conflict ball to read what it is and
    the conflict's explanation. The slider moves a section plane along the route (0: off).
    Needs a screen; on a machine without one, use 'vkls render'.
    """
    import sys

    from vkls.errors import InputError
    from vkls.pipeline import check
    from vkls.viewer.interactive import open_viewer
    from vkls.viewer.render import check_view

    result = check(street_file, norm_files)
    if result.scene.has_section:  # a map (KLIC delivery) has no route and no section plane
        try:
            check_view("iso", chainage, result.scene.alignment.length)
        except InputError as error:
            raise error.naming(street_file) from None
    open_viewer(result.street, result.scene, result.conflicts, chainage=chainage, conflicts_only=conflicts_only)
    sys.exit(EXIT_CLEAN)
