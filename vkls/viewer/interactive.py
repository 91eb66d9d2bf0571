"""The ``vkls view`` window: the 3D scene with layer toggles, picking and a section slider.

Built on :func:`vkls.viewer.render.draw_scene`, so the window shows what ``vkls render``
writes, plus:

- **check boxes** in the right-hand panel, one per layer group (networks, rack, reserved
  corridors, trees, ground, conflicts), switching every actor of the group (and its labels);
- **picking**: a left click on a cable, pipe, rack part, tree or conflict ball prints what it
  is (and, for a conflict, its explanation; for an object, the conflicts that name it) in the
  lower left corner;
- a **slider** along the bottom moving a section plane along the chainage: everything before
  the plane is clipped away (GPU clipping planes, no re-meshing), the cut mains show filled
  discs, and a translucent frame marks the plane. At chainage 0 nothing is cut.

:func:`build_viewer` makes the window without showing it (tests drive it offscreen);
:func:`open_viewer` shows it.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

import numpy as np

from vkls.viewer.render import DrawnScene, draw_scene, new_plotter, quiet_vtk, set_camera, set_section_plane

#: Order and names of the toggles.
GROUP_TITLES = {"networks": "cables and pipes", "rack": "VKLS rack", "reservations": "reserved corridors",
                "trees": "trees and root zones", "ground": "ground and surfaces", "conflicts": "conflicts"}
#: Label actors switched with a group.
GROUP_LABELS = {"networks": "networks", "conflicts": "conflicts"}
#: Characters per line of the picking text.
INFO_WIDTH = 95


@dataclass
class Viewer:
    """An interactive window and its state.

    Attributes
    ----------
    plotter : pyvista.Plotter
    drawn : DrawnScene
    street, scene, conflicts
    visible : dict group -> bool
    chainage : float
        Section plane position (0: no cut).
    info : str
        The last picking text.
    """

    plotter: object
    drawn: DrawnScene
    street: object
    scene: object
    conflicts: list
    visible: dict = field(default_factory=dict)
    chainage: float = 0.0
    info: str = ""
    conflicts_only: bool = False
    font_scale: float = 1.0

    def groups(self) -> list[str]:
        """Layer groups present, in toggle order."""
        present = {layer.group for layer in self.drawn.layers}
        return [g for g in GROUP_TITLES if g in present] + sorted(present - set(GROUP_TITLES))

    def set_group_visible(self, group: str, visible: bool) -> None:
        """Show or hide every actor of ``group`` (and its labels)."""
        self.visible[group] = bool(visible)
        for layer in self.drawn.layers:
            if layer.group == group:
                for actor in self.drawn.actors.get(layer.key, []):
                    actor.SetVisibility(bool(visible))
        label = self.drawn.label_actors.get(GROUP_LABELS.get(group, ""))
        if label is not None:
            label.SetVisibility(bool(visible))
        if group == "networks":
            caps = self.plotter.actors.get("section-caps")
            if caps is not None:
                caps.SetVisibility(bool(visible))

    def move_section(self, chainage: float) -> None:
        """Put the section plane at ``chainage`` (<= 0: no cut)."""
        from vkls.viewer.meshes import section_caps

        length = self.scene.alignment.length
        self.chainage = float(min(max(chainage, 0.0), length))
        cut = self.chainage > 0.0
        set_section_plane(self.drawn, self.scene, self.chainage if cut else None)
        self.plotter.remove_actor("section-caps", render=False)
        self.plotter.remove_actor("section-frame", render=False)
        self._refresh_labels()
        if not cut:
            return
        caps = section_caps(self.scene, self.chainage)
        if caps.n_points:
            actor = self.plotter.add_mesh(caps, scalars="rgb", rgb=True, name="section-caps", reset_camera=False,
                                          pickable=False)
            actor.SetVisibility(self.visible.get("networks", True))
        self.plotter.add_mesh(section_frame(self.street, self.scene, self.chainage), color="#333333", opacity=0.12,
                              name="section-frame", reset_camera=False, pickable=False)

    def _refresh_labels(self) -> None:
        """Labels only beyond the section plane (2D labels are not clipped by it)."""
        from vkls.viewer.render import add_labels

        for name in ("networks", "conflicts"):
            actor = self.drawn.label_actors.pop(name, None)
            if actor is not None:
                self.plotter.remove_actor(actor, render=False)
        self.plotter.subplot(0, 0)
        window = (self.chainage, self.scene.alignment.length) if self.chainage > 0 else None
        self.drawn.label_actors.update(add_labels(self.plotter, self.scene, self.conflicts, self.drawn.layers,
                                                  conflicts_only=self.conflicts_only, label_range=window,
                                                  font_scale=self.font_scale))
        for group, name in GROUP_LABELS.items():
            if name in self.drawn.label_actors:
                self.drawn.label_actors[name].SetVisibility(self.visible.get(group, True))

    def describe(self, dataset, cell_id: int) -> str:
        """What a picked cell of ``dataset`` shows: a conflict's explanation or an object's label."""
        cells = dataset.GetCellData()
        conflict_array = cells.GetArray("conflict")
        if conflict_array is not None and 0 <= cell_id < conflict_array.GetNumberOfTuples():
            conflict = self.conflicts[int(conflict_array.GetValue(cell_id))]
            return describe_conflict(conflict)
        object_array = cells.GetArray("object")
        if object_array is not None and 0 <= cell_id < object_array.GetNumberOfTuples():
            index = int(object_array.GetValue(cell_id))
            if 0 <= index < len(self.scene.objects):
                return describe_object(self.scene.objects[index], self.conflicts)
        return ""

    def pick(self, x: float, y: float) -> str:
        """Pick at display pixel (x, y) of the window; show and return the description ("" for nothing:
        the text shown stays as it was)."""
        from vtkmodules.vtkRenderingCore import vtkCellPicker

        renderer = self.plotter.renderers[0]
        text = ""
        # Conflicts first (their balls often sit inside a translucent root zone), then anything.
        conflict_actors = [a for layer in self.drawn.layers if layer.group == "conflicts"
                           for a in self.drawn.actors.get(layer.key, []) if a.GetVisibility()]
        for candidates in (conflict_actors, None):
            picker = vtkCellPicker()
            picker.SetTolerance(0.003)
            if candidates is not None:
                if not candidates:
                    continue
                picker.PickFromListOn()
                for actor in candidates:
                    picker.AddPickList(actor)
            if picker.Pick(float(x), float(y), 0.0, renderer) and picker.GetDataSet() is not None:
                text = self.describe(picker.GetDataSet(), picker.GetCellId())
                if text:
                    break
        if text:  # a click on a widget or on empty space leaves the last text standing
            self.show_info(text)
        return text

    def show_info(self, text: str) -> None:
        """Write ``text`` (wrapped) in the lower left corner of the street view."""
        self.info = text
        wrapped = "\n".join(textwrap.fill(line, INFO_WIDTH) for line in text.splitlines())
        self.plotter.subplot(0, 0)
        self.plotter.add_text(wrapped, position="lower_left", font_size=9, color="black", name="pick-info",
                              shadow=False)


def describe_conflict(conflict) -> str:
    """Plain text for a picked conflict: id, rule, numbers, explanation."""
    pair = " ~ ".join(o for o in conflict.objects if o)
    head = (f"Conflict {conflict.id} ({conflict.rule}, {conflict.severity}): {pair}, actual {conflict.actual:.3f} m, "
            f"required {conflict.required:.3f} m, chainage {conflict.chainage_start:.1f}-{conflict.chainage_end:.1f} m")
    return f"{head}\n{conflict.explanation}"


def describe_object(obj, conflicts, max_listed: int = 3) -> str:
    """Plain text for a picked object: its label and role, and the conflicts that name it."""
    mine = [c for c in conflicts if obj.id in c.objects]
    lines = [f"{obj.label}: {obj.role}, id {obj.id}" + (f", size class {obj.size_class}" if obj.size_class else "")]
    if mine:
        lines.append(f"{len(mine)} conflict(s): " + "; ".join(
            f"{c.id} {c.rule} with {next((o for o in c.objects if o and o != obj.id), '-')}" for c in mine[:max_listed])
            + (" ..." if len(mine) > max_listed else ""))
    else:
        lines.append("no conflicts")
    return "\n".join(lines)


def section_frame(street, scene, chainage: float):
    """A translucent rectangle in the section plane: facade to the far zone edge, ground + 0.5 m to the soil bottom."""
    import pyvista as pv

    from vkls.viewer.meshes import soil_frame, street_width

    width = street_width(street)
    _, bottom = soil_frame(street, scene)
    xy = scene.alignment.place(np.full(4, chainage), np.array([-0.3, width + 0.3, width + 0.3, -0.3]))
    z = np.array([bottom, bottom, scene.alignment.ground_level + 0.5, scene.alignment.ground_level + 0.5])
    return pv.PolyData.from_regular_faces(np.column_stack([xy, z]), np.array([[0, 1, 2, 3]]))


def build_viewer(street, scene, conflicts, chainage: float | None = None, conflicts_only: bool = False,
                 off_screen: bool = False, size: tuple[int, int] = (1600, 1000)) -> Viewer:
    """The viewer window with all widgets, not yet shown.

    Parameters
    ----------
    street, scene, conflicts
        From :func:`vkls.pipeline.check`.
    chainage : float or None, metres
        Initial section plane (None: no cut).
    off_screen : bool
        Build without a screen (tests).
    """
    quiet_vtk()
    plotter = new_plotter(off_screen=off_screen, size=size)
    title = f"{street.name}: {len(conflicts)} conflict(s) - click an object or a red ball; slider: section plane"
    drawn = draw_scene(plotter, street, scene, conflicts, conflicts_only=conflicts_only, title=title,
                       font_scale=size[1] / 1000.0)
    viewer = Viewer(plotter=plotter, drawn=drawn, street=street, scene=scene, conflicts=conflicts,
                    conflicts_only=conflicts_only, font_scale=size[1] / 1000.0)
    set_camera(plotter, street, scene, "iso")
    _add_toggles(viewer, size)
    plotter.subplot(0, 0)
    if scene.has_section:  # a map (KLIC delivery) has no route to move a section plane along
        plotter.add_slider_widget(lambda value: viewer.move_section(value), [0.0, scene.alignment.length],
                                  value=chainage or 0.0, title="section plane at chainage (m); 0 = no cut",
                                  pointa=(0.05, 0.14), pointb=(0.7, 0.14), style="modern", fmt="%.1f",
                                  title_height=0.018)
        viewer.move_section(chainage or 0.0)
    plotter.track_click_position(lambda position: viewer.pick(*position[:2]), side="left", viewport=True)
    viewer.show_info("Click a cable, pipe, rack part, tree or red conflict ball to see what it is.")
    return viewer


def _add_toggles(viewer: Viewer, size: tuple[int, int]) -> None:
    """One check box per layer group at the bottom of the right-hand panel, with its name."""
    plotter = viewer.plotter
    width, height = size
    box = max(16, round(22 * height / 1000))
    plotter.subplot(0, 1)
    groups = viewer.groups()
    for n, group in enumerate(groups):
        y = 14 + (len(groups) - 1 - n) * (box + 8)
        viewer.visible[group] = True
        plotter.add_checkbox_button_widget(lambda state, g=group: viewer.set_group_visible(g, state), value=True,
                                           position=(12, y), size=box, border_size=2, color_on="#2b6cb0",
                                           color_off="#dddddd", background_color="#888888")
        plotter.add_text(GROUP_TITLES.get(group, group), position=(box + 24, y + box * 0.15),
                         font_size=max(7, round(9 * height / 1000)), color="black", name=f"toggle-{group}")
    plotter.add_text("layers", position=(20, 14 + len(groups) * (box + 8)), font_size=max(7, round(9 * height / 1000)),
                     color="#555555", name="toggle-title")
    plotter.subplot(0, 0)


def open_viewer(street, scene, conflicts, chainage: float | None = None, conflicts_only: bool = False) -> None:
    """Open the window and block until the user closes it."""
    viewer = build_viewer(street, scene, conflicts, chainage=chainage, conflicts_only=conflicts_only)
    viewer.plotter.show(title=f"vkls view: {street.name}")
