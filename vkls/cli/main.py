"""The ``vkls`` command: a thin group; each command lives in its own module."""

from __future__ import annotations

import os

# OpenMP threads that spin while waiting slow the numba kernels down several times when the
# machine is busy; passive waiting costs nothing when it is idle. Set before numba loads.
os.environ.setdefault("OMP_WAIT_POLICY", "passive")

import click  # noqa: E402

from vkls import __version__  # noqa: E402
from vkls.cli.check_cmd import check_command
from vkls.cli.export_cmd import export_ifc_command
from vkls.cli.generate_cmd import generate_group
from vkls.cli.compare_cmd import compare_command
from vkls.cli.norms_cmd import norms_group
from vkls.cli.render_cmd import render_command
from vkls.cli.section_cmd import section_command
from vkls.cli.view_cmd import view_command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="vkls")
def cli():
    """vkls: 3D clearance checks for cables and pipes under a street.

    Models a street cross-section (NEN 7171 strips or a VKLS rack), sweeps it along
    its route in 3D and checks every clearance rule. Exit codes: 0 clean,
    1 conflicts found, 2 bad input.
    """


cli.add_command(check_command)
cli.add_command(norms_group)
cli.add_command(compare_command)
cli.add_command(view_command)
cli.add_command(render_command)
cli.add_command(section_command)
cli.add_command(export_ifc_command)
cli.add_command(generate_group)
