"""Stable identifiers for exported objects: the same object id gives the same GUID in every run.

IFC GlobalIds and BCF component references are derived from one name-based UUID (UUID 5) per
object id, so that a BCF topic points at the very IFC element it is about, and re-exporting an
unchanged design gives a file a BIM tool recognises as the same objects.
"""

from __future__ import annotations

import uuid

#: Namespace of all vkls name-based UUIDs (itself a UUID 5 of the project's name).
VKLS_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/vkls/vkls")

#: The 64 characters of IFC's base-64 GlobalId encoding (IFC2x3/IFC4, ``IfcGloballyUniqueId``).
_IFC_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_$"


def stable_uuid(name: str) -> uuid.UUID:
    """UUID 5 of ``name`` in :data:`VKLS_NAMESPACE`."""
    return uuid.uuid5(VKLS_NAMESPACE, name)


def ifc_guid(name: str) -> str:
    """The 22-character IFC GlobalId of ``name`` (same encoding as ``ifcopenshell.guid.compress``)."""
    return compress(stable_uuid(name).hex)


def compress(hex_uuid: str) -> str:
    """A 32-digit hexadecimal UUID in IFC's 22-character base-64 form."""
    data = bytes.fromhex(hex_uuid)

    def encode(value: int, length: int) -> str:
        return "".join(_IFC_CHARS[(value >> (6 * i)) & 63] for i in reversed(range(length)))

    return encode(data[0], 2) + "".join(encode(int.from_bytes(data[i:i + 3], "big"), 4) for i in range(1, 16, 3))
