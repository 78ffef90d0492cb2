"""A :class:`~idcapture.record.CaptureRecord` as files: one self-contained JSON file
(blobs embedded, base64), or a folder of ``record.json`` and content-addressed blob
files. Files are written to a temporary name and renamed, so a crash never leaves a
half-written record; every blob is checked against its SHA-256 on load.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from ..errors import RecordError
from ..record import BlobRef, CaptureRecord
from .atomic import atomic_write
from .record_json import dumps, loads

__all__ = ["load", "save"]

_EXT = {"image/png": ".png", "image/jpeg": ".jpg", "image/bmp": ".bmp", "image/wsq": ".wsq",
        "image/jp2": ".jp2"}


def _blob_name(ref: BlobRef) -> str:
    return ref.sha256 + _EXT.get(ref.media_type, ".bin")


def save(record: CaptureRecord, path: str | Path, embed: bool | None = None) -> Path:
    """Write ``record`` to ``path``.

    A path ending in ``.json`` with ``embed`` true (the default for files) gives one
    self-contained file. Any other path is a folder holding ``record.json`` and a
    ``blobs/`` folder of content-addressed files. Files are written to a temporary
    name and renamed, so a crash never leaves a half-written record.
    """
    path = Path(path)
    if path.suffix == ".json":
        if embed is False:
            raise RecordError("a single-file record must embed its blobs", str(path))
        atomic_write(path, dumps(record, embed=True).encode("utf-8"))
        return path
    (path / "blobs").mkdir(parents=True, exist_ok=True)
    for ref in record.refs():
        target = path / "blobs" / _blob_name(ref)
        if not target.exists():
            atomic_write(target, record.blob(ref))
    atomic_write(path / "record.json", dumps(record).encode("utf-8"))
    return path


def load(path: str | Path, validate: bool = True) -> CaptureRecord:
    """Read a record written by :func:`save` (single file or folder), verifying every blob."""
    path = Path(path)
    if path.is_dir():
        json_path = path / "record.json"
        try:
            text = json_path.read_bytes()
        except OSError as exc:
            raise RecordError(f"cannot read record.json: {exc.strerror}", str(json_path)) from None
        rec = loads(text, validate=validate)
        for ref in rec.refs():
            blob_path = path / "blobs" / _blob_name(ref)
            try:
                data = blob_path.read_bytes()
            except OSError:
                raise RecordError("referenced blob file is missing",
                                  f"blobs/{_blob_name(ref)}") from None
            if hashlib.sha256(data).hexdigest() != ref.sha256:
                raise RecordError("content does not match its SHA-256",
                                  f"blobs/{_blob_name(ref)}")
            rec.blobs[ref.sha256] = data
        return rec
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise RecordError(f"cannot read file: {exc.strerror}", str(path.name)) from None
    rec = loads(text, validate=validate)
    missing = [r for r in rec.refs() if r.sha256 not in rec.blobs]
    if missing:
        raise RecordError("referenced blob is not embedded", f"blobs.{missing[0].sha256}")
    return rec
