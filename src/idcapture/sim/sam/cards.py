"""Card data files for the SAM simulators (documented in docs/testers/card-files.md).

A card file is JSON::

    {"format": "idcapture.sam-card/1",
     "kind": "resident-id",            # or hmt-residence-permit, foreigner-permanent-2017/2023
     "fields": {"name": "...", "sex": "1", ...},   # text-block fields, as on the card
     "photo": {"seed": 1},             # or {"base64": "..."} or {"hex": "..."} or null
     "fingerprints": [{"finger": 11, "source": "synthetic:seed=5"},  # 0-2 records, or
                                       # {"base64": "..."} for a raw 512/1024-byte block
     "appended_addresses": ["..."],    # optional, 35 characters at most each
     "management_info": "..."}         # optional, 14 characters (28 bytes UCS-2)

``seed`` makes deterministic opaque bytes (WLT photos cannot be made without the
vendor library: seeded photos carry the header every real WLT photo starts with, then
opaque bytes). A fingerprint record (GA/T 1012 layout, CRC-8 check byte) is made from
``source``, a finger source (``synthetic:seed=N``, an image file), by the simulated ID_Fpr
algorithm, so a live finger matches it through the ``idfpr`` driver; ``enrolment`` 2
(failed) or 3 (not enrolled) gives the placeholder record the card then carries; without
a source the record holds seeded opaque features (``quality``, ``seed``).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from ...drivers.idfpr.record import EnrolResult, build_record, crc8
from ...drivers.sam.cardtext import build_text_block
from ...errors import ConfigError
from ...record import DocumentKind

__all__ = [
    "CARD_FORMAT",
    "SimCard",
    "card_fingerprint",
    "card_from_dict",
    "card_image",
    "crc8",
    "fingerprint_record",
    "load_card",
    "sample_card_paths",
    "sample_cards",
    "seeded_bytes",
    "wlt_photo",
    "write_card_image",
]

CARD_FORMAT = "idcapture.sam-card/1"


def seeded_bytes(label: str, seed: int | str, n: int) -> bytes:
    """``n`` deterministic pseudo-random bytes for ``label`` and ``seed``."""
    return hashlib.shake_256(f"{label}:{seed}".encode()).digest(n)


#: the first bytes of every WLT photo seen in public captures
WLT_HEADER = bytes.fromhex("574C66007E00320000FF85")


def wlt_photo(seed: int | str) -> bytes:
    """1024 deterministic bytes that start like a real WLT photo (header-checking
    decoders accept them; the rest is opaque)."""
    return WLT_HEADER + seeded_bytes("photo", seed, 1024 - len(WLT_HEADER))


def fingerprint_record(finger: int, quality: int, seed: int | str = 0,
                       enrolment: int = 1) -> bytes:
    """A 512-byte card fingerprint record with seeded opaque features: 'C', result,
    finger code, quality, ..., CRC-8."""
    rec = bytearray(seeded_bytes("fingerprint", f"{seed}:{finger}", 512))
    rec[0], rec[4], rec[5], rec[6] = 0x43, enrolment, finger, quality
    rec[511] = crc8(bytes(rec[:511]))
    return bytes(rec)


@functools.lru_cache(maxsize=64)
def _template_record(source: str, finger: int) -> bytes:
    from ..finger.sources import fit_to_sensor, parse_source
    from ..idfpr import HEIGHT, WIDTH, extract_record

    image = fit_to_sensor(parse_source(source).impression(0), WIDTH, HEIGHT)
    rec = extract_record(image, finger)
    if rec is None:
        raise ConfigError(f"finger source {source!r} gives no usable fingerprint")
    return rec


def card_fingerprint(entry: Mapping[str, Any], index: int = 0) -> bytes:
    """One record of a card file's ``fingerprints`` list (see the module docstring)."""
    try:
        finger = int(entry["finger"])
        enrolment = int(entry.get("enrolment", EnrolResult.SUCCESS))
        quality = int(entry.get("quality", 80))
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"fingerprint record {index}: finger, enrolment and quality must "
                          f"be integers ({exc})") from None
    if not (0 <= finger <= 255 and 0 <= enrolment <= 255 and 0 <= quality <= 100):
        raise ConfigError(f"fingerprint record {index}: finger, enrolment or quality out "
                          "of range")
    if enrolment != EnrolResult.SUCCESS:
        return build_record(finger, enrolment, 0)
    if entry.get("source"):
        return _template_record(str(entry["source"]), finger)
    return fingerprint_record(finger, quality, entry.get("seed", index), enrolment)


