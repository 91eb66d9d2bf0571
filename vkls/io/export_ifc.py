"""The scene as IFC4, so BIM tools (BlenderBIM/Bonsai, Solibri, BIMcollab Zoom, ...) can open it.

Written with ifcopenshell (``pip install 'vkls[bim]'``):

- every cable or pipe object (main, house connection, KLIC utility) becomes an ``IfcCableSegment``
  (telecom, power, street lighting) or an ``IfcPipeSegment`` (gas, water, heat, sewer) whose body
  is one ``IfcSweptDiskSolid`` (its radius) along each of its polylines (a bundle has several);
- rack parts become ``IfcCableCarrierSegment`` elements with one box (``IfcExtrudedAreaSolid`` of a
  rectangle) per part piece; reserved corridors ``IfcBuildingElementProxy`` boxes; trees
  ``IfcGeographicElement`` trunks (a cylinder of their trunk diameter, :data:`TRUNK_HEIGHT` high);
- each element has a property set ``vkls`` (id, kind, role, network, diameter, accuracy);
- GlobalIds are stable: the IFC encoding of a UUID 5 of the object id (:mod:`vkls.io.guids`),
  the same ids the BCF export selects.

Geometry is written in the scene's local frame (RD New minus the scene origin; z metres NAP for
a street, minus the depth for a KLIC map); an ``IfcMapConversion`` to ``EPSG:28992`` gives the
origin, so GIS-aware tools place the model in RD New.
"""

from __future__ import annotations

import numpy as np

from vkls.errors import InputError
from vkls.io.guids import ifc_guid
from vkls.model import NetworkKind
from vkls.viewer.colours import hex_to_rgb, style_of

#: Kinds drawn as cables; every other network kind is a pipe.
CABLE_KINDS = {NetworkKind.DATATRANSPORT.value, NetworkKind.LAAGSPANNING.value, NetworkKind.MIDDENSPANNING.value,
               NetworkKind.OPENBARE_VERLICHTING.value}
#: Trunks are drawn this high above the ground (metres), as in the 3D viewer.
TRUNK_HEIGHT = 2.5
#: Consecutive capsules of one object whose ends are this close (metres) continue one polyline.
JOIN_TOLERANCE = 1e-9
#: Geometric precision declared in the representation context (metres).
CONTEXT_PRECISION = 1e-5


def scene_ifc(street, scene, name: str | None = None, time_stamp: str | None = None) -> str:
    """The IFC4 file (STEP text) of a scene.

    Parameters
    ----------
    street : Street or NetworkMap
        For the project name and tree trunk diameters.
    scene : vkls.geometry.scene.Scene
    name : str, optional
        Project name (default: the street's name).
    time_stamp : str, optional
        The header's creation time, ISO 8601 (default: now). Everything else in the file depends on
        the scene only, so the same time stamp gives the same file.

    Raises
    ------
    InputError
        ifcopenshell is not installed.
    """
    try:
        import ifcopenshell
    except ImportError:
        raise InputError("writing IFC needs ifcopenshell: pip install 'vkls[bim]'") from None
    writer = _Writer(ifcopenshell.file(schema="IFC4"), scene, name or street.name)
    if time_stamp is not None:
        writer.file.header.file_name.time_stamp = time_stamp
    writer.cables_and_pipes()
    writer.boxes()
    writer.trunks(street)
    writer.contain()
    return writer.file.to_string()


def polylines(scene, obj: int) -> list[np.ndarray]:
    """The (k, 3) polylines (local coordinates) of object ``obj``'s capsules, split where they do not join."""
    rows = np.flatnonzero(scene.cap_object == obj)
    if len(rows) == 0:
        return []
    a, b = scene.cap_a[rows], scene.cap_b[rows]
    breaks = np.flatnonzero(np.any(np.abs(a[1:] - b[:-1]) > JOIN_TOLERANCE, axis=1)) + 1
    lines = []
    for start, end in zip(np.concatenate([[0], breaks]), np.concatenate([breaks, [len(rows)]])):
        lines.append(np.vstack([a[start:end], b[end - 1:end]]))
    return lines


