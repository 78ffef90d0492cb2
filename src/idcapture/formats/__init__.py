"""Record formats: CaptureRecord JSON, ISO/IEC 19794 and ANSI biometric records, WSQ and
image helpers.

* :mod:`~idcapture.formats.minutiae` — finger minutiae records, ISO/IEC 19794-2:2005
  and ANSI INCITS 378-2004 (with the thin :mod:`~idcapture.formats.iso19794_2` and
  :mod:`~idcapture.formats.ansi378` entry points);
* :mod:`~idcapture.formats.iso19794_4` — finger image records;
* :mod:`~idcapture.formats.iso19794_5` — face image records;
* :mod:`~idcapture.formats.wsq` — WSQ fingerprint image compression (``wsq`` extra);
* :mod:`~idcapture.formats.images` — PNG/JPEG/BMP/JPEG 2000 over Pillow for numpy arrays;
* :mod:`~idcapture.formats.finger_capture` — finger captures in a CaptureRecord;
* :mod:`~idcapture.formats.record_json` — the canonical JSON of a CaptureRecord, with
  :mod:`~idcapture.formats.record_schema` (JSON Schema, migrations) and
  :mod:`~idcapture.formats.record_files` (a record as files, written atomically with
  :mod:`~idcapture.formats.atomic`).

Every reader is strict and raises :class:`FormatError` (a
:class:`~idcapture.errors.RecordError`) naming the field and the byte offset.
"""

from __future__ import annotations

from ._binary import FormatError
from .finger_capture import add_finger_capture, finger_image, finger_template
from .images import CodecUnavailable
from .minutiae import (
    ExtendedDataArea,
    FingerView,
    ImpressionType,
    MinutiaeRecord,
    MinutiaeStandard,
    MinutiaType,
    RecordMinutia,
    from_template,
    read_minutiae_record,
)

__all__ = [
    "CodecUnavailable",
    "ExtendedDataArea",
    "FingerView",
    "FormatError",
    "ImpressionType",
    "MinutiaType",
    "MinutiaeRecord",
    "MinutiaeStandard",
    "RecordMinutia",
    "add_finger_capture",
    "finger_image",
    "finger_template",
    "from_template",
    "read_minutiae_record",
]