@dataclass
class SimCard:
    """One card as the simulators hold it: its fields and its raw blocks."""

    kind: DocumentKind
    fields: dict[str, str]
    photo: bytes = b""
    fingerprint: bytes = b""
    appended_addresses: list[str] = field(default_factory=list)
    management_info: str = ""
    source: str = ""

    @property
    def text(self) -> bytes:
        return build_text_block(self.kind, self.fields)

    @property
    def appended_block(self) -> bytes:
        out = b""
        for a in self.appended_addresses:
            raw = a.encode("utf-16-le")
            out += raw + " ".encode("utf-16-le") * ((70 - len(raw)) // 2)
        return out

    @property
    def management_block(self) -> bytes:
        raw = self.management_info.encode("utf-16-le")[:28]
        return raw + " ".encode("utf-16-le") * ((28 - len(raw)) // 2)


def _bytes(spec: Any, label: str, where: str, size: int | None) -> bytes:
    if spec is None:
        return b""
    if not isinstance(spec, Mapping):
        raise ConfigError(f"{where}: expected an object with seed, base64 or hex")
    if "seed" in spec:
        data = seeded_bytes(label, spec["seed"], size or 1024)
    elif "base64" in spec:
        data = base64.b64decode(spec["base64"])
    elif "hex" in spec:
        data = bytes.fromhex(spec["hex"])
    else:
        raise ConfigError(f"{where}: give one of seed, base64, hex")
    if size is not None and len(data) != size:
        raise ConfigError(f"{where}: {len(data)} bytes, expected {size}")
    return data


def card_from_dict(d: Mapping[str, Any], source: str = "") -> SimCard:
    """A :class:`SimCard` from the parsed JSON of a card file; errors name the field."""
    where = source or "card"
    fmt = d.get("format", CARD_FORMAT)
    if fmt != CARD_FORMAT:
        raise ConfigError(f"{where}: format {fmt!r} is not {CARD_FORMAT!r}")
    try:
        kind = DocumentKind(d.get("kind", "resident-id"))
    except ValueError:
        raise ConfigError(f"{where}: kind {d.get('kind')!r} is not a card kind") from None
    fields = d.get("fields")
    if not isinstance(fields, Mapping) or not all(isinstance(v, str) for v in fields.values()):
        raise ConfigError(f"{where}: fields must be an object of strings")
    photo_spec = d.get("photo")
    if isinstance(photo_spec, Mapping) and set(photo_spec) == {"seed"}:
        photo = wlt_photo(photo_spec["seed"])
    else:
        photo = _bytes(photo_spec, "photo", f"{where}: photo", 1024)
    fps = d.get("fingerprints", [])
    if isinstance(fps, Mapping):
        fp = _bytes(fps, "fingerprint", f"{where}: fingerprints", None)
        if len(fp) not in (0, 512, 1024):
            raise ConfigError(f"{where}: fingerprints: {len(fp)} bytes, expected 0/512/1024")
    elif isinstance(fps, list) and len(fps) <= 2:
        if not all(isinstance(r, Mapping) for r in fps):
            raise ConfigError(f"{where}: fingerprints: each record must be an object")
        try:
            fp = b"".join(card_fingerprint(r, i) for i, r in enumerate(fps))
        except ConfigError as exc:
            raise ConfigError(f"{where}: {exc}") from None
    else:
        raise ConfigError(f"{where}: fingerprints must be a list of at most 2 records")
    card = SimCard(kind, dict(fields), photo, fp, list(d.get("appended_addresses", [])),
                   str(d.get("management_info", "")), source)
    try:
        card.text  # noqa: B018 - validates every field against its slot
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    for a in card.appended_addresses:
        if len(a) > 35:
            raise ConfigError(f"{where}: appended address longer than 35 characters")
    return card


def load_card(path: str | Path) -> SimCard:
    """Read a card file."""
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"card file {p.name}: {exc}") from None
    return card_from_dict(data, p.name)


def sample_card_paths() -> list[Path]:
    """The sample card files shipped with the package."""
    root = resources.files("idcapture.sim") / "cards"
    return sorted(Path(str(root)).glob("*.json"))


def sample_cards() -> list[SimCard]:
    """The sample cards (all four kinds, with edge cases)."""
    return [load_card(p) for p in sample_card_paths()]


CARD_IMAGE_MAGIC = b"IDCSIM1\x00"


def card_image(card: SimCard) -> bytes:
    """The binary card image the C simulators read (``native/sim/simcard.h``).

    ``IDCSIM1\\0``, four little-endian uint16 lengths (text, photo, fingerprint,
    appended address), then those blocks.
    """
    blocks = (card.text, card.photo, card.fingerprint, card.appended_block)
    head = CARD_IMAGE_MAGIC + b"".join(len(b).to_bytes(2, "little") for b in blocks)
    return head + b"".join(blocks)


def write_card_image(card: SimCard, path: str | Path) -> Path:
    """Write :func:`card_image` to ``path`` atomically (the C simulators poll the file)."""
    p = Path(path)
    tmp = p.with_name(p.name + ".tmp")
    tmp.write_bytes(card_image(card))
    tmp.replace(p)
    return p
