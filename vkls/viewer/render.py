"""The 3D scene in a PyVista plotter, and offscreen renders to PNG.

Offscreen rendering needs no screen: the VTK wheels from PyPI (9.4 and later) fall back from
X to EGL and then OSMesa at run time, so ``Plotter(off_screen=True)`` works on a headless
machine with the system's Mesa libraries (libEGL/libGL, present wherever OpenGL is). VTK's
warning about the missing X server is silenced; real errors still print.

Views (``view``):

- ``iso``: the whole street from above the street side, looking obliquely towards the facades.
- ``top``: straight down, parallel projection, the route running left to right.
- ``section``: looking along the route at ``chainage``; everything before that chainage is
  clipped away, so the cut shows the cross-section with the street continuing behind it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np

from vkls.errors import InputError
from vkls.viewer import NO_ROUTE_FOR_SECTION
from vkls.viewer.colours import CONFLICT_COLOUR, legend_text, style_of
from vkls.viewer.meshes import Layer, network_label_points, scene_layers, section_caps, street_width

VIEWS = ("iso", "top", "section")
#: Default picture size, pixels (width, height).
DEFAULT_SIZE = (1600, 1000)
#: Label font sizes relative to a 1000-pixel-high picture.
NETWORK_LABEL_FONT, CONFLICT_LABEL_FONT, LEGEND_FONT = 13, 13, 13
BACKGROUND = "white"
#: Section renders show this much of the street behind the section plane (metres).
SECTION_SLAB = 8.0
#: Anti-aliasing of offscreen renders ("msaa", "ssaa" or None). EGL/OSMesa builds of VTK have no
#: FXAA and their SSAA renders several times over; MSAA is cheap where the driver has it.
ANTI_ALIASING = "msaa"
#: Relative widths of the street viewport and the legend panel.
PANEL_WEIGHTS = (3, 1)


@dataclass
class DrawnScene:
    """A plotter with the street in it, and what each actor shows.

    Attributes
    ----------
    plotter : pyvista.Plotter
    layers : list of Layer
    actors : dict layer key -> list of vtk actors (mesh, centre lines)
    label_actors : dict name -> vtk actor (``networks``, ``conflicts``)
    clip_planes : list of vtkPlane
        The section plane shared by every mapper (moved by the ``view`` slider).
    """

    plotter: object
    layers: list
    actors: dict
    label_actors: dict
    clip_planes: list


def new_plotter(off_screen: bool, size: tuple[int, int] = DEFAULT_SIZE):
    """A plotter with two viewports: the street (left) and the legend panel (right, white).

    The street's viewport is active on return.
    """
    import pyvista as pv

    plotter = pv.Plotter(off_screen=off_screen, window_size=list(size), shape=(1, 2),
                         col_weights=list(PANEL_WEIGHTS), border=False)
    for column in (0, 1):
        plotter.subplot(0, column)
        plotter.set_background(BACKGROUND)
    plotter.subplot(0, 0)
    return plotter


def quiet_vtk() -> None:
    """Silence VTK's warnings on stderr (the X-server probe on headless machines); keep errors."""
    from vtkmodules.vtkCommonCore import vtkLogger

    vtkLogger.SetStderrVerbosity(vtkLogger.VERBOSITY_ERROR)


def check_view(view: str, chainage: float | None, length: float) -> float | None:
    """Validate a view and its chainage against the route length.

    Raises
    ------
    InputError
        Unknown view, or a chainage outside [0, length].
    """
    if view not in VIEWS:
        raise InputError(f"unknown view '{view}'; expected one of {', '.join(VIEWS)}")
    if chainage is not None and not (0.0 <= chainage <= length):
        raise InputError(f"chainage {chainage:g} m is outside the route (0 to {length:.2f} m)")
    if view == "section" and chainage is None:
        return length / 2
    return chainage


