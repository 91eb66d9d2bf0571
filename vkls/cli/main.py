"""The ``vkls`` command: a thin group; each command lives in its own module."""

from __future__ import annotations

import click

from vkls import __version__
from vkls.cli.check_cmd import check_command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="vkls")
def cli():
    """vkls: 3D clearance checks for cables and pipes under a street.

    Models a street cross-section (NEN 7171 strips or a VKLS rack), sweeps it along
    its route in 3D and checks every clearance rule. Exit codes: 0 clean,
    1 conflicts found, 2 bad input.
    """


cli.add_command(check_command)
