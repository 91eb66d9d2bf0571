"""``python -m vkls`` runs the command line."""

from vkls.cli.main import cli

cli()
