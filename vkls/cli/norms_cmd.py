"""``vkls norms show``: the effective rule tables."""

from __future__ import annotations

import click

from vkls.cli.common import input_errors_exit_2, norms_option


@click.group("norms")
def norms_group():
    """The rule values vkls checks against, with their sources."""


@norms_group.command("show")
@norms_option
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="Write to this file: .md (Markdown) or .html; default Markdown on standard output.")
@input_errors_exit_2
def show_command(norm_files, output):
    """Print the effective rule tables: the kind x kind clearance matrix, thermal pairs, per-kind
    depths and bend factors, tree distances, order, and every value with its status and source."""
    from vkls.errors import InputError
    from vkls.io.atomic import atomic_write
    from vkls.io.norms_report import norm_tables, tables_html, tables_markdown
    from vkls.rules.loader import load_norms

    norms = load_norms(tuple(norm_files))
    tables = norm_tables(norms)
    if output and output.lower().endswith((".html", ".htm")):
        text = tables_html(tables, norms.files)
    elif output and not output.lower().endswith((".md", ".markdown", ".txt")):
        raise InputError("unknown report type; use .md or .html", source=output)
    else:
        text = tables_markdown(tables, norms.files)
    if output:
        with atomic_write(output) as stream:
            stream.write(text)
        click.echo(f"rule tables written to {output}", err=True)
    else:
        click.echo(text)