def draw_scene(plotter, street, scene, conflicts, conflicts_only: bool = False, labels: bool = True,
               legend: bool = True, title: str | None = None, font_scale: float = 1.0,
               label_range: tuple[float, float] | None = None) -> DrawnScene:
    """Add the street to ``plotter``: merged layers, network and conflict labels, legend, title.

    Parameters
    ----------
    plotter : pyvista.Plotter
    street, scene, conflicts
        From :func:`vkls.pipeline.check` (``result.street``, ``result.scene``, ``result.conflicts``).
    conflicts_only : bool
        Only the objects named by conflicts.
    font_scale : float
        Multiplies label and legend font sizes (pictures of other heights).
    label_range : (float, float) or None, metres
        Label only conflicts whose stretch meets this chainage range (section views).
    """
    layers = scene_layers(street, scene, conflicts, conflicts_only=conflicts_only)
    actors: dict[str, list] = {}
    for layer in layers:
        actors[layer.key] = _add_layer(plotter, layer)
    label_actors = add_labels(plotter, scene, conflicts, layers, conflicts_only=conflicts_only,
                              label_range=label_range, font_scale=font_scale) if labels else {}
    if legend:
        add_legend_panel(plotter, legend_entries(layers))
    if title:
        plotter.add_text(title, position="upper_left", font_size=round(11 * font_scale), color="black",
                         name="title")
    planes = _shared_clip_plane(actors)
    return DrawnScene(plotter=plotter, layers=layers, actors=actors, label_actors=label_actors, clip_planes=planes)


def add_labels(plotter, scene, conflicts, layers, conflicts_only: bool = False,
               label_range: tuple[float, float] | None = None, font_scale: float = 1.0) -> dict:
    """Network labels (``id code``) and conflict labels; returns their actors by name.

    ``label_range``: only conflicts whose stretch meets this chainage range, and network labels
    spread over it (section views and the viewer's section plane).
    """
    from vkls.viewer.meshes import conflict_marks, involved_objects

    label_actors = {}
    points, texts = network_label_points(scene, label_range)
    if conflicts_only:
        keep_ids = {scene.objects[i].id for i in involved_objects(scene, conflicts)}
        chosen = [n for n, t in enumerate(texts) if t.split(" ")[0] in keep_ids]
        points, texts = points[chosen], [texts[n] for n in chosen]
    if len(texts):
        label_actors["networks"] = plotter.add_point_labels(
            points, texts, font_size=round(NETWORK_LABEL_FONT * font_scale), shape_opacity=0.75,
            shape_color="white", text_color="black", show_points=False, always_visible=True,
            name="network-labels", bold=False, margin=2, reset_camera=False)
    shown = conflicts
    if label_range is not None:
        shown = [c for c in conflicts if c.chainage_end >= label_range[0] and c.chainage_start <= label_range[1]]
    marks = conflict_marks(scene, shown, chainage_window=label_range) if shown else None
    if marks is not None and len(marks.labels):
        label_actors["conflicts"] = plotter.add_point_labels(
            marks.label_points, marks.labels, font_size=round(CONFLICT_LABEL_FONT * font_scale),
            shape_opacity=0.9, shape_color=CONFLICT_COLOUR, text_color="white", show_points=False,
            always_visible=True, name="conflict-labels", bold=True, margin=3, reset_camera=False)
    return label_actors


def legend_entries(layers: list) -> list[tuple[str, str, str | None]]:
    """(text, colour, band colour or None) for the legend, in drawing order; surfaces last."""
    entries = [(layer.title, layer.colour, layer.band_colour) for layer in layers
               if layer.legend and layer.group != "ground"]
    surfaces = sorted({layer.key.split(":", 1)[1] for layer in layers if layer.key.startswith("ground:")})
    entries += [(f"surface: {surface}", _surface(surface), None) for surface in surfaces]
    return entries


def _legend_symbol(colour: str, band_colour: str | None):
    """A square symbol coloured by cell scalars: plain, or four stripes (banded kinds)."""
    import pyvista as pv

    from vkls.viewer.colours import hex_to_rgb

    stripes = 4 if band_colour else 1
    xs = np.linspace(0.0, 1.0, stripes + 1)
    points = np.array([[x, y, 0.0] for x in xs for y in (0.0, 1.0)])
    quads = np.array([[2 * i, 2 * i + 2, 2 * i + 3, 2 * i + 1] for i in range(stripes)])
    symbol = pv.PolyData.from_regular_faces(points, quads)
    colours = [colour if i % 2 == 0 else band_colour for i in range(stripes)]
    symbol.cell_data["rgb"] = (np.array([hex_to_rgb(c) for c in colours]) * 255).round().astype(np.uint8)
    symbol.cell_data.active_scalars_name = "rgb"
    return symbol


