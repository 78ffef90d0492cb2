"""Test-only endpoints that drive the in-process simulators of a running server.

Mounted only when the server runs with ``--sim-control`` (never by default), and
behind the same token and CSRF checks as every other endpoint. They exist so that a
browser test (or a tester at the keyboard) can place a card, present a finger or pull a
simulated device's cable while the page drives the capture:

* ``POST /api/sim/card`` ``{"document": {...}}`` places a card (``{"remove": true}``
  takes it off); the document has ``id_number``, ``name``, ``sex`` (男/女),
  ``birth_date``, optional ``ethnicity``, ``valid_until`` and ``fingerprints``: up to
  two records for the card's fingerprint block, each ``{"finger": code, "synthetic": n}``
  (the template, made by the simulated ID_Fpr algorithm, of another impression of the
  finger ``/api/sim/finger`` presents with seed ``n``) or a card-file record
  (docs/testers/card-files.md: ``{"finger": code, "enrolment": 3}``...); with
  ``"photo": "demo"`` the card carries the shipped demo face as its chip photo (the
  panel's next-card always does);
* ``POST /api/sim/finger`` ``{"seed": n, "style": "good" | "wet" | ...}`` presents one
  synthetic impression (one placement, then lifted);
* ``POST /api/sim/unplug`` ``{"role": "reader" | "camera" | "sensor", "unplugged": bool}``
  (``{"role": ..., "toggle": true}`` flips the current state; the reply says which);
* ``POST /api/sim/next-card`` ``{}`` places the card of the next registered student who
  has no record yet (fields from the roster row, a made-up address and authority, the
  shipped demo face as the chip photo); ``{"on_roster": false}`` places the card of a
  made-up person who is not on the roster. The reply names the student (name and ID
  number masked); 409 when every registered student has a record.

``idcapture station serve --sim`` turns these on by itself: every route answers 409 when
the device in its role is not a simulator.
"""

from __future__ import annotations

import datetime as _dt
import secrets
import threading
from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..errors import IdCaptureError
from ..i18n import N_
from ..idnumbers import make_citizen_id
from ..privacy import mask_id_number, mask_name
from ..record import DocumentKind, IdentityDocument, Sex
from ..station import Store
from .responses import refusal
from .runtime import StationRuntime
from .security import read_json_object

__all__ = ["card_block", "document_from_json", "next_student", "sim_finger", "sim_routes",
           "stranger"]

CHIP_PHOTO_SIZE = (102, 126)
_photo_lock = threading.Lock()
_photo: list[bytes] = []


def demo_card_photo() -> bytes:
    """The 102x126 BMP chip photo of the shipped demo face (made once, then kept)."""
    with _photo_lock:
        if not _photo:
            from ..demo import card_photo_bmp
            from ..sim.camera.scene import demo_face_path, load_face_source

            _photo.append(card_photo_bmp(load_face_source(demo_face_path())))
        return _photo[0]


def next_student(store: Store) -> dict[str, Any] | None:
    """The roster row of the first registered student (in the Today page's order) who
    has no current record, or None."""
    st = store.first_uncaptured()
    if st is None:
        return None
    return {"id_number": st["id_number"], "name": st["name"], "sex": st["sex"],
            "birth_date": st["birth_date"], "ethnicity": st["ethnicity"]}


def stranger(store: Store) -> dict[str, Any]:
    """A made-up person whose ID number is not on the roster."""
    birth = _dt.date(_dt.date.today().year - 18, 3, 14)
    while True:
        number = make_citizen_id("110105", birth, secrets.randbelow(1000))
        if store.student(number) is None:
            break
    sex = "男" if int(number[16]) % 2 else "女"
    return {"id_number": number, "name": "路人甲", "sex": sex,
            "birth_date": birth.isoformat(), "ethnicity": "汉"}


def document_from_json(d: dict[str, Any]) -> IdentityDocument:
    """A resident ID card from the JSON the card endpoint takes."""
    number = str(d["id_number"]).strip().upper()
    sex = {"男": Sex.MALE, "女": Sex.FEMALE, "male": Sex.MALE,
           "female": Sex.FEMALE}.get(str(d.get("sex", "")), Sex.UNKNOWN)
    birth = (_dt.date.fromisoformat(d["birth_date"]) if d.get("birth_date") else
             _dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14])))
    today = _dt.date.today()
    until = (_dt.date.fromisoformat(d["valid_until"]) if d.get("valid_until")
             else today + _dt.timedelta(days=3000))
    return IdentityDocument(kind=DocumentKind.RESIDENT_ID, id_number=number,
                            name=str(d.get("name", "")), sex=sex,
                            ethnicity=str(d.get("ethnicity", "汉")), birth_date=birth,
                            address="广东省广州市天河区示范路1号",
                            issuing_authority="广州市公安局天河分局",
                            valid_from=today - _dt.timedelta(days=400), valid_until=until)


def sim_finger(seed: int, style: str = "good", impression: int | None = None) -> Any:
    """The synthetic finger image ``/api/sim/finger`` presents for ``seed`` (``impression``:
    another impression of the same finger)."""
    from ..synth.fingerprints import generate_master, make_impression

    return make_impression(generate_master(1000 + seed),
                           seed=seed if impression is None else impression,
                           style=style).image


