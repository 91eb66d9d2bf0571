"""Pictures of a checked street: a PyVista 3D viewer, offscreen renders and to-scale sections.

Nothing here is imported by ``import vkls`` or ``vkls check``: PyVista/VTK and matplotlib
load only inside the functions that draw.

- :mod:`vkls.viewer.colours`: KLIC/IMKL theme colours, patterns and short codes per kind (no drawing).
- :mod:`vkls.viewer.meshes`: merged PyVista meshes per kind from the scene arrays.
- :mod:`vkls.viewer.render`: the 3D scene in a plotter; offscreen PNG renders (iso, top, section).
- :mod:`vkls.viewer.interactive`: the ``vkls view`` window (layer toggles, picking, section slider).
- :mod:`vkls.viewer.section`: the 2D cross-section drawn to scale with matplotlib (SVG, PNG).
"""

#: Why a map of existing networks (a KLIC delivery) has no cross-section.
NO_ROUTE_FOR_SECTION = "a map of existing networks has no route to cut a section along; use 'vkls render --view top'"
