"""What encryption at rest costs the station: the capture loop, the export, opening.

Two stores with the same roster, one clear and one encrypted (``Store.create(...,
passphrase=...)``), measured in the same run on the same inputs:

* **capture**: whole capture sessions through the station's default steps (the
  library's portrait maker on the simulated camera's demo face, finger quality gate,
  minutiae duplicate check) with two synthetic 500 ppi thumbs per student; clear and
  encrypted sessions alternate, so machine noise falls on both alike;
* **store part of a capture**: the same records saved again with only the store's
  work (blob writes, session and record rows), which is where encryption acts;
* **export**: the whole export package of the captured records from each store (store
  part and export alternate which store goes first, median of 5);
* **the cipher alone**: AES-GCM sealing and opening of the same images, without I/O;
* **open**: opening the store (the encrypted one derives its key with scrypt, once per
  process; later openings reuse it) and migrating a clear store in place.

    python benchmarks/bench_store_encryption.py [--students 30]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

import idcapture
from idcapture.formats.images import encode_png
from idcapture.formats.roster import write_roster
from idcapture.record import CaptureRecord, DocumentKind, IdentityDocument, Sex
from idcapture.station import StationConfig, Store, import_roster, register_students, store_crypto
from idcapture.station import store as store_module
from idcapture.station.export import export_package
from idcapture.station.session import (
    CaptureSession,
    CardPresented,
    FingerPresented,
    FramePresented,
    Save,
    SessionState,
)
from idcapture.station.steps import Steps
from idcapture.synth.fingerprints import generate_master, make_impression
from idcapture.synth.students import sample_students

PASSPHRASE = "bench passphrase"
ROUNDS = 5


def card(row: dict[str, str]) -> IdentityDocument:
    """The card a roster row's student carries."""
    import datetime as _dt

    n = row["id_number"]
    return IdentityDocument(
        kind=DocumentKind.RESIDENT_ID, id_number=n, name=row["name"],
        sex=Sex.MALE if row["sex"] == "男" else Sex.FEMALE, ethnicity=row.get("ethnicity"),
        birth_date=_dt.date(int(n[6:10]), int(n[10:12]), int(n[12:14])),
        address="广东省广州市天河区某路1号", issuing_authority="广州市公安局天河分局",
        valid_from=_dt.date(2022, 1, 1), valid_until=_dt.date(2032, 1, 1))


def capture(store: Store, row: dict[str, str], frame: np.ndarray,
            thumbs: tuple[np.ndarray, np.ndarray]) -> float:
    """One whole session; returns its seconds."""
    t = time.perf_counter()
    s = CaptureSession.start(store, "bench", Steps())
    s.handle(CardPresented(card(row)))
    s.handle(FramePresented(frame))
    for img in thumbs:
        prompt = s.prompt()
        s.handle(FingerPresented(img, keep_below_quality="keep" in prompt.expects))
        if s.state in (SessionState.RIGHT_THUMB, SessionState.LEFT_THUMB) and \
                "keep" in s.prompt().expects:
            s.handle(FingerPresented(img, keep_below_quality=True))
    assert s.state is SessionState.REVIEW, (s.state, s.prompt().message)
    s.handle(Save())
    return time.perf_counter() - t


def make_store(root: Path, name: str, rows: list[dict[str, str]], roster: Path,
               passphrase: str | None) -> Store:
    cfg = StationConfig(region="440106", year=2025)
    store = Store.create(root / name, {"config": cfg.to_json()}, passphrase=passphrase)
    import_roster(store, roster)
    register_students(store)
    return store


