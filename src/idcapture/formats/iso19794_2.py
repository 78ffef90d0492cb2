"""ISO/IEC 19794-2:2005 finger minutiae records ("FMR\\0", version " 20\\0").

Thin entry points over :mod:`idcapture.formats.minutiae`, which holds the layout
shared with ANSI INCITS 378-2004.
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

STANDARD = MinutiaeStandard.ISO_19794_2_2005
#: The ``template_format`` a CaptureRecord stores for these records.
FORMAT_NAME = STANDARD.value
MEDIA_TYPE = "application/octet-stream"


def read(data: bytes) -> MinutiaeRecord:
    """Parse an ISO/IEC 19794-2:2005 record (strict; :class:`FormatError` on any fault)."""
    return _read(data, STANDARD)


def write(record: MinutiaeRecord) -> bytes:
    """Bytes of ``record``, which must be an ISO/IEC 19794-2:2005 record."""
    return _write(record, STANDARD)


def template_record(templates: FingerTemplate | Sequence[FingerTemplate], *,
                    impression_type: ImpressionType = ImpressionType.LIVE_SCAN_PLAIN,
                    capture_device_type: int = 0) -> bytes:
    """ISO/IEC 19794-2:2005 bytes for one template or several (one view each)."""
    return from_template(templates, STANDARD, impression_type=impression_type,
                         capture_device_type=capture_device_type).to_bytes()
