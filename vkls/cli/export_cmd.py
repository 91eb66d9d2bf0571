"""``vkls export-ifc``: the 3D scene of a street or a KLIC delivery as IFC4, for BIM tools."""

from __future__ import annotations

import click

from vkls.cli.common import EXIT_CLEAN, input_errors_exit_2, norms_option


@click.command("export-ifc")
@click.argument("street_file", type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True,
              help="The IFC file to write (atomically), e.g. scene.ifc.")
@click.option("--trees", "trees_file", type=click.Path(dir_okay=False), default=None,
              help="Add the trees of a GeoJSON or GeoPackage layer of points.")
@norms_option
@input_errors_exit_2
def export_ifc_command(street_file, output, trees_file, norm_files):
    """Write the scene of STREET_FILE (a street TOML or a KLIC delivery) as IFC4.

    Cables and pipes become IfcCableSegment / IfcPipeSegment elements with a swept-disk solid
    along their course, rack parts IfcCableCarrierSegment boxes, trees IfcGeographicElement
    trunks; GlobalIds are stable between runs (and match the BCF export). Geometry is local,
    with an IfcMapConversion to RD New (EPSG:28992). Needs ifcopenshell (pip install 'vkls[bim]').

    Exit code 0 when the file was written; 2 on bad input.
    """
    import sys

    from vkls.errors import InputError
    from vkls.geometry.scene import build_map_scene, build_scene
    from vkls.io.atomic import atomic_write
    from vkls.io.export_ifc import scene_ifc
    from vkls.io.klic import import_notes
    from vkls.model import Street
    from vkls.pipeline import read_input
    from vkls.rules.loader import load_norms

    if not output.lower().endswith(".ifc"):
        raise InputError("export-ifc writes IFC: give an output file ending in .ifc", source=output)
    norms = load_norms(tuple(norm_files))
    model = read_input(street_file, norms)
    if trees_file:
        from vkls.io.trees_gis import add_trees, read_trees

        model, _ = add_trees(model, read_trees(trees_file), trees_file)
    for line in import_notes(model):
        click.echo(line, err=True)
    scene = build_scene(model, norms) if isinstance(model, Street) else build_map_scene(model, norms)
    text = scene_ifc(model, scene)
    with atomic_write(output) as stream:
        stream.write(text)
    click.echo(f"IFC4 scene of {model.name} ({len(scene.objects)} objects) written to {output}", err=True)
    sys.exit(EXIT_CLEAN)
