"""Conflicts as a GeoPackage layer in RD New (EPSG:28992), for QGIS and other desktop GIS.

One layer ``conflicts`` of 3D points (x, y RD New metres; z the height of the worst spot:
metres NAP for a street, minus the depth below the ground for a KLIC map) with the fields of
the JSON report. Written with pyogrio (GDAL's GPKG driver) into memory, then atomically to disk.
"""

from __future__ import annotations

import io

import numpy as np

from vkls.errors import InputError
from vkls.io.export_geojson import conflict_records

LAYER = "conflicts"
#: (field, numpy dtype) of the layer, in order; lists (objects, kinds, labels) become ``a`` and ``b`` fields.
FIELDS = (("id", object), ("rule", object), ("object_a", object), ("object_b", object), ("kind_a", object),
          ("kind_b", object), ("label_a", object), ("label_b", object), ("regime", object),
          ("required", float), ("actual", float), ("horizontal_gap", float), ("vertical_gap", float),
          ("chainage_start", float), ("chainage_end", float), ("length", float), ("chainage", float),
          ("x_rd", float), ("y_rd", float), ("z", float), ("severity", object), ("certainty", object),
          ("status", object), ("source", object), ("baseline", object), ("explanation", object))


def report_gpkg(result) -> bytes:
    """The GeoPackage file as bytes (see the module docstring).

    Raises
    ------
    InputError
        pyogrio is not installed (``pip install 'vkls[gis]'``).
    """
    try:
        import shapely
        from pyogrio.raw import write
    except ImportError:
        raise InputError("writing a GeoPackage needs pyogrio: pip install 'vkls[gis]'") from None
    records = conflict_records(result)
    for record in records:
        record["object_a"], record["object_b"] = record["objects"]
        record["kind_a"], record["kind_b"] = record["kinds"]
        record["label_a"], record["label_b"] = record["labels"]
    columns = []
    for name, dtype in FIELDS:
        values = [record.get(name) for record in records]
        if dtype is float:
            columns.append(np.array([np.nan if v is None else v for v in values], dtype=np.float64))
        else:
            columns.append(np.array(values, dtype=object))
    points = shapely.points(np.array([[c.x, c.y, c.z] for c in result.conflicts], dtype=np.float64).reshape(-1, 3))
    buffer = io.BytesIO()
    write(buffer, geometry=shapely.to_wkb(points, output_dimension=3), field_data=columns,
          fields=[name for name, _ in FIELDS], crs="EPSG:28992", geometry_type="Point Z", driver="GPKG", layer=LAYER)
    return buffer.getvalue()
