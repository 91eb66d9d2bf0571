"""The GIS and BIM formats of ``vkls check -o``: which writer makes which file.

Text formats return ``str``, binary formats ``bytes``; the CLI writes either atomically.
"""

from __future__ import annotations


def report_bcf(result) -> bytes:
    from vkls.io.export_bcf import report_bcf as write

    return write(result)


def report_gpkg(result) -> bytes:
    from vkls.io.export_gpkg import report_gpkg as write

    return write(result)


def report_geojson(result) -> str:
    from vkls.io.export_geojson import report_geojson as write

    return write(result)


#: Format name (= file extension) -> writer returning bytes.
BINARY_FORMATS = {"gpkg": report_gpkg, "bcf": report_bcf}
#: Format name -> writer returning text.
TEXT_FORMATS = {"geojson": report_geojson}
