"""``vkls check``: run the clash and clearance check on a street file."""

from __future__ import annotations

import sys

import click

from vkls.cli.common import EXIT_CLEAN, EXIT_CONFLICTS, input_errors_exit_2, norms_option

FORMATS = ("table", "json", "csv", "html", "geojson", "gpkg", "bcf")


@click.command("check")
@click.argument("street_file", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="Report format. Default: from the -o file extension, else 'table'.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="Write the report to this file (atomically) instead of standard output.")
@norms_option
@click.option("--baseline", type=click.Path(dir_okay=False), default=None,
              help="An earlier JSON report: mark each conflict new or persisting and list the resolved ones.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing; only the exit code tells.")
@click.option("--trees", "trees_file", type=click.Path(dir_okay=False), default=None,
              help="Add the trees of a GeoJSON or GeoPackage layer of points (to a street or a KLIC delivery).")
@click.option("-v", "--verbose", is_flag=True,
              help="For a KLIC delivery: per IMKL type, how many objects were read, used and skipped, and why.")
@input_errors_exit_2
def check_command(street_file, fmt, output, norm_files, baseline, quiet, trees_file, verbose):
    """Check STREET_FILE (TOML) against every placement rule.

    Rules: clearance, thermal influence, duplicates, cover depth, sewer invert, order,
    tree distance, root zone, bend radius, access and reservations ('vkls norms show'
    lists their values and sources). Conflicts that hold only for some positions within
    the objects' position accuracy are reported apart as possible.

    STREET_FILE may also be a KLIC delivery (the zip as received, or its GML): the existing
    networks are checked. -o conflicts.geojson / .gpkg / .bcf exports the conflicts for GIS
    (WGS84 GeoJSON, RD New GeoPackage) or BIM issue trackers (BCF 2.1).

    Exit code 0: no conflicts; 1: conflicts found; 2: bad input or usage error.
    """
    from vkls.io.atomic import atomic_write
    from vkls.io.report import report_csv, report_json, report_table
    from vkls.pipeline import check

    if fmt is None:
        suffix = (output or "").rsplit(".", 1)[-1].lower() if output and "." in output else ""
        fmt = suffix if suffix in FORMATS else "table"
    from vkls.io.export_formats import BINARY_FORMATS, TEXT_FORMATS

    if fmt in BINARY_FORMATS and not output:
        from vkls.errors import InputError

        raise InputError(f"the {fmt} format writes a file: give -o FILE.{fmt}")
    if trees_file:
        from vkls.io.trees_gis import check_with_trees

        result, trees_message = check_with_trees(street_file, trees_file, norm_files, baseline=baseline)
    else:
        result, trees_message = check(street_file, norm_files, baseline=baseline), ""
    from vkls.io.klic import import_notes

    for line in ([] if quiet else import_notes(result.street, verbose) + ([trees_message] if trees_message else [])):
        click.echo(line, err=True)
    from vkls.io.report_html import report_html

    writers = {"table": report_table, "json": report_json, "csv": report_csv, "html": report_html, **TEXT_FORMATS,
               **BINARY_FORMATS}
    text = writers[fmt](result)
    if output:
        with atomic_write(output, mode="wb" if isinstance(text, bytes) else "w") as stream:
            stream.write(text)
        if not quiet:
            summary = result.summary()
            click.echo(f"{summary['conflicts']} conflict(s); report written to {output}", err=True)
    elif not quiet:
        click.echo(text, nl=False)
    sys.exit(EXIT_CONFLICTS if result.conflicts else EXIT_CLEAN)
