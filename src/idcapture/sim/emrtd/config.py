"""Simulated documents from data: a JSON file (or dict) describing one eMRTD.

::

    {
      "version": 1,
      "mrz": "P<UTOERIKSSON<<ANNA<MARIA<<<...L898902C36UTO7408122F1204159ZE184226B<<<<<10",
      "face": "face.jpg",                       # or {"width": 360, "height": 480,
                                                #     "target_bytes": 20000, "format": "jpeg"}
      "data_groups": {"11": "6B0A5F0E07455249..."},   # extra groups: file bytes in hex
      "pki": "pki",                             # folder with csca.pem/csca.key/ds.pem/ds.key
      "faults": {"delay_s": 0.01},              # see idcapture.sim.emrtd.card.Faults
      "link": {"bit_rate": 106, "chip_ms": 2}   # paced ISO/IEC 14443 link (sim.emrtd.link)
    }

Relative paths are relative to the file. Without ``face`` a synthetic portrait is drawn;
without ``pki`` a fresh test PKI is generated (write its CSCA out with
``idcapture sim emrtd --write-csca``).
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from ...drivers.emrtd.lds import DG_TAG, encode_dg1, encode_dg2
from ...drivers.emrtd.session import MAX_FACE_PIXELS
from ...errors import ConfigError
from .card import EmrtdCard, Faults
from .link import Link
from .pki import SimPki

__all__ = ["CONFIG_VERSION", "card_from_config", "load_config", "synthetic_face"]

CONFIG_VERSION = 1


def synthetic_face(width: int = 360, height: int = 480, target_bytes: int | None = None,
                   fmt: str = "jpeg", seed: int = 7) -> bytes:
    """A drawn portrait (head, eyes, mouth on a plain background) as JPEG or JPEG 2000.

    With ``target_bytes`` the JPEG quality is chosen so the file is close to that size.
    """
    img = Image.new("RGB", (width, height), (222, 226, 230))
    d = ImageDraw.Draw(img)
    cx, cy, rx, ry = width // 2, int(height * 0.45), int(width * 0.28), int(height * 0.3)
    d.ellipse((cx - rx, cy - ry, cx + rx, cy + ry), fill=(224, 182, 150))
    for ex in (cx - rx // 2, cx + rx // 2):
        d.ellipse((ex - rx // 6, cy - ry // 4 - ry // 12, ex + rx // 6, cy - ry // 4 + ry // 12),
                  fill=(60, 40, 30))
    d.rectangle((cx - rx // 3, cy + ry // 2 - 4, cx + rx // 3, cy + ry // 2 + 4),
                fill=(150, 60, 60))
    rng = np.random.default_rng(seed)
    arr = np.asarray(img, dtype=np.int16) + rng.integers(-12, 13, (height, width, 1))
    img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))

    def encode(q: int) -> bytes:
        buf = io.BytesIO()
        if fmt == "jpeg2000":
            img.save(buf, "JPEG2000", quality_mode="rates", quality_layers=[max(1, 100 - q)])
        else:
            img.save(buf, "JPEG", quality=q)
        return buf.getvalue()

    if target_bytes is None or fmt == "jpeg2000":
        return encode(85)
    lo, hi, best = 5, 95, encode(50)
    while lo <= hi:
        q = (lo + hi) // 2
        data = encode(q)
        if abs(len(data) - target_bytes) < abs(len(best) - target_bytes):
            best = data
        if len(data) < target_bytes:
            lo = q + 1
        else:
            hi = q - 1
    return best


def _face(spec: Any, base: Path) -> tuple[bytes, int, int, bool]:
    if spec is None:
        spec = {}
    if isinstance(spec, str):
        path = base / spec
        try:
            raw = path.read_bytes()
            img = Image.open(io.BytesIO(raw))  # the header only
            if img.width * img.height > MAX_FACE_PIXELS:
                raise ConfigError(f"face image {spec!r} is {img.width}x{img.height}: over "
                                  f"{MAX_FACE_PIXELS} pixels")
            img.load()
        except OSError as exc:
            raise ConfigError(f"face image {spec!r} cannot be read as an image: {exc}") from None
        if img.format == "JPEG":
            return raw, img.width, img.height, False
        if img.format == "JPEG2000":
            return raw, img.width, img.height, True
        buf = io.BytesIO()
        img.convert("RGB").save(buf, "JPEG", quality=90)
        return buf.getvalue(), img.width, img.height, False
    if isinstance(spec, Mapping):
        w, h = int(spec.get("width", 360)), int(spec.get("height", 480))
        fmt = str(spec.get("format", "jpeg"))
        if fmt not in ("jpeg", "jpeg2000"):
            raise ConfigError("face.format must be 'jpeg' or 'jpeg2000'")
        target = spec.get("target_bytes")
        data = synthetic_face(w, h, int(target) if target is not None else None, fmt,
                              int(spec.get("seed", 7)))
        return data, w, h, fmt == "jpeg2000"
    raise ConfigError("face must be a file name or an object {width, height, ...}")


def load_config(path: str | Path) -> tuple[dict[str, Any], Path]:
    """Read a card file; returns the dict and the folder relative paths start from."""
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read card file {p.name!r}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"card file {p.name!r} is not JSON: line {exc.lineno}: "
                          f"{exc.msg}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"card file {p.name!r} must hold a JSON object")
    return data, p.parent


def card_from_config(config: Mapping[str, Any] | str | Path,
                     base: Path | None = None) -> EmrtdCard:
    """Build an :class:`EmrtdCard` from a config dict or file."""
    if isinstance(config, (str, Path)):
        config, base = load_config(config)
    base = base or Path.cwd()
    version = config.get("version", CONFIG_VERSION)
    if version != CONFIG_VERSION:
        raise ConfigError(f"card file version {version!r} is not supported (expected "
                          f"{CONFIG_VERSION})")
    mrz = config.get("mrz")
    if not isinstance(mrz, str):
        raise ConfigError("card file needs 'mrz' (the machine-readable zone as a string)")
    image, w, h, j2k = _face(config.get("face"), base)
    groups: dict[int, bytes] = {1: encode_dg1(mrz), 2: encode_dg2(image, w, h, j2k)}
    for key, value in (config.get("data_groups") or {}).items():
        try:
            n = int(key)
            content = bytes.fromhex(str(value))
        except ValueError:
            raise ConfigError(f"data_groups.{key}: expects a number and hex bytes") from None
        if n not in DG_TAG or n in (1, 2):
            raise ConfigError(f"data_groups.{key}: must be a data group 3-16")
        if not content or content[0] != DG_TAG[n]:
            raise ConfigError(f"data_groups.{key}: must start with tag {DG_TAG[n]:02X}")
        groups[n] = content
    pki_dir = config.get("pki")
    pki = SimPki.load(base / pki_dir) if pki_dir else None
    try:
        faults = Faults.from_dict(config.get("faults") or {})
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"faults: {exc}") from None
    link = Link.from_dict(config["link"]) if config.get("link") is not None else None
    return EmrtdCard(mrz, groups, pki, faults, link)
