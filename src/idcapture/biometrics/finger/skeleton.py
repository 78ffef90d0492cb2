"""Thinning (Guo-Hall, table-driven) and crossing numbers on binary ridge maps."""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["CN_TABLE", "NEIGHBOUR_OFFSETS", "crossing_number", "neighbour_code", "thin",
           "thin_with_codes"]

# Ring order P2..P9 = N, NE, E, SE, S, SW, W, NW; bit i of the neighbour code is ring[i].
NEIGHBOUR_OFFSETS: tuple[tuple[int, int], ...] = (
    (-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1))
_KERNEL = np.zeros((3, 3), np.float32)
for _i, (_dy, _dx) in enumerate(NEIGHBOUR_OFFSETS):
    _KERNEL[_dy + 1, _dx + 1] = float(1 << _i)


def _bits(code: int) -> list[int]:
    return [(code >> i) & 1 for i in range(8)]


def _guo_hall_tables() -> tuple[np.ndarray, np.ndarray]:
    t1 = np.zeros(256, bool)
    t2 = np.zeros(256, bool)
    for code in range(256):
        p2, p3, p4, p5, p6, p7, p8, p9 = _bits(code)
        c = ((not p2) and (p3 or p4)) + ((not p4) and (p5 or p6)) + \
            ((not p6) and (p7 or p8)) + ((not p8) and (p9 or p2))
        n1 = (p9 or p2) + (p3 or p4) + (p5 or p6) + (p7 or p8)
        n2 = (p2 or p3) + (p4 or p5) + (p6 or p7) + (p8 or p9)
        n = min(n1, n2)
        m1 = (p6 or p7 or not p9) and p8
        m2 = (p2 or p3 or not p5) and p4
        if c == 1 and 2 <= n <= 3:
            t1[code] = not m1
            t2[code] = not m2
    return t1, t2


_DEL1, _DEL2 = _guo_hall_tables()
_CN = np.array([sum(abs(b[i] - b[(i + 1) % 8]) for i in range(8)) // 2
                for b in (_bits(c) for c in range(256))], np.uint8)
CN_TABLE = _CN
"""Crossing number of each 8-bit neighbour code."""


def neighbour_code(binary: np.ndarray) -> np.ndarray:
    """8-bit code of each pixel's set neighbours (bit i = :data:`NEIGHBOUR_OFFSETS` [i])."""
    src = np.ascontiguousarray(binary, dtype=np.uint8)
    if src.size and int(src.max()) > 1:
        src = (src > 0).astype(np.uint8)
    # the weights sum to 255, so the 8-bit result is exact
    out: np.ndarray = cv2.filter2D(src, cv2.CV_8U, _KERNEL, borderType=cv2.BORDER_CONSTANT)
    return out


_LUT1 = _DEL1.astype(np.uint8)
_LUT2 = _DEL2.astype(np.uint8)


def thin(binary: np.ndarray, max_iter: int = 30) -> np.ndarray:
    """One-pixel-wide 8-connected skeleton of a boolean ridge map (Guo-Hall)."""
    skel, _ = thin_with_codes(binary, max_iter)
    out: np.ndarray = skel.view(bool)
    return out


_SPARSE_BELOW = 3000
"""Once two successive sub-iterations delete fewer pixels than this together, thinning
goes on over the neighbours of the deleted pixels only."""
_WEIGHTS = np.array([1 << i for i in range(8)], np.int32)
_ONE, _TOP = np.uint64(1), np.uint64(63)