class _Writer:
    """Builds the IFC file: the project, site, contexts and one element per scene object."""

    def __init__(self, file, scene, name: str):
        self.file, self.scene, self.name = file, scene, name
        self.elements = []
        self.styles = {}
        self.radii = np.zeros(len(scene.objects))  # largest capsule radius per object, metres
        np.maximum.at(self.radii, scene.cap_object, scene.cap_r)
        f = file
        origin3 = f.createIfcAxis2Placement3D(f.createIfcCartesianPoint((0.0, 0.0, 0.0)), None, None)
        self.context = f.createIfcGeometricRepresentationContext(None, "Model", 3, CONTEXT_PRECISION, origin3,
                                                                 f.createIfcDirection((0.0, 1.0)))
        self.body = f.createIfcGeometricRepresentationSubContext("Body", "Model", None, None, None, None,
                                                                 self.context, None, "MODEL_VIEW", None)
        units = f.createIfcUnitAssignment([f.createIfcSIUnit(None, "LENGTHUNIT", None, "METRE"),
                                           f.createIfcSIUnit(None, "PLANEANGLEUNIT", None, "RADIAN")])
        self.project = f.createIfcProject(ifc_guid(f"project:{name}"), None, name, "vkls scene", None, None, None,
                                          [self.context], units)
        crs = f.createIfcProjectedCRS("EPSG:28992", "RD New", "Amersfoort", "NAP", "Oblique Stereographic", None,
                                      units.Units[0])
        f.createIfcMapConversion(self.context, crs, float(scene.origin[0]), float(scene.origin[1]), 0.0,
                                 1.0, 0.0, 1.0)
        self.site_placement = f.createIfcLocalPlacement(None, origin3)
        self.site = f.createIfcSite(ifc_guid(f"site:{name}"), None, name, None, None, self.site_placement, None,
                                    None, "ELEMENT", None, None, None, None, None)
        f.createIfcRelAggregates(ifc_guid(f"aggregates:{name}"), None, None, None, self.project, [self.site])
        self.placement = f.createIfcLocalPlacement(self.site_placement, origin3)

    def _style(self, kind: str):
        if kind not in self.styles:
            f = self.file
            colour = f.createIfcColourRgb(None, *hex_to_rgb(style_of(kind).colour))
            shading = f.createIfcSurfaceStyleShading(colour, 0.0)
            self.styles[kind] = f.createIfcSurfaceStyle(style_of(kind).label, "BOTH", [shading])
        return self.styles[kind]

    def _element(self, entity: str, n: int, items: list, representation: str, **attributes):
        """Add element ``entity`` for scene object ``n`` with body ``items``, its style and properties."""
        f = self.file
        obj = self.scene.objects[n]
        for item in items:
            f.createIfcStyledItem(item, [self._style(obj.kind)], None)
        shape = f.createIfcShapeRepresentation(self.body, "Body", representation, items)
        element = f.create_entity(entity, GlobalId=ifc_guid(obj.id), Name=obj.id, Description=obj.label,
                                  ObjectPlacement=self.placement,
                                  Representation=f.createIfcProductDefinitionShape(None, None, [shape]), **attributes)
        self._properties(element, n)
        self.elements.append(element)
        return element

    def _properties(self, element, n: int) -> None:
        f = self.file
        obj = self.scene.objects[n]
        values = [("Id", "IfcIdentifier", obj.id), ("Kind", "IfcLabel", obj.kind), ("Role", "IfcLabel", obj.role),
                  ("Network", "IfcIdentifier", obj.network or ""),
                  ("AccuracyXY", "IfcLengthMeasure", float(obj.accuracy_xy)),
                  ("AccuracyZ", "IfcLengthMeasure", float(obj.accuracy_z))]
        radii = self.radii[n]
        if radii > 0:
            values.append(("Diameter", "IfcPositiveLengthMeasure", float(2 * radii)))
        properties = [f.createIfcPropertySingleValue(key, None, f.create_entity(kind, value), None)
                      for key, kind, value in values]
        pset = f.createIfcPropertySet(ifc_guid(f"pset:{obj.id}"), None, "vkls", None, properties)
        f.createIfcRelDefinesByProperties(ifc_guid(f"defines:{obj.id}"), None, None, None, [element], pset)

    def cables_and_pipes(self) -> None:
        f = self.file
        scene = self.scene
        for n, obj in enumerate(scene.objects):
            if obj.kind not in {k.value for k in NetworkKind}:
                continue
            radius = self.radii[n]
            if radius <= 0:
                continue
            items = [f.createIfcSweptDiskSolid(f.createIfcPolyline([f.createIfcCartesianPoint(tuple(map(float, p)))
                                                                     for p in line]), float(radius),
                                               None, None, None)
                     for line in polylines(scene, n)]
            if obj.kind in CABLE_KINDS:
                self._element("IfcCableSegment", n, items, "AdvancedSweptSolid", ObjectType=obj.role,
                              PredefinedType="CABLESEGMENT")
            else:
                self._element("IfcPipeSegment", n, items, "AdvancedSweptSolid", ObjectType=obj.role,
                              PredefinedType="RIGIDSEGMENT")

    def boxes(self) -> None:
        scene = self.scene
        for n, obj in enumerate(scene.objects):
            rows = np.flatnonzero(scene.box_object == n)
            if not len(rows):
                continue
            items = [self._box(scene.box_c[r], scene.box_h[r], scene.box_axes[r]) for r in rows]
            if obj.kind == "rack":
                self._element("IfcCableCarrierSegment", n, items, "SweptSolid", ObjectType=f"VKLS rack {obj.role}",
                              PredefinedType="USERDEFINED")
            else:
                self._element("IfcBuildingElementProxy", n, items, "SweptSolid", ObjectType=obj.role,
                              PredefinedType="USERDEFINED")

    def _box(self, centre: np.ndarray, half: np.ndarray, axes: np.ndarray):
        """An oriented box as a rectangle (along x across) extruded upwards from its underside."""
        f = self.file
        bottom = centre - axes[2] * half[2]
        position = f.createIfcAxis2Placement3D(f.createIfcCartesianPoint(tuple(map(float, bottom))),
                                               f.createIfcDirection(tuple(map(float, axes[2]))),
                                               f.createIfcDirection(tuple(map(float, axes[0]))))
        profile = f.createIfcRectangleProfileDef("AREA", None, None, float(2 * half[0]), float(2 * half[1]))
        return f.createIfcExtrudedAreaSolid(profile, position, f.createIfcDirection((0.0, 0.0, 1.0)),
                                            float(2 * half[2]))

    def trunks(self, street) -> None:
        f = self.file
        scene = self.scene
        diameters = {tree.id: tree.trunk_diameter for tree in getattr(street, "trees", ())}
        for n, obj in enumerate(scene.objects):
            if obj.kind != "tree" or obj.id not in diameters:
                continue
            row = np.flatnonzero(scene.cap_object == n)[0]
            base = scene.cap_a[row].copy()  # the trunk axis starts at the ground surface
            position = f.createIfcAxis2Placement3D(f.createIfcCartesianPoint(tuple(map(float, base))), None, None)
            profile = f.createIfcCircleProfileDef("AREA", None, None, float(diameters[obj.id] / 2))
            solid = f.createIfcExtrudedAreaSolid(profile, position, f.createIfcDirection((0.0, 0.0, 1.0)),
                                                 TRUNK_HEIGHT)
            self._element("IfcGeographicElement", n, [solid], "SweptSolid", ObjectType="tree",
                          PredefinedType="USERDEFINED")

    def contain(self) -> None:
        if self.elements:
            self.file.createIfcRelContainedInSpatialStructure(ifc_guid(f"contains:{self.name}"), None, None, None,
                                                              self.elements, self.site)
