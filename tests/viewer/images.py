"""Image comparison for the viewer tests: reference pictures with a tolerance.

``VKLS_UPDATE_REFERENCE=1 pytest tests/viewer`` rewrites the references (look at them
before committing). A comparison passes when the mean absolute difference per channel is
at most ``max_mean`` (of 255) and at most ``max_changed`` of the pixels differ by more than
``PIXEL_CHANGED``: renderers differ slightly between Mesa versions, a broken viewer (a
blank picture, missing tubes, a missing legend) differs by far more.
"""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

import numpy as np

REFERENCE = Path(__file__).parent / "reference"
PIXEL_CHANGED = 48


def load_png(data_or_path) -> np.ndarray:
    """(h, w, 3) uint8 from PNG bytes or a path."""
    from PIL import Image

    source = io.BytesIO(data_or_path) if isinstance(data_or_path, bytes) else data_or_path
    return np.asarray(Image.open(source).convert("RGB"))


def difference(actual: np.ndarray, expected: np.ndarray) -> tuple[float, float]:
    """(mean absolute difference per channel, fraction of pixels changed by more than PIXEL_CHANGED)."""
    if actual.shape != expected.shape:
        return 255.0, 1.0
    delta = np.abs(actual.astype(np.int16) - expected.astype(np.int16))
    return float(delta.mean()), float((delta.max(axis=2) > PIXEL_CHANGED).mean())


def similar(actual: np.ndarray, expected: np.ndarray, max_mean: float = 4.0, max_changed: float = 0.02) -> bool:
    mean, changed = difference(actual, expected)
    return mean <= max_mean and changed <= max_changed


def assert_matches_reference(actual: np.ndarray, name: str, max_mean: float = 4.0, max_changed: float = 0.02) -> None:
    """Compare with ``reference/NAME.png``; with VKLS_UPDATE_REFERENCE=1 write it instead."""
    from PIL import Image

    path = REFERENCE / f"{name}.png"
    if os.environ.get("VKLS_UPDATE_REFERENCE") == "1":
        REFERENCE.mkdir(exist_ok=True)
        Image.fromarray(actual).save(path, optimize=True)
        return
    assert path.is_file(), f"no reference picture {path}; run with VKLS_UPDATE_REFERENCE=1 and look at it"
    expected = load_png(path)
    mean, changed = difference(actual, expected)
    if not (mean <= max_mean and changed <= max_changed):
        failed = Path(tempfile.gettempdir()) / f"vkls-{name}.actual.png"
        Image.fromarray(actual).save(failed)
        raise AssertionError(f"{name}: differs from the reference (mean {mean:.2f}, {changed:.1%} of pixels changed; "
                             f"limits {max_mean}, {max_changed:.0%}); the render is in {failed}")


def colour_fraction(image: np.ndarray, colour: str, tolerance: int = 40) -> float:
    """Fraction of pixels within ``tolerance`` (max channel difference) of ``#rrggbb``."""
    target = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)], dtype=np.int16)
    return float((np.abs(image.astype(np.int16) - target).max(axis=2) <= tolerance).mean())