def _pack_rows(img: np.ndarray) -> np.ndarray:
    """0/1 ``img`` as rows of 64-pixel words (pixel ``x`` is bit ``x % 64`` of word
    ``x // 64``; the columns are padded with zeros to a multiple of 64)."""
    h, w = img.shape
    wide = np.zeros((h, -(-w // 64) * 64), np.uint8)
    wide[:, :w] = img
    packed = np.packbits(wide, axis=1, bitorder="little")
    out: np.ndarray = packed.view("<u8").astype(np.uint64)
    return out


def _unpack_rows(words: np.ndarray, width: int) -> np.ndarray:
    """Inverse of :func:`_pack_rows`: 0/1 uint8 pixels, ``width`` columns."""
    octets = np.ascontiguousarray(words.astype("<u8")).view(np.uint8)
    out: np.ndarray = np.unpackbits(octets, axis=1, bitorder="little")[:, :width]
    return out


def _set_pixels(hit: np.ndarray, width: int) -> np.ndarray:
    """Flat indices, in an image ``width`` pixels wide with one empty row above, of the
    set pixels of packed inner rows ``hit`` (the work grows with the words that hold any)."""
    words = np.flatnonzero(hit)
    octets = np.ascontiguousarray(hit.reshape(-1)[words].astype("<u8")).view(np.uint8)
    # (numpy finds the set entries of a boolean array several times quicker than of uint8)
    bits = np.unpackbits(octets, bitorder="little").view(bool)
    word, bit = np.divmod(np.flatnonzero(bits), 64)
    at = words[word]
    row, col = np.divmod(at, hit.shape[1])
    out: np.ndarray = (row + 1) * width + col * 64 + bit
    return out


def _east(p: np.ndarray) -> np.ndarray:
    """Packed rows whose pixel ``x`` is ``p``'s pixel ``x + 1``."""
    out: np.ndarray = p >> _ONE
    out[:, :-1] |= p[:, 1:] << _TOP
    return out


def _west(p: np.ndarray) -> np.ndarray:
    """Packed rows whose pixel ``x`` is ``p``'s pixel ``x - 1``."""
    out: np.ndarray = p << _ONE
    out[:, 1:] |= p[:, :-1] >> _TOP
    return out


def _at_least_two(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray) -> np.ndarray:
    out: np.ndarray = (a & b) | (c & d) | ((a | b) & (c | d))
    return out


def _packed_sub_iteration(rows: np.ndarray, which: int) -> np.ndarray:
    """One Guo-Hall sub-iteration on packed rows (first and last row empty), in place;
    returns the deleted pixels (packed, the inner rows).

    The same verdicts as the look-up tables :data:`_DEL1` / :data:`_DEL2`, written as
    bitwise logic on 64 pixels at a time: a pixel goes when it is set, exactly one of its
    four neighbour pairs turns from background to ridge (``C = 1``), its neighbours form
    two or three groups either way (``2 <= N <= 3``) and the sub-iteration's side
    condition does not hold."""
    east, west = _east(rows), _west(rows)
    mid = rows[1:-1]
    p2, p3, p4, p5, p6 = rows[:-2], east[:-2], east[1:-1], east[2:], rows[2:]  # N .. S
    p7, p8, p9 = west[2:], west[1:-1], west[:-2]         # SW, W, NW
    q1, q2, q3, q4 = p9 | p2, p3 | p4, p5 | p6, p7 | p8
    a, b, c, d = q2 & ~p2, q3 & ~p4, q4 & ~p6, q1 & ~p8
    # the side condition first: where it holds, nothing else needs to be known
    side = (p6 | p7 | ~p9) & p8 if which == 0 else (p2 | p3 | ~p5) & p4
    hit: np.ndarray = mid & ~side
    # exactly one background-to-ridge turn (C = 1)
    hit &= a | b | c | d
    hit &= ~_at_least_two(a, b, c, d)
    r1, r2, r3, r4 = p2 | p3, p4 | p5, p6 | p7, p8 | p9
    # two or three neighbour groups either way (2 <= N <= 3)
    hit &= _at_least_two(q1, q2, q3, q4)
    hit &= _at_least_two(r1, r2, r3, r4)
    q1 &= q2
    q1 &= q3
    q1 &= q4
    r1 &= r2
    r1 &= r3
    r1 &= r4
    q1 &= r1
    hit &= ~q1
    mid &= ~hit
    return hit


def _thin_packed(img: np.ndarray, max_steps: int, sparse_below: int
                 ) -> tuple[int, list[int], list[np.ndarray | None]]:
    """The first Guo-Hall sub-iterations of ``img`` (0/1, empty outer frame; thinned in
    place) on packed rows, until two successive sub-iterations touch fewer than
    ``sparse_below`` pixels between them or nothing is deleted twice running. Returns the
    number of sub-iterations run, a count per sub-iteration (1 for "some") and the flat
    indices of the last deletions (None where not taken), as the sparse tail of
    :func:`thin_with_codes` reads them."""
    w = img.shape[1]
    rows = _pack_rows(img)
    counts: list[int] = []
    deleted: list[np.ndarray | None] = []
    step = 0
    while step < max_steps:
        hit = _packed_sub_iteration(rows, step % 2)
        step += 1
        n = int(np.count_nonzero(hit))                    # words with deletions
        idx: np.ndarray | None = None
        if n < sparse_below // 2:
            # few words hold deletions: list them (flat indices in ``img``)
            gone = _set_pixels(hit, w)
            n = int(gone.size)
            if n < sparse_below // 2 or n + (counts[-1] if counts else sparse_below) \
                    < sparse_below:
                idx = gone
        counts.append(n)
        deleted.append(idx)
        if n == 0 and len(counts) >= 2 and counts[-2] == 0:
            break
        if len(deleted) >= 2 and deleted[-1] is not None and deleted[-2] is not None:
            break                                         # the sparse tail takes over
    img[:] = _unpack_rows(rows, w)
    return step, counts, deleted


def thin_with_codes(binary: np.ndarray, max_iter: int = 30,
                    sparse_below: int = _SPARSE_BELOW, *,
                    packed: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Guo-Hall skeleton (uint8 0/1) and the :func:`neighbour_code` of every pixel of it.

    The first sub-iterations, which remove most of the ridge width, run on the ridge map
    packed 64 pixels to a machine word (:func:`_packed_sub_iteration`, the look-up
    tables' rule as bitwise logic), limited to the bounding box of the ridge pixels; with
    ``packed`` off each is a 3x3 neighbour-code filter, a table look-up and a subtraction
    on 8-bit images. Once few pixels go, only the neighbours of the pixels deleted in the
    last two sub-iterations can change their verdict (a pixel's verdict under one table
    depends on its 3x3 neighbourhood only), so the last sub-iterations look at those alone
    (``sparse_below``: see :data:`_SPARSE_BELOW`; 0 keeps every sub-iteration dense). The
    result is the same skeleton either way.
    """
    src = np.ascontiguousarray(binary, dtype=np.uint8)
    full = np.zeros(src.shape, np.uint8)
    codes = np.zeros(src.shape, np.uint8)
    inner = np.ascontiguousarray(src[1:-1, 1:-1])
    bx, by, bw, bh = cv2.boundingRect(inner) if inner.size else (0, 0, 0, 0)
    if bw == 0 or bh == 0:
        return full, codes
    y0, y1, x0, x1 = by, by + bh + 2, bx, bx + bw + 2
    img = np.zeros((y1 - y0, x1 - x0), np.uint8)
    img[1:-1, 1:-1] = src[y0 + 1:y1 - 1, x0 + 1:x1 - 1] != 0
    # one set of work buffers for every pass (fresh large arrays cost page faults)
    code = np.empty_like(img)
    hit = np.empty_like(img)
    luts = (_LUT1, _LUT2)
    tables = (_DEL1, _DEL2)
    width = img.shape[1]
    flat = img.reshape(-1)
    ring = np.array([dy * width + dx for dy, dx in NEIGHBOUR_OFFSETS], np.int64)
    around = np.concatenate([ring, [0]])
    first, counts, deleted = _thin_packed(img, 2 * max_iter, sparse_below) if packed \
        else (0, [], [])
    done = len(counts) >= 2 and counts[-1] == 0 and counts[-2] == 0
    codes_current = False
    for step in range(first, first if done else 2 * max_iter):
        which = step % 2
        recent = [d for d in deleted[-2:] if d is not None]
        if len(recent) == 2:
            # sparse sub-iteration: re-judge only pixels next to the last deletions
            # (a pixel listed twice gets the same verdict twice: no need to de-duplicate)
            cand = (np.concatenate(recent)[:, None] + around).ravel()
            cand = cand[flat[cand] != 0]
            nb = flat[cand[:, None] + ring].astype(np.int32)
            # (de-duplicated here, so the lists cannot grow from one sub-iteration to the next)
            gone = np.unique(cand[tables[which][nb @ _WEIGHTS]])
            flat[gone] = 0
            counts.append(int(gone.size))
            # many deletions again (unusual): back to dense sub-iterations
            deleted.append(gone if gone.size < sparse_below else None)
            codes_current = False
        else:
            cv2.filter2D(img, cv2.CV_8U, _KERNEL, dst=code, borderType=cv2.BORDER_CONSTANT)
            cv2.LUT(code, luts[which], dst=hit)
            cv2.bitwise_and(hit, img, dst=hit)
            n = cv2.countNonZero(hit)
            codes_current = n == 0
            idx: np.ndarray | None = None
            if n:
                cv2.subtract(img, hit, dst=img)
                if n + (counts[-1] if counts else sparse_below) < sparse_below or \
                        n < sparse_below // 2:
                    pts = cv2.findNonZero(hit).reshape(-1, 2).astype(np.int64)
                    idx = pts[:, 1] * width + pts[:, 0]
            else:
                idx = np.zeros(0, np.int64)
            counts.append(n)
            deleted.append(idx)
        if len(counts) >= 2 and counts[-1] == 0 and counts[-2] == 0:
            break
    if not codes_current:
        cv2.filter2D(img, cv2.CV_8U, _KERNEL, dst=code, borderType=cv2.BORDER_CONSTANT)
    full[y0:y1, x0:x1] = img
    codes[y0:y1, x0:x1] = code
    return full, codes


def crossing_number(skeleton: np.ndarray) -> np.ndarray:
    """Crossing number per skeleton pixel (0 elsewhere): 1 = ending, 3+ = bifurcation."""
    code = neighbour_code(skeleton)
    out: np.ndarray = np.where(skeleton, _CN[code], 0).astype(np.uint8)
    return out