def resave(store: Store, records: list[tuple[CaptureRecord, str]]) -> float:
    """Seconds to save ``records`` again with their image files written afresh (store
    work only: blob files, record rows)."""
    for rec, _ in records:
        for sha in rec.blobs:
            store.blob_path(sha).unlink(missing_ok=True)
    t = time.perf_counter()
    for rec, id_number in records:
        store.save_record(rec, id_number)
    return time.perf_counter() - t


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, default=30)
    args = ap.parse_args()
    n = args.students
    cam = idcapture.open_camera("sim:camera?fps=0&photo=demo")
    frame = cam.read_frame(timeout=5.0).image
    cam.close()
    thumbs = [(make_impression(generate_master(500 + 2 * i), seed=1).image,
               make_impression(generate_master(501 + 2 * i), seed=1).image) for i in range(n)]
    print(f"thumb PNG size {len(encode_png(thumbs[0][0], ppi=500)) / 1e3:.0f} KB, "
          f"{n} students per store")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        rows = sample_students(n, seed=3)
        roster = write_roster(root / "roster.xlsx", rows)
        t = time.perf_counter()
        clear = make_store(root, "clear", rows, roster, None)
        t_clear_make = time.perf_counter() - t
        t = time.perf_counter()
        enc = make_store(root, "enc", rows, roster, PASSPHRASE)
        t_enc_make = time.perf_counter() - t
        print(f"create + import + register: clear {t_clear_make:.2f} s, encrypted "
              f"{t_enc_make:.2f} s (includes one scrypt key derivation)")

        capture(clear, rows[0], frame, thumbs[0])  # warm-up (models, caches), discarded
        times: dict[str, list[float]] = {"clear": [], "encrypted": []}
        enc_first = capture(enc, rows[0], frame, thumbs[0])
        for i in range(1, n):
            order = [("clear", clear), ("encrypted", enc)]
            for label, store in order if i % 2 else order[::-1]:
                times[label].append(capture(store, rows[i], frame, thumbs[i]))
        c_ms = statistics.median(times["clear"]) * 1e3
        e_ms = statistics.median(times["encrypted"]) * 1e3
        print(f"capture session (median of {n - 1}): clear {c_ms:.0f} ms, encrypted "
              f"{e_ms:.0f} ms, ratio {e_ms / c_ms:.3f} ({e_ms - c_ms:+.1f} ms); first "
              f"encrypted session {enc_first * 1e3:.0f} ms")

        saved = {label: [(sr.record(store), sr.id_number) for sr in store.current_records()]
                 for label, store in (("clear", clear), ("encrypted", enc))}
        sv: dict[str, list[float]] = {"clear": [], "encrypted": []}
        ex: dict[str, list[float]] = {"clear": [], "encrypted": []}
        pair = [("clear", clear), ("encrypted", enc)]
        for k in range(ROUNDS):  # alternating which goes first
            for label, store in pair if k % 2 else pair[::-1]:
                sv[label].append(resave(store, saved[label]) / n * 1e3)
                t = time.perf_counter()
                rep = export_package(store, root / f"{label}{k}.zip", force=True)
                ex[label].append(time.perf_counter() - t)
                assert rep.exported == n, rep.exported
        t_c, t_e = statistics.median(sv["clear"]), statistics.median(sv["encrypted"])
        print(f"store part of a capture (save a record, write and fsync its 3 image files; "
              f"median of {ROUNDS}): clear {t_c:.2f} ms, encrypted {t_e:.2f} ms per record, "
              f"ratio {t_e / t_c:.2f}")
        ec, ee = statistics.median(ex["clear"]), statistics.median(ex["encrypted"])
        print(f"export of {n} records (median of {ROUNDS}): clear {ec * 1e3:.0f} ms, "
              f"encrypted store {ee * 1e3:.0f} ms, ratio {ee / ec:.2f}")
        blobs = [b for rec, _ in saved["clear"] for b in rec.blobs.items()]
        size = sum(len(b) for _, b in blobs)
        cipher = store_crypto.StoreCipher(bytes(32))
        t = time.perf_counter()
        for sha, data in blobs:
            plain = cipher.open_blob(cipher.seal_blob(data, sha), sha)
        dt = time.perf_counter() - t
        assert plain == blobs[-1][1]
        print(f"the cipher alone: {size / 1e6:.1f} MB of images sealed and opened in "
              f"{dt * 1e3:.0f} ms ({2 * size / 1e6 / dt:.0f} MB/s; {dt / n * 1e3:.2f} ms per "
              "record)")
        clear.close()
        enc.close()

        t = time.perf_counter()
        Store.open(root / "clear").close()
        t_open_clear = time.perf_counter() - t
        store_module._UNLOCKED.clear()  # as in a new process
        store_crypto._kek.cache_clear()
        t = time.perf_counter()
        Store.open(root / "enc", passphrase=PASSPHRASE).close()
        t_open_enc = time.perf_counter() - t
        t = time.perf_counter()
        Store.open(root / "enc").close()
        t_reopen = time.perf_counter() - t
        print(f"open: clear {t_open_clear * 1e3:.1f} ms, encrypted first in a process "
              f"{t_open_enc * 1e3:.1f} ms (scrypt), again {t_reopen * 1e3:.1f} ms")
        t = time.perf_counter()
        with Store.open(root / "clear", writer=True) as store:
            files = store.encrypt(PASSPHRASE)
        print(f"migrate the clear store in place: {time.perf_counter() - t:.2f} s "
              f"({n} records, {files} blob files)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
