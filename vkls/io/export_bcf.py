"""Conflicts as BCF 2.1 (BIM Collaboration Format), for BIM issue trackers (BIMcollab, Solibri, BlenderBIM, ...).

The file is a zip:

- ``bcf.version`` (2.1) and ``project.bcfp`` (the street or delivery);
- one folder per conflict, named by the topic GUID (UUID 5 of the conflict id, so the same
  conflict keeps its folder between runs), holding ``markup.bcf`` (title, description = the
  explanation, labels = rule and certainty), ``viewpoint.bcfv`` (a perspective camera
  :data:`CAMERA_DISTANCE` m from the worst spot, looking down at it at :data:`CAMERA_PITCH`
  degrees, with the two objects selected by their IFC GlobalIds) and ``snapshot.png`` (a plan
  view, :mod:`vkls.io.snapshot`).

Coordinates of cameras are in the scene's local frame (RD New minus the scene origin, z as in
the scene), the frame ``vkls export-ifc`` writes its geometry in, so the viewpoints fit the IFC
model; the GlobalIds are the ones ``vkls export-ifc`` gives the same objects.
"""

from __future__ import annotations

import io
import zipfile
from datetime import datetime, timezone

import numpy as np
from lxml import etree

from vkls.io.guids import ifc_guid, stable_uuid
from vkls.io.snapshot import SnapshotPainter

BCF_VERSION = "2.1"
#: Camera distance from the worst spot (metres), pitch below the horizon (degrees) and field of view.
CAMERA_DISTANCE = 8.0
CAMERA_PITCH = 50.0
FIELD_OF_VIEW = 60.0
#: The camera looks north (+y) and down: a fixed heading keeps viewpoints comparable.
CAMERA_HEADING = np.array([0.0, 1.0])


def report_bcf(result) -> bytes:
    """The BCF 2.1 zip of ``result``'s conflicts, as bytes."""
    created = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    painter = SnapshotPainter(result.scene)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bcf.version", _xml(_version()))
        archive.writestr("project.bcfp", _xml(_project(result)))
        for conflict in result.conflicts:
            topic = str(stable_uuid(f"topic:{conflict.id}"))
            viewpoint = str(stable_uuid(f"viewpoint:{conflict.id}"))
            archive.writestr(f"{topic}/markup.bcf", _xml(_markup(conflict, topic, viewpoint, created)))
            archive.writestr(f"{topic}/viewpoint.bcfv", _xml(_viewpoint(conflict, viewpoint, result.scene)))
            archive.writestr(f"{topic}/snapshot.png", painter.png(conflict), compress_type=zipfile.ZIP_STORED)
    return buffer.getvalue()


def _xml(root) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _sub(parent, tag: str, text=None, **attributes):
    element = etree.SubElement(parent, tag, {k: str(v) for k, v in attributes.items()})
    if text is not None:
        element.text = str(text)
    return element


def _version():
    root = etree.Element("Version", VersionId=BCF_VERSION)
    _sub(root, "DetailedVersion", BCF_VERSION)
    return root


def _project(result):
    root = etree.Element("ProjectExtension")
    project = _sub(root, "Project", ProjectId=str(stable_uuid(f"project:{result.street.name}")))
    _sub(project, "Name", f"vkls: {result.street.name}")
    _sub(root, "ExtensionSchema")
    return root


def _markup(conflict, topic: str, viewpoint: str, created: str):
    root = etree.Element("Markup")
    element = _sub(root, "Topic", Guid=topic, TopicType="Clash", TopicStatus="Open")
    pair = " ~ ".join(o for o in conflict.objects if o)
    _sub(element, "Title", f"{conflict.id} {conflict.rule}: {pair}")
    _sub(element, "Labels", conflict.rule)
    _sub(element, "Labels", conflict.certainty)
    _sub(element, "CreationDate", created)
    _sub(element, "CreationAuthor", "vkls")
    _sub(element, "Description", f"{conflict.explanation} (RD New x {conflict.x:.3f}, y {conflict.y:.3f}, "
                                 f"z {conflict.z:.3f}; required {conflict.required:.3f} m, actual "
                                 f"{conflict.actual:.3f} m; {conflict.source})")
    views = _sub(root, "Viewpoints", Guid=viewpoint)
    _sub(views, "Viewpoint", "viewpoint.bcfv")
    _sub(views, "Snapshot", "snapshot.png")
    return root


def camera(target: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(eye, direction, up) of a camera looking at ``target`` (3,) from :data:`CAMERA_DISTANCE` m
    south of and above it, :data:`CAMERA_PITCH` degrees down."""
    pitch = np.radians(CAMERA_PITCH)
    direction = np.array([CAMERA_HEADING[0] * np.cos(pitch), CAMERA_HEADING[1] * np.cos(pitch), -np.sin(pitch)])
    up = np.array([CAMERA_HEADING[0] * np.sin(pitch), CAMERA_HEADING[1] * np.sin(pitch), np.cos(pitch)])
    return target - direction * CAMERA_DISTANCE, direction, up


def _viewpoint(conflict, guid: str, scene):
    root = etree.Element("VisualizationInfo", Guid=guid)
    components = _sub(root, "Components")
    selection = _sub(components, "Selection")
    for object_id in conflict.objects:
        if object_id:
            _sub(selection, "Component", IfcGuid=ifc_guid(object_id))
    _sub(components, "Visibility", DefaultVisibility="true")
    target = np.array([conflict.x - scene.origin[0], conflict.y - scene.origin[1], conflict.z])
    eye, direction, up = camera(target)
    perspective = _sub(root, "PerspectiveCamera")
    for tag, vector in (("CameraViewPoint", eye), ("CameraDirection", direction), ("CameraUpVector", up)):
        element = _sub(perspective, tag)
        for axis, value in zip("XYZ", vector):
            _sub(element, axis, f"{value:.6f}")
    _sub(perspective, "FieldOfView", f"{FIELD_OF_VIEW:g}")
    return root
