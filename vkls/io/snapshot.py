"""A small plan-view picture of one conflict (for BCF topics), drawn with Pillow.

The 3D viewer renders whole streets; a BCF file needs one picture per conflict, and a KLIC
delivery can have thousands. So this draws a cheap top view instead: a square window of
:data:`WINDOW` metres around the conflict's worst spot, the two objects in their KLIC colours
at their true width, the other objects in the window in light grey, trees as trunk dots and
root-zone circles, the worst spot as a red ring, a 1 m scale bar and one line of text.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw

from vkls.viewer.colours import CONFLICT_COLOUR, style_of

#: Picture size in pixels (width, height) and the side of the square window, metres.
SIZE = (480, 360)
WINDOW = 6.0
#: Thinnest drawn line, pixels (a 3 cm cable is under 2 px at this scale).
MIN_LINE = 2
CONTEXT_COLOUR = "#c8c8c8"
#: zlib level of the PNGs: 1 is several times faster than the default 6 and barely larger for
#: these flat drawings (a delivery can have thousands of snapshots).
PNG_COMPRESSION = 1
BACKGROUND = "#ffffff"


class SnapshotPainter:
    """Draws conflict snapshots of one scene; the per-scene preparation is done once.

    Parameters
    ----------
    scene : vkls.geometry.scene.Scene
    """

    def __init__(self, scene):
        self.scene = scene
        self.index = {obj.id: n for n, obj in enumerate(scene.objects)}
        lo = np.minimum(scene.cap_a[:, :2], scene.cap_b[:, :2]) - scene.cap_r[:, None]
        hi = np.maximum(scene.cap_a[:, :2], scene.cap_b[:, :2]) + scene.cap_r[:, None]
        self.cap_lo, self.cap_hi = lo, hi
        self.scale = min(SIZE) / WINDOW  # pixels per metre

    def png(self, conflict) -> bytes:
        """The PNG of ``conflict`` (a :class:`vkls.conflicts.Conflict`)."""
        scene = self.scene
        centre = np.array([conflict.x, conflict.y]) - scene.origin
        half = WINDOW / 2 * max(SIZE) / min(SIZE)
        image = Image.new("P", SIZE, BACKGROUND)  # palette: a third of RGB's bytes to encode, same colours
        draw = ImageDraw.Draw(image)

        def pixel(xy: np.ndarray) -> np.ndarray:
            return np.column_stack([SIZE[0] / 2 + (xy[:, 0] - centre[0]) * self.scale,
                                    SIZE[1] / 2 - (xy[:, 1] - centre[1]) * self.scale])

        inside = np.flatnonzero((self.cap_hi[:, 0] >= centre[0] - half) & (self.cap_lo[:, 0] <= centre[0] + half)
                                & (self.cap_hi[:, 1] >= centre[1] - half) & (self.cap_lo[:, 1] <= centre[1] + half))
        involved = {self.index[o] for o in conflict.objects if o is not None and o in self.index}
        mine = np.isin(scene.cap_object[inside], list(involved))
        for rows, highlight in ((inside[~mine], False), (inside[mine], True)):
            a, b = pixel(scene.cap_a[rows, :2]), pixel(scene.cap_b[rows, :2])
            for k, row in enumerate(rows):
                obj = scene.objects[scene.cap_object[row]]
                width = max(MIN_LINE, round(2 * scene.cap_r[row] * self.scale))
                colour = style_of(obj.kind).colour if highlight else CONTEXT_COLOUR
                if scene.cap_r[row] == 0:  # a tree's trunk axis: a dot
                    draw.ellipse([a[k, 0] - 4, a[k, 1] - 4, a[k, 0] + 4, a[k, 1] + 4], fill=style_of("tree").colour)
                    continue
                draw.line([tuple(a[k]), tuple(b[k])], fill=colour, width=width)
        self._boxes(draw, pixel, centre, half, involved)
        self._root_zones(draw, pixel, centre, half)
        spot = pixel(centre[None, :])[0]
        draw.ellipse([spot[0] - 9, spot[1] - 9, spot[0] + 9, spot[1] + 9], outline=CONFLICT_COLOUR, width=3)
        bar = (12, SIZE[1] - 14)
        draw.line([bar, (bar[0] + self.scale, bar[1])], fill="black", width=3)
        draw.text((bar[0], bar[1] - 14), "1 m", fill="black")
        text = (f"{conflict.id} {conflict.rule}: {conflict.actual:.2f} m, required {conflict.required:.2f} m "
                f"({conflict.certainty})")
        draw.text((8, 6), text, fill="black")
        draw.text((8, 20), " ~ ".join(o for o in conflict.objects if o)[:90], fill="black")
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", compress_level=PNG_COMPRESSION)
        return buffer.getvalue()

    def _boxes(self, draw, pixel, centre, half, involved) -> None:
        scene = self.scene
        if not scene.n_boxes:
            return
        near = np.flatnonzero(np.all(np.abs(scene.box_c[:, :2] - centre) <= half + np.abs(scene.box_h[:, :2]).sum(1)
                                     [:, None], axis=1))
        signs = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]], dtype=np.float64)
        for row in near:
            corners = scene.box_c[row, :2] + signs @ (scene.box_h[row, :2, None] * scene.box_axes[row, :2, :2])
            colour = style_of(scene.objects[scene.box_object[row]].kind).colour \
                if scene.box_object[row] in involved else CONTEXT_COLOUR
            draw.polygon([tuple(p) for p in pixel(corners)], outline=colour)

    def _root_zones(self, draw, pixel, centre, half) -> None:
        scene = self.scene
        for row in range(scene.n_cylinders):
            if np.any(np.abs(scene.cyl_xy[row] - centre) > half + scene.cyl_r[row]):
                continue
            p = pixel(scene.cyl_xy[row][None, :])[0]
            r = scene.cyl_r[row] * self.scale
            draw.ellipse([p[0] - r, p[1] - r, p[0] + r, p[1] + r], outline=style_of("rootzone").colour, width=2)
