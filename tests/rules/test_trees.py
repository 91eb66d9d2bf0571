import pytest

from tests.conftest import network
from vkls.pipeline import check

TREE = '[[trees]]\nid = "B1"\nchainage = 10.0\noffset = {offset}\nsize_class = "{size}"\ntrunk_diameter = 0.3\ncrown_radius = 3.0\n'


@pytest.mark.parametrize("size, offset, expected", [("2", 3.049, 1), ("2", 3.051, 0), ("1b", 3.5, 1),
                                                    ("1b", 3.6, 0), ("3", 2.6, 0)])
def test_trunk_distance_per_size_class(street_file, size, offset, expected):
    # water main at offset 1.0 with radius 0.05: trunk centre to edge = offset - 1.05
    path = street_file(network("W", "water", offset=1.0, depth=1.0, diameter=0.10),
                       TREE.format(offset=offset, size=size))
    found = [c for c in check(path).conflicts if c.rule == "tree-distance"]
    assert len(found) == expected
    if found:
        (conflict,) = found
        required = {"2": 2.0, "1b": 2.5}[size]
        assert conflict.required == required
        assert conflict.actual == pytest.approx(offset - 1.05)
        assert conflict.chainage == pytest.approx(10.0)
        assert "trunk centre of tree B1" in conflict.explanation
        assert conflict.chainage_start <= 10.0 <= conflict.chainage_end