def card_block(records: list[Any]) -> bytes:
    """A card's fingerprint block from the ``fingerprints`` of a card request."""
    from ..devices.finger_algorithm import fit_window
    from ..errors import ConfigError
    from ..sim.idfpr import HEIGHT, WIDTH, extract_record
    from ..sim.sam.cards import card_fingerprint

    if not isinstance(records, list) or len(records) > 2:
        raise ConfigError(N_("fingerprints: a list of at most 2 records"))
    out = b""
    for i, entry in enumerate(records):
        if not isinstance(entry, dict):
            raise ConfigError(N_("fingerprint record {index}: an object").format(index=i))
        if "synthetic" in entry:
            n = int(entry["synthetic"])
            image = fit_window(sim_finger(n, impression=n + 7000), (HEIGHT, WIDTH))
            rec = extract_record(image, int(entry["finger"]))
            if rec is None:
                raise ConfigError(N_("fingerprint record {index}: no usable template").format(
                    index=i))
            out += rec
        else:
            out += card_fingerprint(entry, i)
    return out


def sim_routes(runtime: Callable[[], StationRuntime]) -> list[Route]:
    """The routes (see the module docstring)."""
    from ..sim.camera.driver import SimCamera
    from ..sim.finger.driver import SimFingerprintSensor
    from ..sim.sam.driver import SimIdReader

    async def data(request: Request) -> dict[str, Any]:
        return await read_json_object(request)

    async def card(request: Request) -> Response:
        reader = runtime().device("reader")
        if not isinstance(reader, SimIdReader):
            return refusal(request, N_("the reader is not a simulator"), 409)
        d = await data(request)
        if d.get("remove"):
            reader.remove_card()
            return JSONResponse({"ok": True})
        try:
            doc = document_from_json(d.get("document") or {})
            if (d.get("document") or {}).get("photo") == "demo":
                photo = await run_in_threadpool(demo_card_photo)
                doc.photo = doc.add_blob(photo, "image/bmp", *CHIP_PHOTO_SIZE)
            prints = (d.get("document") or {}).get("fingerprints") or []
            if prints:
                block = await run_in_threadpool(card_block, prints)
                doc.raw_blocks["fingerprint"] = doc.add_blob(block, "application/octet-stream")
        except (KeyError, ValueError, TypeError, IdCaptureError) as exc:
            return refusal(request, N_("bad document: {error}").format(
                error=exc.__class__.__name__), 400)
        reader.remove_card()
        await run_in_threadpool(_settle, reader)
        reader.place_card(doc)
        return JSONResponse({"ok": True})

    async def finger(request: Request) -> Response:
        sensor = runtime().device("sensor")
        if not isinstance(sensor, SimFingerprintSensor):
            return refusal(request, N_("the sensor is not a simulator"), 409)
        d = await data(request)
        seed = d.get("seed", 0)
        if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 1 << 31:
            return refusal(request, N_("seed must be a whole number from 0 to 2^31-1"), 400)
        style = str(d.get("style", "good"))

        def make() -> Any:
            return sim_finger(seed, style)

        try:
            image = await run_in_threadpool(make)
        except (ValueError, KeyError) as exc:
            return refusal(request, N_("bad finger request: {error}").format(error=exc), 400)
        sensor.queue_outcome(image)
        return JSONResponse({"ok": True})

    async def unplug(request: Request) -> Response:
        d = await data(request)
        role = str(d.get("role", ""))
        dev = runtime().device(role) if role in ("reader", "camera", "sensor") else None
        if not isinstance(dev, (SimIdReader, SimCamera, SimFingerprintSensor)):
            return refusal(request, N_("no simulated device in that role"), 409)
        if d.get("toggle"):
            unplugged = not bool(getattr(dev, "_unplugged", False))
        else:
            unplugged = bool(d.get("unplugged", True))
        dev.unplug(unplugged)
        return JSONResponse({"ok": True, "role": role, "unplugged": unplugged})

    async def next_card(request: Request) -> Response:
        reader = runtime().device("reader")
        if not isinstance(reader, SimIdReader):
            return refusal(request, N_("the reader is not a simulator"), 409)
        d = await data(request)
        store = runtime().store
        if d.get("on_roster", True):
            row = await run_in_threadpool(next_student, store)
            if row is None:
                return refusal(request, N_("every registered student has a record"), 409)
        else:
            row = await run_in_threadpool(stranger, store)
        doc = document_from_json(row)
        photo = await run_in_threadpool(demo_card_photo)
        doc.photo = doc.add_blob(photo, "image/bmp", *CHIP_PHOTO_SIZE)
        reader.remove_card()
        await run_in_threadpool(_settle, reader)
        reader.place_card(doc)
        return JSONResponse({"ok": True, "name": mask_name(doc.name),
                             "id_number": mask_id_number(doc.id_number),
                             "on_roster": bool(d.get("on_roster", True))})

    return [Route("/api/sim/card", card, methods=["POST"]),
            Route("/api/sim/next-card", next_card, methods=["POST"]),
            Route("/api/sim/finger", finger, methods=["POST"]),
            Route("/api/sim/unplug", unplug, methods=["POST"])]


def _settle(reader: Any) -> None:
    """Let the reader see the empty slot, so the next card counts as a new placement."""
    import time

    for _ in range(3):
        try:
            reader.card_present()
        except Exception:
            pass
        time.sleep(0.02)