def add_legend_panel(plotter, entries: list, column: int = 1, top: float = 0.98, bottom: float | None = None) -> object:
    """Legend in the right-hand panel: coloured (and striped) squares, black text.

    Returns the vtkLegendBoxActor.
    """
    from vtkmodules.vtkRenderingAnnotation import vtkLegendBoxActor

    legend = vtkLegendBoxActor()
    legend.SetNumberOfEntries(len(entries))
    for n, (text, colour, band_colour) in enumerate(entries):
        legend.SetEntry(n, _legend_symbol(colour, band_colour), text, (0.0, 0.0, 0.0))
    legend.SetScalarVisibility(True)
    legend.UseBackgroundOn()
    legend.SetBackgroundColor(1.0, 1.0, 1.0)
    legend.BorderOff()
    legend.SetPadding(4)
    text = legend.GetEntryTextProperty()
    text.SetColor(0.0, 0.0, 0.0)
    text.BoldOff()
    text.ShadowOff()
    height = min(0.045 * len(entries), top - 0.02) if bottom is None else top - bottom
    legend.GetPositionCoordinate().SetCoordinateSystemToNormalizedViewport()
    legend.GetPositionCoordinate().SetValue(0.02, top - height)
    legend.GetPosition2Coordinate().SetCoordinateSystemToNormalizedViewport()
    legend.GetPosition2Coordinate().SetValue(0.96, height)
    plotter.renderers[column].AddViewProp(legend)
    return legend


def _surface(surface: str) -> str:
    from vkls.viewer.colours import surface_colour

    return surface_colour(surface)


def _add_layer(plotter, layer: Layer) -> list:
    """Add a layer's mesh (and centre lines) to the plotter; return the actors."""
    actors = []
    if layer.mesh is not None and layer.mesh.n_points:
        options = dict(opacity=layer.opacity, smooth_shading=False, pickable=layer.pickable, name=layer.key,
                       show_scalar_bar=False, reset_camera=False)
        if layer.band_colour is not None:
            actor = plotter.add_mesh(layer.mesh, scalars="band", cmap=[layer.colour, layer.band_colour],
                                     clim=[0, 1], preference="cell", interpolate_before_map=False, **options)
        elif layer.mesh.GetNumberOfLines() and not layer.mesh.GetNumberOfPolys():
            actor = plotter.add_mesh(layer.mesh, color=layer.colour, line_width=layer.line_width, **options)
        else:
            actor = plotter.add_mesh(layer.mesh, color=layer.colour, **options)
        if layer.smooth:
            actor.prop.interpolation = "gouraud"
        actors.append(actor)
    if layer.lines is not None and layer.lines.n_points:
        actor = plotter.add_mesh(layer.lines, color=layer.colour, line_width=layer.line_width,
                                 opacity=min(1.0, layer.opacity + 0.3), pickable=False, name=layer.key + ":lines",
                                 reset_camera=False, render_lines_as_tubes=False)
        actors.append(actor)
    return actors


def _shared_clip_plane(actors: dict) -> list:
    """Two vtkPlanes on every mapper (near and far side of a section slab), both open at first."""
    from vtkmodules.vtkCommonDataModel import vtkPlane

    planes = [vtkPlane(), vtkPlane()]
    for plane in planes:
        _open(plane)
    for group in actors.values():
        for actor in group:
            for plane in planes:
                actor.mapper.AddClippingPlane(plane)
    return planes


def _open(plane) -> None:
    """A plane that clips nothing (keeps everything above z = -1e6)."""
    plane.SetOrigin(0.0, 0.0, -1e6)
    plane.SetNormal(0.0, 0.0, 1.0)


def set_section_plane(drawn: DrawnScene, scene, chainage: float | None, slab: float | None = None) -> None:
    """Clip away everything before ``chainage`` (and beyond ``chainage + slab``); None shows everything."""
    near, far = drawn.clip_planes
    _open(far)
    if chainage is None:
        _open(near)
        return
    point, tangent, _ = scene.alignment.frame(np.array([chainage]))
    near.SetOrigin(float(point[0, 0]), float(point[0, 1]), 0.0)
    near.SetNormal(float(tangent[0, 0]), float(tangent[0, 1]), 0.0)
    if slab is not None:
        end = min(chainage + slab, scene.alignment.length)
        point, tangent, _ = scene.alignment.frame(np.array([end]))
        beyond = point[0] + tangent[0] * 1e-6
        far.SetOrigin(float(beyond[0]), float(beyond[1]), 0.0)
        far.SetNormal(-float(tangent[0, 0]), -float(tangent[0, 1]), 0.0)


