"""``vkls check``: run the clash and clearance check on a street file."""

from __future__ import annotations

import os
import sys

import click

from vkls.cli.common import EXIT_CLEAN, EXIT_CONFLICTS, input_errors_exit_2, norms_option

FORMATS = ("table", "json", "csv", "html", "geojson", "gpkg", "bcf")


@click.command("check")
@click.argument("street_file", type=click.Path())
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
@click.option("--rule", "rule_ids", multiple=True, metavar="ID",
              help="Run only this rule (repeat for several), e.g. --rule clearance. Default: every rule.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="City store: local worker processes (default: one per core).")
@click.option("--dask", "dask_address", metavar="ADDRESS", default=None,
              help="City store: run the tiles on a Dask distributed cluster (scheduler address such as "
                   "tcp://host:8786, or 'local' for a LocalCluster on this machine). Workers must see the store.")
@click.option("--single-pass", is_flag=True,
              help="City store: read the whole city into one scene instead of tiles (to compare; memory grows "
                   "with the city).")
@input_errors_exit_2
def check_command(street_file, fmt, output, norm_files, baseline, quiet, trees_file, verbose, rule_ids, workers,
                  dask_address, single_pass):
    """Check STREET_FILE (TOML) against every placement rule.

    Rules: clearance, thermal influence, duplicates, cover depth, sewer invert, order,
    tree distance, root zone, bend radius, access and reservations ('vkls norms show'
    lists their values and sources). Conflicts that hold only for some positions within
    the objects' position accuracy are reported apart as possible.

    STREET_FILE may also be a KLIC delivery (the zip as received, or its GML): the existing
    networks are checked. -o conflicts.geojson / .gpkg / .bcf exports the conflicts for GIS
    (WGS84 GeoJSON, RD New GeoPackage) or BIM issue trackers (BCF 2.1).

    STREET_FILE may be a city store too (a folder with city.toml, see 'vkls generate city'):
    it is checked tile by tile with a halo as wide as the largest rule distance (the result
    equals one pass over the whole city), on every core or on a Dask cluster (--dask), with
    progress on standard error; -o conflicts.csv or .json streams every conflict to a file.

    Exit code 0: no conflicts; 1: conflicts found; 2: bad input or usage error.
    """
    from vkls.city.store import is_city_store
    from vkls.memory import keep_freed_memory

    keep_freed_memory()

    if is_city_store(street_file):
        from vkls.errors import InputError

        for flag, value in (("--baseline", baseline), ("--trees", trees_file)):
            if value:
                raise InputError(f"{flag} is for a street file or a KLIC delivery, not a city store", place=flag)
        _check_city(street_file, fmt, output, norm_files, quiet, rule_ids, workers, dask_address, single_pass)
        return
    from vkls.errors import InputError

    if os.path.isdir(street_file):
        raise InputError("a folder that is not a city store (no city.toml); give a street file, a KLIC delivery "
                         "or a city store", source=street_file)
    for flag, value in (("--workers", workers), ("--dask", dask_address), ("--single-pass", single_pass)):
        if value:
            raise InputError(f"{flag} is for a city store (a folder with city.toml)", place=flag)
    from vkls.io.atomic import atomic_write
    from vkls.io.report import report_csv, report_json, report_table
    from vkls.pipeline import check

    if output and os.path.exists(output) and os.path.exists(street_file) and os.path.samefile(output, street_file):
        raise InputError("is the file being checked; give -o another file", source=output, place="--output")

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
        result, trees_message = check(street_file, norm_files, baseline=baseline, rule_ids=rule_ids), ""
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


CITY_FORMATS = ("table", "json", "csv")


def _check_city(folder, fmt, output, norm_files, quiet, rule_ids, workers, dask_address, single_pass):
    """A city store: stream the tiles' conflicts into the report (see :mod:`vkls.city.report`)."""
    from contextlib import nullcontext

    from vkls.city.check import check_city
    from vkls.city.report import StreamingReport
    from vkls.cli.progress import progress_reporter
    from vkls.errors import InputError
    from vkls.io.atomic import atomic_write

    if fmt is None:
        suffix = output.rsplit(".", 1)[-1].lower() if output and "." in output else ""
        fmt = suffix if suffix in CITY_FORMATS else ("csv" if output else "table")
    if fmt not in CITY_FORMATS:
        raise InputError(f"a city store is reported as {', '.join(CITY_FORMATS)}; not {fmt}", place="--format")
    if output and fmt == "table":
        raise InputError("give -o a .csv or .json file for a city store (the table goes to the terminal)",
                         place="--output")
    if output:
        destination = atomic_write(output)
    elif quiet and fmt != "table":
        destination = open(os.devnull, "w")  # noqa: SIM115 (closed by the with below)
    else:
        destination = nullcontext(sys.stdout)  # csv or json streamed to standard output
    with destination as stream:
        report = StreamingReport(fmt, stream)
        with progress_reporter("checking", "segments", quiet) as progress:
            result = check_city(folder, norm_files, rule_ids=rule_ids, workers=workers, dask=dask_address,
                                single_pass=single_pass, progress=progress,
                                on_conflicts=report.add if fmt == "table" else None,
                                report=fmt, on_text=report.add_text)
        text = report.finish(result)
    if not quiet:
        from vkls.city.report import throughput_line

        if output:
            click.echo(f"{result.tally.conflicts:,} conflict(s); report written to {output}", err=True)
            click.echo(throughput_line(result.summary()), err=True)
        else:
            click.echo(text, nl=False)
    sys.exit(EXIT_CONFLICTS if result.tally.conflicts else EXIT_CLEAN)
