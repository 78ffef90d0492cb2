"""An identity document as the CLI prints it."""

from __future__ import annotations

from typing import Any

from ..privacy import mask_address, mask_id_number, mask_name
from ..record import IdentityDocument

__all__ = ["document_dict"]


def document_dict(doc: IdentityDocument, unmask: bool = False) -> dict[str, Any]:
    """The document as a JSON-able dict; names, ID number and addresses masked unless
    ``unmask``."""
    def addr(a: str | None) -> str | None:
        return a if unmask or a is None else mask_address(a)

    def name(n: str | None) -> str | None:
        return n if unmask or n is None else mask_name(n)

    return {
        "kind": doc.kind.value, "name": name(doc.name), "name_en": name(doc.name_en),
        "sex": doc.sex.value, "ethnicity_code": doc.ethnicity_code,
        "ethnicity": doc.ethnicity, "nationality_code": doc.nationality_code,
        "nationality": doc.nationality,
        "birth_date": doc.birth_date.isoformat() if doc.birth_date else None,
        "address": addr(doc.address),
        "id_number": doc.id_number if unmask else mask_id_number(doc.id_number),
        "issuing_authority": doc.issuing_authority,
        "valid_from": doc.valid_from.isoformat() if doc.valid_from else None,
        "valid_until": doc.valid_until.isoformat() if doc.valid_until else None,
        "long_term": doc.long_term,
        "appended_addresses": [addr(a) for a in doc.appended_addresses],
        "extra": dict(doc.extra), "photo_status": doc.photo_status.value,
        "raw_blocks": {k: v.size_bytes for k, v in doc.raw_blocks.items()},
        "source_driver": doc.source_driver,
    }
