"""The export package is streamed: one pass, images stored as they are, encrypted on the
way, in the same ZIP and container layout as a package written to a file and encrypted
afterwards (read here by code written from the documented layout, not by the module's)."""

from __future__ import annotations

import hashlib
import io
import os
import struct
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from station_helpers import capture_and_save, enrol

from idcapture.errors import RecordError
from idcapture.station import Store
from idcapture.station.export import (
    ENCRYPTED_MAGIC,
    decrypt_package,
    encrypt_package,
    export_package,
    verify_package,
)
from idcapture.station.export_sink import PackageSink

SEGMENT = 1 << 20
HEADER = len(ENCRYPTED_MAGIC) + 16 + 3 + 7


def _key(passphrase: str, header: bytes) -> AESGCM:
    salt = header[len(ENCRYPTED_MAGIC):len(ENCRYPTED_MAGIC) + 16]
    log_n, r, p = header[len(ENCRYPTED_MAGIC) + 16:len(ENCRYPTED_MAGIC) + 19]
    return AESGCM(Scrypt(salt=salt, length=32, n=1 << log_n, r=r, p=p).derive(
        passphrase.encode()))


def _reference_open(data: bytes, passphrase: str, segment: int = SEGMENT) -> bytes:
    """The documented layout: header, then segments of ``segment`` bytes + 16-byte tag,
    nonce = prefix (7) | index (4, big-endian) | last (1), the header as associated data."""
    header, body = data[:HEADER], data[HEADER:]
    aead = _key(passphrase, header)
    prefix = header[-7:]
    blocks = [body[i:i + segment + 16] for i in range(0, len(body), segment + 16)] or [b""]
    return b"".join(
        aead.decrypt(prefix + struct.pack(">I", i) + bytes([i == len(blocks) - 1]), b, header)
        for i, b in enumerate(blocks))


def _reference_seal(plain: bytes, passphrase: str) -> bytes:
    salt, prefix = os.urandom(16), os.urandom(7)
    header = ENCRYPTED_MAGIC + salt + bytes((15, 8, 1)) + prefix
    aead = _key(passphrase, header)
    chunks = [plain[i:i + SEGMENT] for i in range(0, len(plain), SEGMENT)] or [b""]
    return header + b"".join(
        aead.encrypt(prefix + struct.pack(">I", i) + bytes([i == len(chunks) - 1]), c, header)
        for i, c in enumerate(chunks))


@pytest.mark.parametrize("size", [0, 1, SEGMENT - 1, SEGMENT, SEGMENT + 1, 2 * SEGMENT])
def test_encrypted_container_reads_both_ways(tmp_path: Path, size: int) -> None:
    plain = os.urandom(size)
    (tmp_path / "p").write_bytes(plain)
    encrypt_package(tmp_path / "p", tmp_path / "c", "pw")
    sealed = (tmp_path / "c").read_bytes()
    assert len(sealed) == HEADER + max(1, -(-size // SEGMENT)) * 16 + size
    assert _reference_open(sealed, "pw") == plain
    (tmp_path / "old").write_bytes(_reference_seal(plain, "pw"))
    out = io.BytesIO()
    decrypt_package(tmp_path / "old", out, "pw")
    assert out.getvalue() == plain


def _raw_local_headers(data: bytes, infos: list[zipfile.ZipInfo]) -> list[tuple[int, int]]:
    """(flags, CRC-32) of each member's local header as it is in the file."""
    out = []
    for info in infos:
        sig, _ver, flags, _meth, _t, _d, crc = struct.unpack_from(
            "<IHHHHHI", data, info.header_offset)
        assert sig == 0x04034B50
        out.append((flags, crc))
    return out


@pytest.fixture
def captured(store: Store, students: list[dict[str, str]], tmp_path: Path) -> Store:
    enrol(store, students[:3], tmp_path)
    for i, row in enumerate(students[:3]):
        capture_and_save(store, row, (40 + 2 * i, 41 + 2 * i))
    return store


def test_streamed_package_is_a_plain_zip_with_images_stored(captured: Store,
                                                             tmp_path: Path) -> None:
    plain = export_package(captured, tmp_path / "p.zip")
    assert plain.exported == 3
    data = plain.package.read_bytes()
    with zipfile.ZipFile(plain.package) as zf:
        infos = zf.infolist()
        for info, (flags, crc) in zip(infos, _raw_local_headers(data, infos), strict=True):
            assert flags & 0x08 == 0, info.filename  # sizes and CRC in the header itself
            assert crc == info.CRC == zipfile.crc32(zf.read(info)) & 0xFFFFFFFF
            if info.filename.endswith((".jpg", ".png")):
                assert info.compress_type == zipfile.ZIP_STORED
                sha = hashlib.sha256(zf.read(info)).hexdigest()
                assert captured.read_blob(sha) == zf.read(info)
        names = [i.filename for i in infos]
    assert names[-3:] == ["export.xlsx", "export-report.json", "manifest.json"]
    enc = export_package(captured, tmp_path / "p.zip.enc", passphrase="pw")
    inner = _reference_open(enc.package.read_bytes(), "pw")
    with zipfile.ZipFile(io.BytesIO(inner)) as zf:
        assert [i.filename for i in zf.infolist()] == names
        assert zf.testzip() is None
    assert verify_package(enc.package, "pw").ok and verify_package(plain.package).ok


def test_a_missing_blob_stops_the_export_and_leaves_nothing(captured: Store,
                                                            tmp_path: Path) -> None:
    rec = next(captured.current_records())
    captured.blob_path(rec.body["fingers"][0]["image"]["sha256"]).unlink()
    out = tmp_path / "out"
    for name, passphrase in (("p.zip", None), ("p.zip.enc", "pw")):
        with pytest.raises(RecordError, match="missing"):
            export_package(captured, out / name, passphrase=passphrase)
    assert list(out.iterdir()) == []


def test_the_sink_rewrites_only_the_member_it_still_holds(tmp_path: Path) -> None:
    fd = os.open(tmp_path / "f", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        sink = PackageSink(fd, segment=8)
        sink.write(b"HEAD")
        sink.write(b"0123456789")
        assert sink.seek(0) == 0
        sink.write(b"head")  # the header rewrite zipfile does
        with pytest.raises(io.UnsupportedOperation):
            sink.write(b"0123")  # not a whole piece held
        sink.seek(0, io.SEEK_END)  # back at the end: 14 bytes handed to the writer
        with pytest.raises(io.UnsupportedOperation):
            sink.seek(2)
        sink.write(b"tail")
        sink.close()
    finally:
        os.close(fd)
    assert (tmp_path / "f").read_bytes() == b"head0123456789tail"


def test_a_write_error_reaches_the_caller(tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"")
    fd = os.open(tmp_path / "f", os.O_RDONLY)
    try:
        sink = PackageSink(fd, segment=4)
        sink.write(b"12345678")
        sink.seek(0, io.SEEK_END)
        with pytest.raises(OSError):
            sink.close()
    finally:
        os.close(fd)
