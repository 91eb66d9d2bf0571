"""What every command shares: the error boundary and the common options."""

from __future__ import annotations

import functools
import sys

import click

from vkls.errors import InputError

#: Exit codes of every vkls command.
EXIT_CLEAN, EXIT_CONFLICTS, EXIT_BAD_INPUT = 0, 1, 2


def input_errors_exit_2(command):
    """Turn :class:`InputError` into one line on stderr and exit code 2 (no traceback)."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except InputError as error:
            click.echo(f"vkls: error: {error}", err=True)
            sys.exit(EXIT_BAD_INPUT)

    return wrapper


norms_option = click.option(
    "--norms", "norm_files", multiple=True, type=click.Path(dir_okay=False),
    help="A norms file (TOML) layered over the built-in rules; repeat to layer several. "
         "See 'vkls norms show' for the keys.")
