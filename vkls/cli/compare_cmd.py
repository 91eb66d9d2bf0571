"""``vkls compare``: layouts of one street side by side."""

from __future__ import annotations

import click

from vkls.cli.common import input_errors_exit_2, norms_option

FORMATS = {".html": "html", ".htm": "html", ".md": "md", ".markdown": "md", ".json": "json"}


@click.command("compare")
@click.argument("street_files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="The report: .html (self-contained, pictures embedded), .md or .json.")
@norms_option
@click.option("--no-pictures", is_flag=True, help="Leave out the cross-sections and 3D views (faster).")
@input_errors_exit_2
def compare_command(street_files, output, norm_files, no_pictures):
    """Compare layouts of one street (STREET_FILES, two or more TOML files) side by side.

    For each layout: the space claimed and left free, whether the profile fits the
    sidewalk, the rootable soil left for each tree and where a tree could be added,
    the digging needed to reach each network (expected excavation per 100 m per year,
    networks exposed), the conflicts by rule and severity, and pictures. The report
    ends with how each figure is computed.
    """
    from vkls.compare.report import compare, report_html, report_json, report_markdown
    from vkls.errors import InputError
    from vkls.io.atomic import atomic_write

    if len(street_files) < 2:
        raise InputError("compare needs at least two layouts", source=street_files[0])
    suffix = "." + output.rsplit(".", 1)[-1].lower() if "." in output else ""
    if suffix not in FORMATS:
        raise InputError("unknown report type; use .html, .md or .json", source=output)
    fmt = FORMATS[suffix]
    layouts = compare(list(street_files), norm_files, pictures=not no_pictures and fmt != "json")
    text = {"html": report_html, "md": report_markdown, "json": report_json}[fmt](layouts)
    with atomic_write(output) as stream:
        stream.write(text)
    click.echo(f"compared {len(layouts)} layouts; report written to {output}", err=True)
