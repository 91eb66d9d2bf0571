"""The scene of a city store: object attributes as columns."""

import numpy as np


def test_objects_with_role_match_the_role_column_on_a_city_and_on_a_street(small_city):
    from vkls.geometry.scene import object_column, objects_with_role
    from vkls.pipeline import check

    for scene in (small_city[0], check("samples/conflicts-demo.toml").scene):
        roles = object_column(scene, "role")
        for role in set(roles.tolist()) | {"no such role"}:
            np.testing.assert_array_equal(objects_with_role(scene, role), roles == role, err_msg=role)
        several = ("main", "trunk", "trunk with root barrier", "no such role")
        np.testing.assert_array_equal(objects_with_role(scene, *several), np.isin(roles, several))
