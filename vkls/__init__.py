"""vkls: 3D clearance and placement checks for cables and pipes under a street.

``vkls.check(path)`` reads a street file, builds the 3D scene and returns the conflicts.
Heavy parts (numba kernels, PyVista) are imported only when used, so ``import vkls``
and ``vkls --help`` stay fast.
"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["check", "__version__"]


def __getattr__(name: str):
    if name == "check":
        from vkls.pipeline import check

        return check
    raise AttributeError(f"module 'vkls' has no attribute {name!r}")