def set_camera(plotter, street, scene, view: str, chainage: float | None = None) -> None:
    """Place the camera for ``view`` (see the module docstring)."""
    if not scene.has_section:
        _map_camera(plotter, view)
        return
    alignment = scene.alignment
    width = street_width(street)
    ground = alignment.ground_level
    bounds = np.array(plotter.bounds if plotter.bounds is not None else (0, 1, 0, 1, 0, 1), dtype=float)
    aspect = _viewport_aspect(plotter)
    if view == "section":
        c = float(chainage)
        _, tangent, direction = alignment.frame(np.array([c]))
        t = np.array([tangent[0, 0], tangent[0, 1], 0.0])
        n = np.array([direction[0, 0], direction[0, 1], 0.0])
        n /= max(np.linalg.norm(n), 1e-9)
        bottom = min(bounds[4], ground - 1.5)
        focal_xy = alignment.place(np.array([c]), np.array([width / 2]))[0]
        focal = np.array([focal_xy[0], focal_xy[1], ground - 0.35 * (ground - bottom)])
        eye = -t + 0.15 * n + 0.12 * np.array([0.0, 0.0, 1.0])
        eye /= np.linalg.norm(eye)
        plotter.disable_parallel_projection()
        half_angle = np.radians(plotter.camera.view_angle / 2)
        fit_width = (width / 2 + 0.4) / (np.tan(half_angle) * aspect)
        fit_height = ((ground + 0.5 - bottom) / 2 + 0.3) / np.tan(half_angle)
        distance = max(fit_width, fit_height)
        plotter.camera_position = [tuple(focal + eye * distance), tuple(focal), (0.0, 0.0, 1.0)]
        plotter.reset_camera_clipping_range()
        return
    start, end = alignment.xy[0], alignment.xy[-1]
    along = end - start
    along = along / max(np.hypot(*along), 1e-9)
    normal = alignment.leg_normal.mean(axis=0)
    normal = normal / max(np.hypot(*normal), 1e-9)
    centre = np.array([(bounds[0] + bounds[1]) / 2, (bounds[2] + bounds[3]) / 2, (bounds[4] + bounds[5]) / 2])
    if view == "top":
        plotter.camera_position = [tuple(centre + np.array([0, 0, 200.0])), tuple(centre),
                                   (-normal[0], -normal[1], 0.0)]
        plotter.enable_parallel_projection()
        plotter.reset_camera()
        plotter.camera.zoom(1.1)
        return
    direction = np.array([-0.45 * along[0] + 0.9 * normal[0], -0.45 * along[1] + 0.9 * normal[1], 0.9])
    direction /= np.linalg.norm(direction)
    plotter.camera_position = [tuple(centre + direction * 100.0), tuple(centre), (0.0, 0.0, 1.0)]
    plotter.disable_parallel_projection()
    plotter.reset_camera()
    plotter.camera.zoom(1.25)


def _map_camera(plotter, view: str) -> None:
    """A map of existing networks has no route: ``top`` looks straight down (north up), ``iso`` from
    the south-west and above."""
    bounds = np.array(plotter.bounds if plotter.bounds is not None else (0, 1, 0, 1, 0, 1), dtype=float)
    centre = np.array([(bounds[0] + bounds[1]) / 2, (bounds[2] + bounds[3]) / 2, (bounds[4] + bounds[5]) / 2])
    if view == "top":
        plotter.camera_position = [tuple(centre + np.array([0.0, 0.0, 200.0])), tuple(centre), (0.0, 1.0, 0.0)]
        plotter.enable_parallel_projection()
    else:
        direction = np.array([-0.5, -0.7, 0.9]) / np.linalg.norm([-0.5, -0.7, 0.9])
        plotter.camera_position = [tuple(centre + direction * 100.0), tuple(centre), (0.0, 0.0, 1.0)]
        plotter.disable_parallel_projection()
    plotter.reset_camera()
    plotter.camera.zoom(1.1)


