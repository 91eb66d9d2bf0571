"""Conflicts as GeoJSON (RFC 7946): WGS84 points at each conflict's worst spot, for any GIS or web map.

RFC 7946 allows only WGS84 longitude/latitude, so the RD New coordinates are transformed with
pyproj (EPSG:28992 -> EPSG:4326, the datum shift included) and also kept in the properties as
``x_rd`` and ``y_rd`` (metres), next to every field of the JSON report. Coordinates carry
:data:`LONLAT_DECIMALS` decimals (RFC 7946 section 11.2 advises no more precision than needed).
"""

from __future__ import annotations

import json

import numpy as np

#: Decimals of longitude/latitude: 1e-8 degree is about 1 mm, finer than any witness point.
LONLAT_DECIMALS = 8
RD_NEW, WGS84 = "EPSG:28992", "EPSG:4326"


def conflict_records(result) -> list[dict]:
    """The conflicts' JSON fields plus ``x_rd``, ``y_rd`` and the two objects' plain labels."""
    records = []
    for conflict in result.conflicts:
        record = conflict.as_dict()
        record["x_rd"], record["y_rd"] = record["x"], record["y"]
        record["labels"] = [label for label in conflict.labels]
        records.append(record)
    return records


def rd_to_wgs84(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """RD New (metres) -> WGS84 longitude, latitude (degrees), arrays of equal shape."""
    from pyproj import Transformer

    transformer = Transformer.from_crs(RD_NEW, WGS84, always_xy=True)
    lon, lat = transformer.transform(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
    return np.asarray(lon), np.asarray(lat)


def report_geojson(result) -> str:
    """A FeatureCollection with one Point feature per conflict (see the module docstring)."""
    records = conflict_records(result)
    lon, lat = rd_to_wgs84(np.array([c.x for c in result.conflicts]), np.array([c.y for c in result.conflicts]))
    features = [{"type": "Feature", "id": record["id"],
                 "geometry": {"type": "Point", "coordinates": [round(float(lo), LONLAT_DECIMALS),
                                                               round(float(la), LONLAT_DECIMALS)]},
                 "properties": record}
                for record, lo, la in zip(records, np.atleast_1d(lon), np.atleast_1d(lat))]
    document = {"type": "FeatureCollection", "name": f"vkls conflicts: {result.street.name}", "features": features}
    if features:
        document["bbox"] = [round(float(np.min(lon)), LONLAT_DECIMALS), round(float(np.min(lat)), LONLAT_DECIMALS),
                            round(float(np.max(lon)), LONLAT_DECIMALS), round(float(np.max(lat)), LONLAT_DECIMALS)]
    return json.dumps(document, indent=1, ensure_ascii=False) + "\n"
