"""``vkls check``: run the clash and clearance check on a street file."""

from __future__ import annotations

import sys

import click

from vkls.cli.common import EXIT_CLEAN, EXIT_CONFLICTS, input_errors_exit_2, norms_option

FORMATS = ("table", "json", "csv", "html")


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
@input_errors_exit_2
def check_command(street_file, fmt, output, norm_files, baseline, quiet):
    """Check STREET_FILE (TOML) against every placement rule.

    Rules: clearance, thermal influence, duplicates, cover depth, sewer invert, order,
    tree distance, root zone, bend radius, access and reservations ('vkls norms show'
    lists their values and sources). Conflicts that hold only for some positions within
    the objects' position accuracy are reported apart as possible.

    Exit code 0: no conflicts; 1: conflicts found; 2: bad input or usage error.
    """
    from vkls.io.atomic import atomic_write
    from vkls.io.report import report_csv, report_json, report_table
    from vkls.pipeline import check

    if fmt is None:
        suffix = (output or "").rsplit(".", 1)[-1].lower() if output and "." in output else ""
        fmt = suffix if suffix in FORMATS else "table"
    result = check(street_file, norm_files, baseline=baseline)
    from vkls.io.report_html import report_html

    text = {"table": report_table, "json": report_json, "csv": report_csv, "html": report_html}[fmt](result)
    if output:
        with atomic_write(output) as stream:
            stream.write(text)
        if not quiet:
            summary = result.summary()
            click.echo(f"{summary['conflicts']} conflict(s); report written to {output}", err=True)
    elif not quiet:
        click.echo(text, nl=False)
    sys.exit(EXIT_CONFLICTS if result.conflicts else EXIT_CLEAN)