def _viewport_aspect(plotter) -> float:
    """Width / height of the active viewport, pixels."""
    x0, y0, x1, y1 = plotter.renderer.GetViewport()
    w, h = plotter.window_size
    return max((x1 - x0) * w, 1.0) / max((y1 - y0) * h, 1.0)


def view_title(street, conflicts, view: str, chainage: float | None, conflicts_only: bool) -> str:
    """The title line of a picture."""
    what = {"iso": "3D view", "top": "top view"}.get(view) or \
        f"section at chainage {chainage:.1f} m, looking along the route"
    count = f"{len(conflicts)} conflict(s)" if conflicts else "no conflicts"
    only = ", conflicting objects only" if conflicts_only else ""
    return f"{street.name}: {what}{only} - {count}"


def render_image(street, scene, conflicts, view: str = "iso", chainage: float | None = None,
                 conflicts_only: bool = False, size: tuple[int, int] = DEFAULT_SIZE) -> np.ndarray:
    """Render the street offscreen.

    Parameters
    ----------
    street, scene, conflicts
        As in :func:`draw_scene`.
    view : {"iso", "top", "section"}
    chainage : float or None, metres
        Section position (``section``: default mid-route; ``iso``/``top``: ignored).
    conflicts_only : bool
    size : (int, int), pixels (width, height)

    Returns
    -------
    (height, width, 3) uint8 RGB image

    Raises
    ------
    InputError
        Unknown view or a chainage outside the route.
    """
    if not scene.has_section and view == "section":
        raise InputError(NO_ROUTE_FOR_SECTION)
    chainage = check_view(view, chainage, scene.alignment.length) if scene.has_section else check_view(view, None, 0.0)
    quiet_vtk()
    plotter = new_plotter(off_screen=True, size=size)
    try:
        font_scale = max(0.6, size[1] / 1000.0)
        label_range = (chainage, chainage + SECTION_SLAB) if view == "section" else None
        drawn = draw_scene(plotter, street, scene, conflicts, conflicts_only=conflicts_only,
                           title=view_title(street, conflicts, view, chainage, conflicts_only), font_scale=font_scale,
                           label_range=label_range)
        if view == "section":
            set_section_plane(drawn, scene, chainage, slab=SECTION_SLAB)
            caps = section_caps(scene, chainage)
            if caps.n_points:
                plotter.add_mesh(caps, scalars="rgb", rgb=True, name="section-caps", reset_camera=False)
            _section_labels(plotter, scene, chainage, font_scale)
        set_camera(plotter, street, scene, view, chainage)
        if ANTI_ALIASING:
            plotter.enable_anti_aliasing(ANTI_ALIASING)
        image = plotter.screenshot(None, return_img=True)
    finally:
        plotter.close()
    return np.asarray(image)[:, :, :3].copy()


def _section_labels(plotter, scene, chainage: float, font_scale: float) -> None:
    """In a section view, label each main where the plane cuts it (replacing the spread labels)."""
    points, texts = [], []
    for n, obj in enumerate(scene.objects):
        if obj.role != "main":
            continue
        placement = scene.placements.get(obj.network)
        if placement is None:
            continue
        offset = placement.axis_offsets[len(placement.axis_offsets) // 2]
        xy = scene.alignment.place(np.array([chainage]), np.array([offset]))[0]
        points.append([xy[0], xy[1], scene.alignment.ground_level - placement.axis_depth])
        texts.append(f"{obj.id} {style_of(obj.kind).code}")
    plotter.remove_actor("network-labels")
    if texts:
        plotter.add_point_labels(np.array(points), texts, font_size=round(NETWORK_LABEL_FONT * font_scale),
                                 shape_opacity=0.75, shape_color="white", text_color="black", show_points=False,
                                 always_visible=True, name="network-labels", bold=False, margin=2)


def png_bytes(image: np.ndarray) -> bytes:
    """Encode an (h, w, 3) uint8 image as PNG."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(image)).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


__all__ = ["VIEWS", "DrawnScene", "draw_scene", "render_image", "png_bytes", "set_camera", "set_section_plane",
           "check_view", "legend_text"]
