"""ANSI INCITS 378-2004 finger minutiae records ("FMR\\0", version " 20\\0").

Thin entry points over :mod:`idcapture.formats.minutiae`, which holds the layout
shared with ISO/IEC 19794-2:2005. ANSI records carry a CBEFF product
identifier (``product_owner``, ``product_type``) and store angles in 2-degree units.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .minutiae import ImpressionType, MinutiaeRecord, MinutiaeStandard, from_template
from .minutiae import read_minutiae_record as _read
from .minutiae import write_minutiae_record as _write

if TYPE_CHECKING:
    from ..biometrics.finger.template import FingerTemplate

__all__ = ["FORMAT_NAME", "MEDIA_TYPE", "STANDARD", "read", "template_record", "write"]

STANDARD = MinutiaeStandard.ANSI_378_2004
#: The ``template_format`` a CaptureRecord stores for these records.
FORMAT_NAME = STANDARD.value
MEDIA_TYPE = "application/octet-stream"


def read(data: bytes) -> MinutiaeRecord:
    """Parse an ANSI 378-2004 record (strict; :class:`FormatError` on any fault)."""
    return _read(data, STANDARD)


def write(record: MinutiaeRecord) -> bytes:
    """Bytes of ``record``, which must be an ANSI 378-2004 record."""
    return _write(record, STANDARD)


def template_record(templates: FingerTemplate | Sequence[FingerTemplate], *,
                    impression_type: ImpressionType = ImpressionType.LIVE_SCAN_PLAIN,
                    capture_device_type: int = 0, product_owner: int = 0,
                    product_type: int = 0) -> bytes:
    """ANSI 378-2004 bytes for one template or several (one view each)."""
    return from_template(templates, STANDARD, impression_type=impression_type,
                         capture_device_type=capture_device_type,
                         product_owner=product_owner, product_type=product_type).to_bytes()
