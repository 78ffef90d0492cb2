"""The store's blob files and transactions when things go wrong: a blob missing or
altered on disk, a transaction that fails half-way, blobs left behind by a crash."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from station_helpers import capture_and_save, enrol

from idcapture.errors import RecordError
from idcapture.station import Store


def test_blob_round_trip_and_a_missing_or_altered_file(store: Store) -> None:
    data = b"\x89PNG not really" * 50
    sha = store.put_blob(data)
    assert sha == hashlib.sha256(data).hexdigest()
    assert store.put_blob(data) == sha and store.has_blob(sha)  # stored once
    assert store.read_blob(sha) == data
    store.blob_path(sha).write_bytes(data[:-1] + b"!")  # one byte changed on disk
    with pytest.raises(RecordError, match="does not match") as altered:
        store.read_blob(sha)
    store.blob_path(sha).unlink()
    assert not store.has_blob(sha)
    with pytest.raises(RecordError, match="missing") as missing:
        store.read_blob(sha)
    for err in (altered, missing):  # the error names the blob by a prefix of its hash
        assert sha[:12] in str(err.value) and sha not in str(err.value)


def test_a_saved_record_whose_image_is_gone_says_so(store: Store,
                                                   students: list[dict[str, str]],
                                                   tmp_path: Path) -> None:
    enrol(store, students[:2], tmp_path)
    capture_and_save(store, students[0])
    saved = store.current_record(students[0]["id_number"])
    assert saved is not None
    rec = saved.record(store)
    refs = list(rec.refs())
    assert refs and all(rec.blobs[r.sha256] for r in refs)  # every image read back
    store.blob_path(refs[0].sha256).unlink()
    with pytest.raises(RecordError, match="missing"):
        saved.record(store)
    assert saved.record().refs()  # without the store, the record itself still reads


def test_a_failed_batch_leaves_nothing_behind(store: Store) -> None:
    store.set_setting("station_name", "hall A")
    with pytest.raises(RuntimeError), store.batch():
        store.set_setting("station_name", "hall B")
        store.audit("op1", "rename", "station", "hall B")
        raise RuntimeError("power cut")
    assert store.setting("station_name") == "hall A"
    assert not store.audit_log("rename")
    store.set_setting("station_name", "hall C")  # and the store still takes writes
    assert store.setting("station_name") == "hall C"


def test_blobs_no_record_references_are_orphans(store: Store,
                                               students: list[dict[str, str]],
                                               tmp_path: Path) -> None:
    enrol(store, students[:2], tmp_path)
    capture_and_save(store, students[0])
    assert store.orphan_blobs() == []
    left = store.put_blob(b"written, then the station crashed before the record")
    assert store.orphan_blobs() == [left]
    saved = store.current_record(students[0]["id_number"])
    assert saved is not None
    assert not {r.sha256 for r in saved.record().refs()} & set(store.orphan_blobs())
