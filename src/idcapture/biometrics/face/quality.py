"""Quality measures of a face in a frame, under a portrait profile.

Every measure is a :class:`~idcapture.record.Measure` with its raw value (and unit), a
0-100 score and a pass/fail verdict against the profile's threshold. Names follow the
ISO/IEC 29794-5 quality components where one fits. Scores are logistic in the raw value
and are **50 at the profile threshold** (above 50 passes), so the same score reads the
same way under every profile; for a two-sided window the recorded ``threshold`` is the
bound nearer to the value.

Face-region measures are taken on a copy of the face resampled to a fixed inter-eye
distance (:data:`REF_IED` px), so that sharpness and the histogram measures do not
depend on how large the face is in the frame.

Why this module is long: it holds every face measure of one profile check side by side
(one scoring rule, one resampled face region), so that a reader compares them in one place.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np
import numpy.typing as npt

from ...errors import RetryReason
from ...record import Measure, QualityReport
from .analysis import FaceAnalysis
from .frames import Image, check_bgr, to_gray
from .framing import FramingBox, framing_box
from .landmarks import PITCH_UNCERTAINTY_DEG, Landmarks
from .profiles import CHIN_PER_IED, CROWN_PER_IED, FACE_WIDTH_PER_IED, Profile, get_profile

__all__ = [
    "MEASURE_ORDER",
    "REF_IED",
    "Advice",
    "FacePatch",
    "FaceQuality",
    "assess_quality",
    "blockiness",
    "blur_isotropy",
    "eye_openings",
    "face_patch",
    "mouth_opening",
]

#: Inter-eye distance (px) at which face-region measures are taken.
REF_IED = 48.0

# names (ISO/IEC 29794-5 component names where one fits)
SINGLE_FACE = "SingleFacePresent"
IED = "InterEyeDistance"
HEAD_SIZE = "HeadSize"
H_POS = "HorizontalPosition"
V_POS = "VerticalPosition"
YAW = "HeadPoseYaw"
PITCH = "HeadPosePitch"
ROLL = "HeadPoseRoll"
MOTION = "HeadMotion"
LUM_MEAN = "LuminanceMean"
UNDER = "UnderExposurePrevention"
OVER = "OverExposurePrevention"
ILLUM = "IlluminationUniformity"
DYN_RANGE = "DynamicRange"
SHARP = "Sharpness"
MOTION_BLUR = "MotionBlurPrevention"
COMPRESSION = "CompressionArtifacts"
EYES = "EyesOpen"
MOUTH = "MouthClosed"
COLOUR = "NaturalColour"
BG_UNIFORM = "BackgroundUniformity"
BG_COLOUR = "BackgroundColour"

#: Priority of the measures for operator guidance: the first failing one is said first.
MEASURE_ORDER: tuple[str, ...] = (
    SINGLE_FACE, IED, HEAD_SIZE, H_POS, V_POS, YAW, PITCH, ROLL, MOTION,
    LUM_MEAN, UNDER, OVER, ILLUM, DYN_RANGE, SHARP, MOTION_BLUR, COMPRESSION, EYES, MOUTH,
    COLOUR, BG_UNIFORM, BG_COLOUR,
)

FloatArray = npt.NDArray[np.float64]


def _sig(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def _higher(x: float, t: float, w: float) -> float:
    return 100.0 * _sig((x - t) / w)


def _lower(x: float, t: float, w: float) -> float:
    return 100.0 * _sig((t - x) / w)


def _window(name: str, x: float, lo: float, hi: float, w: float, unit: str) -> Measure:
    score = 100.0 * _sig((x - lo) / w) * _sig((hi - x) / w) / _sig((hi - lo) / (2 * w)) ** 2
    passed = lo <= x <= hi
    return Measure(name, float(x), round(min(100.0, score), 1), unit, passed,
                   lo if x < (lo + hi) / 2 else hi)


def _min(name: str, x: float, t: float, w: float, unit: str) -> Measure:
    return Measure(name, float(x), round(_higher(x, t, w), 1), unit, bool(x >= t), t)


def _max(name: str, x: float, t: float, w: float, unit: str) -> Measure:
    return Measure(name, float(x), round(_lower(x, t, w), 1), unit, bool(x <= t), t)


@dataclass(frozen=True)
class Advice:
    """What to do about one failing measure. ``side`` is ``"left"``/``"right"`` where it
    applies (the subject's own left and right)."""

    measure: str
    reason: RetryReason
    side: str = ""


@dataclass
class FaceQuality:
    """The quality report of one frame plus the advice derived from its failing measures
    (most important first)."""

    report: QualityReport
    advice: list[Advice] = field(default_factory=list)
    framing: FramingBox | None = None

    @property
    def passed(self) -> bool:
        return self.report.passed

    def measure(self, name: str) -> Measure | None:
        for m in self.report.measures:
            if m.name == name:
                return m
        return None


@dataclass(frozen=True)
class FacePatch:
    """The face resampled to :data:`REF_IED`: BGR and grey pixels, landmarks in patch
    coordinates, the face-region mask and the inner-face mask (brows to mouth)."""

    bgr: Image
    gray: Image
    landmarks: Landmarks
    face_mask: npt.NDArray[np.bool_]
    inner_mask: npt.NDArray[np.bool_]

    @property
    def points(self) -> FloatArray:
        return self.landmarks.points


def face_patch(frame: Image, landmarks: Landmarks) -> FacePatch:
    """Cut the face out of ``frame`` and resample it so the IED is :data:`REF_IED`."""
    ied = landmarks.inter_eye_distance
    h, w = frame.shape[:2]
    outline = landmarks.face_outline()
    pad = 0.1 * ied
    x0 = int(max(0.0, outline[:, 0].min() - pad))
    x1 = int(min(float(w), outline[:, 0].max() + pad + 1))
    y0 = int(max(0.0, outline[:, 1].min() - pad))
    y1 = int(min(float(h), outline[:, 1].max() + pad + 1))
    roi = frame[y0:y1, x0:x1]
    f = REF_IED / max(ied, 1.0)
    interp = cv2.INTER_AREA if f < 1.0 else cv2.INTER_LINEAR
    pw = max(8, round(roi.shape[1] * f))
    ph = max(8, round(roi.shape[0] * f))
    bgr = cv2.resize(roi, (pw, ph), interpolation=interp)
    gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    k = np.array([pw / max(roi.shape[1], 1), ph / max(roi.shape[0], 1)])
    lm = Landmarks((landmarks.points - np.array([x0, y0])) * k)
    fm = np.zeros((ph, pw), np.uint8)
    cv2.fillPoly(fm, [np.round((outline - np.array([x0, y0])) * k).astype(np.int32)], 1)
    im = np.zeros((ph, pw), np.uint8)
    cv2.fillConvexPoly(im, np.round(lm.inner_face()).astype(np.int32), 1)
    return FacePatch(bgr, gray, lm, fm.astype(bool), im.astype(bool))


def _upright(image: Image, centre: FloatArray, axis: FloatArray, src_width: float,
             size: tuple[int, int]) -> Image:
    """A ``size`` (w, h) patch centred on ``centre`` with its x axis along ``axis``,
    ``src_width`` source pixels across."""
    pw, ph = size
    k = pw / max(src_width, 1e-6)
    rot = np.array([[axis[0], axis[1]], [-axis[1], axis[0]]]) * k
    t = np.array([pw / 2.0, ph / 2.0]) - rot @ centre
    m = np.hstack([rot, t[:, None]])
    interp = cv2.INTER_AREA if k < 1.0 else cv2.INTER_LINEAR
    out: Image = cv2.warpAffine(image, m, (pw, ph), flags=interp,
                                borderMode=cv2.BORDER_REPLICATE)
    return out


#: Eye patch: 40 px across 1.2 eye widths (corner to corner), 20 px (0.6 widths) high.
_EYE_PX = (40, 20)


def eye_openings(gray: Image, landmarks: Landmarks) -> tuple[float, float]:
    """How open each eye looks, image-left eye first: the share of vertical edges.

    The eye is cut out upright between its corners (0.6 eye widths high); over its
    middle half, the sum of horizontal-gradient magnitudes (the iris's left and right
    rims) is divided by the sum of both gradient magnitudes. An open eye shows its iris
    rims (0.31-0.6 on the London Set's frontal photos at a 640x480 framing, median 0.43);
    a closed eye shows the lid and lash line, nearly horizontal (about 0.14-0.29).
    """
    out = []
    pw, ph = _EYE_PX
    for a, b in ((2, 3), (1, 0)):
        ca, cb = landmarks.points[a], landmarks.points[b]
        width = float(np.hypot(*(cb - ca)))
        if width < 2.0:
            out.append(0.0)
            continue
        patch = _upright(gray, (ca + cb) / 2.0, (cb - ca) / width, 1.2 * width,
                         (pw, ph)).astype(np.float32)
        gx = float(np.abs(cv2.Sobel(patch, cv2.CV_32F, 1, 0, ksize=3))[:, 10:30].sum())
        gy = float(np.abs(cv2.Sobel(patch, cv2.CV_32F, 0, 1, ksize=3))[:, 10:30].sum())
        out.append(gx / (gx + gy + 1e-3))
    return out[0], out[1]


def _eye_region(frame: Image, landmarks: Landmarks) -> tuple[Image, Landmarks]:
    """The grey eye region of ``frame`` (both eyes with a margin of an eye width) and the
    landmarks in its coordinates: :func:`eye_openings` on it matches the whole frame's
    (to 1e-4: interpolation rounding)."""
    eyes = landmarks.points[:4]
    m = 0.8 * landmarks.inter_eye_distance
    h, w = frame.shape[:2]
    x0, y0 = (max(0, int(v - m)) for v in eyes.min(axis=0))
    x1 = min(w, int(eyes[:, 0].max() + m) + 1)
    y1 = min(h, int(eyes[:, 1].max() + m) + 1)
    return to_gray(frame[y0:y1, x0:x1]), landmarks.translated(-x0, -y0)


#: Mouth patch: 48 px across 0.96 IED, 32 px (0.64 IED) high, centred 0.42 IED below
#: the nose base.
_MOUTH_PX = (48, 32)


def mouth_opening(bgr: Image, landmarks: Landmarks) -> float:
    """The gap between the lips per IED: teeth or mouth cavity showing.

    The mouth is cut out upright below the nose base; a pixel is open mouth when it is
    brighter and less red than the skin just under the nose (CIELAB L* + 5, a* - 6:
    teeth) or darker than 45 % of that skin (the cavity). The median count per column
    over the middle 40 % is the gap. A closed mouth reads 0-0.04; a smile with teeth
    0.04-0.35.
    """
    u, down = landmarks.axes()
    ied = landmarks.inter_eye_distance
    pw, ph = _MOUTH_PX
    centre = np.array(landmarks.nose) + down * 0.42 * ied
    patch = _upright(bgr, centre, u, 0.96 * ied, (pw, ph))
    lab = cv2.cvtColor(patch, cv2.COLOR_BGR2Lab).astype(np.float32)
    skin = lab[:4].reshape(-1, 3).mean(axis=0)
    light, red = lab[..., 0], lab[..., 1]
    gap = ((light > skin[0] + 5.0) & (red < skin[1] - 6.0)) | (light < 0.45 * skin[0])
    return float(np.median(gap[:, 14:34].sum(axis=0))) * 0.96 / pw


def _entropy(hist: FloatArray) -> float:
    p = hist[hist > 0] / hist.sum()
    return float(-(p * np.log2(p)).sum())


def _lab(bgr_mean: Sequence[float]) -> FloatArray:
    px = np.asarray(bgr_mean, np.float32).reshape(1, 1, 3) / 255.0
    return cv2.cvtColor(px, cv2.COLOR_BGR2Lab).reshape(3).astype(np.float64)


_D2 = np.array([[1.0, -2.0, 1.0]], np.float32)
_DXY = np.array([[1.0, 0.0, -1.0], [0.0, 0.0, 0.0], [-1.0, 0.0, 1.0]], np.float32) / 4.0
_ANGLES = np.linspace(0.0, math.pi, 36, endpoint=False)
# weights of (Ixx, Iyy, Ixy) in the second derivative along each angle
_STEER = np.stack([np.cos(_ANGLES) ** 2, np.sin(_ANGLES) ** 2,
                   2.0 * np.sin(_ANGLES) * np.cos(_ANGLES)])


def blur_isotropy(gray: Image, mask: npt.NDArray[np.bool_] | None = None) -> float:
    """Detail in the weakest direction over detail in the strongest: the variance of the
    second derivative along each direction (steered from Ixx, Iyy and Ixy, every 5
    degrees), smallest divided by largest (within ``mask`` if given).

    A motion blur wipes out detail along the direction of motion only, so the ratio
    falls towards 0 (a 5 px horizontal smear of a face at :data:`REF_IED` gives about
    0.1); focus blur, exposure and sensor noise change every direction alike and leave
    it where a sharp face has it (0.26-0.70 on 74 real frontal photos, median 0.44:
    faces carry more horizontal than vertical edges; white noise gives about 0.87).
    Returns 1.0 for a flat image.
    """
    g = gray.astype(np.float32)
    parts = [cv2.filter2D(g, cv2.CV_32F, k, borderType=cv2.BORDER_REFLECT)
             for k in (_D2, _D2.T, _DXY)]
    v = np.stack([(d[mask] if mask is not None else d).ravel() for d in parts])
    if v.shape[1] < 2:
        return 1.0
    cov = np.cov(v.astype(np.float64), bias=True)
    energy = np.einsum("in,ij,jn->n", _STEER, cov, _STEER)
    hi = float(energy.max())
    return float(energy.min()) / hi if hi > 1e-6 else 1.0


def _patch_measures(patch: FacePatch, p: Profile) -> tuple[list[Measure], str]:
    out: list[Measure] = []
    vals = patch.gray[patch.face_mask]
    if vals.size < 50:
        return out, ""
    hist = np.bincount(vals, minlength=256).astype(np.float64)
    n = float(vals.size)
    lo, hi = p.luminance_window
    out.append(_window(LUM_MEAN, float(vals.mean()) / 255.0, lo, hi, 0.04, "fraction"))
    out.append(_max(UNDER, float(hist[:26].sum() / n), p.max_underexposed, 0.012, "fraction"))
    out.append(_max(OVER, float(hist[247:].sum() / n), p.max_overexposed, 0.005, "fraction"))
    # illumination: darker / brighter half of the face, split at the nose line
    nose_x = float(patch.landmarks.nose[0])
    cols = np.arange(patch.gray.shape[1])[None, :]
    left = patch.face_mask & (cols < nose_x)
    right = patch.face_mask & (cols >= nose_x)
    side = ""
    if left.any() and right.any():
        ml = float(patch.gray[left].mean())
        mr = float(patch.gray[right].mean())
        ratio = min(ml, mr) / max(ml, mr, 1e-6)
        # image-left half is the subject's right side
        side = "right" if ml < mr else "left"
        out.append(_min(ILLUM, ratio, p.min_illumination_ratio, 0.06, "ratio"))
    out.append(_min(DYN_RANGE, _entropy(hist), p.min_dynamic_range_bits, 0.3, "bits"))
    # sharpness: variance of the Laplacian over the inner face at the reference IED
    lap = cv2.Laplacian(patch.gray, cv2.CV_32F, ksize=1)
    inner = lap[patch.inner_mask]
    if inner.size > 20:
        sharp = float(inner.var())
        out.append(Measure(SHARP, sharp,
                           round(100.0 * _sig(math.log(max(sharp, 1e-3) / p.min_sharpness)
                                              / 0.35), 1),
                           "laplacian-variance", sharp >= p.min_sharpness, p.min_sharpness))
        out.append(_min(MOTION_BLUR, blur_isotropy(patch.gray, patch.inner_mask),
                        p.min_blur_isotropy, 0.02, "ratio"))
    # natural colour: CIELAB a*, b* of the two cheek zones vs the natural-skin box
    _, down = patch.landmarks.axes()
    mouth_y = float(patch.landmarks.nose[1]) + 0.42 * REF_IED * float(down[1])
    half = max(1, round(0.15 * REF_IED))
    samples = []
    for cx, cy in patch.landmarks.eye_centres:
        cy = cy + 0.5 * (mouth_y - cy)
        xa, ya = round(cx), round(cy)
        zone = patch.bgr[max(0, ya - half):ya + half, max(0, xa - half):xa + half]
        if zone.size:
            samples.append(zone.reshape(-1, 3))
    if samples:
        lab = _lab(np.concatenate(samples).mean(axis=0))
        a, b = float(lab[1]), float(lab[2])
        da = max(5.0 - a, 0.0, a - 25.0)
        db = max(5.0 - b, 0.0, b - 35.0)
        out.append(_max(COLOUR, math.hypot(da, db), p.max_colour_distance, 3.0, "delta-ab"))
    return out, side


def blockiness(gray: Image) -> float:
    """JPEG blocking: mean absolute step across the 8x8 grid lines of ``gray`` divided by
    the mean step elsewhere (about 1.0 for an uncompressed image, larger with blocking).
    ``gray`` must start on the 8x8 grid of the encoder (a frame or a crop at multiples
    of 8)."""
    g = gray.astype(np.float32)
    dx = np.abs(np.diff(g, axis=1))
    dy = np.abs(np.diff(g, axis=0))
    on_x = (np.arange(dx.shape[1]) % 8) == 7
    on_y = (np.arange(dy.shape[0]) % 8) == 7
    if not on_x.any() or not on_y.any():
        return 1.0
    inside = float(dx[:, ~on_x].mean() + dy[~on_y, :].mean()) + 1e-3
    across = float(dx[:, on_x].mean() + dy[on_y, :].mean()) + 1e-3
    return across / inside


def _compression(frame: Image, landmarks: Landmarks, p: Profile) -> Measure | None:
    inner = landmarks.inner_face()
    x0, y0 = (np.floor(inner.min(axis=0) / 8) * 8).astype(int)
    x1, y1 = inner.max(axis=0).astype(int)
    x0, y0 = max(int(x0), 0), max(int(y0), 0)
    roi = frame[y0:y1, x0:x1]
    if roi.shape[0] < 24 or roi.shape[1] < 24:
        return None
    raw = blockiness(cv2.cvtColor(roi, cv2.COLOR_BGR2GRAY))
    return _max(COMPRESSION, raw, p.max_blockiness, 0.05, "ratio")


def _background(frame: Image, analysis: FaceAnalysis, fb: FramingBox,
                p: Profile) -> list[Measure]:
    lm = analysis.landmarks
    assert lm is not None
    x0, y0 = int(max(0, fb.x)), int(max(0, fb.y))
    x1 = int(min(frame.shape[1], fb.x + fb.width))
    y1 = int(min(frame.shape[0], fb.y + fb.height))
    box = frame[y0:y1, x0:x1]
    if box.size == 0:
        return []
    k = 120.0 / box.shape[1]
    small = cv2.resize(box, (120, max(8, round(box.shape[0] * k))),
                       interpolation=cv2.INTER_AREA)
    sh, sw = small.shape[:2]
    ied = lm.inter_eye_distance * k
    mx, my = lm.eye_midpoint
    cx, cy = (mx - x0) * k, (my - y0) * k
    chin_y = cy + CHIN_PER_IED * ied
    rx = FACE_WIDTH_PER_IED * ied        # head plus hair: twice the face width
    top = cy - CROWN_PER_IED * ied * 1.35
    yy, xx = np.mgrid[0:sh, 0:sw]
    ecy = (top + chin_y) / 2.0
    ery = (chin_y - top) / 2.0
    head = ((xx - cx) / rx) ** 2 + ((yy - ecy) / ery) ** 2 <= 1.0
    bg = (~head) & (yy < chin_y)
    if bg.sum() < 30:
        return []
    g = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY).astype(np.float32)
    gx = cv2.Sobel(g, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(g, cv2.CV_32F, 0, 1, ksize=3)
    mag = np.sqrt(gx * gx + gy * gy)
    grad = float(mag[bg].mean())
    lab = _lab(small[bg].mean(axis=0))
    de = min(float(np.linalg.norm(lab - _lab((b, g_, r))))
             for (r, g_, b) in p.background_colours_rgb)
    return [_max(BG_UNIFORM, grad, p.max_background_gradient, 3.0, "sobel-magnitude"),
            _max(BG_COLOUR, de, p.max_background_colour_de, 6.0, "delta-e76")]


def _advice(m: Measure, side: str) -> Advice | None:
    if m.passed is not False:
        return None
    n, v, t = m.name, m.value, m.threshold if m.threshold is not None else 0.0
    R = RetryReason
    table: dict[str, RetryReason] = {
        IED: R.MOVE_CLOSER, YAW: R.LOOK_STRAIGHT, PITCH: R.LOOK_STRAIGHT,
        ROLL: R.LOOK_STRAIGHT, MOTION: R.HOLD_STILL, UNDER: R.MORE_LIGHT, OVER: R.LESS_LIGHT,
        DYN_RANGE: R.MORE_LIGHT, SHARP: R.HOLD_STILL, MOTION_BLUR: R.HOLD_STILL,
        COMPRESSION: R.OTHER, EYES: R.OPEN_EYES,
        MOUTH: R.CLOSE_MOUTH, COLOUR: R.EVEN_LIGHT, BG_UNIFORM: R.PLAIN_BACKGROUND,
        BG_COLOUR: R.PLAIN_BACKGROUND,
    }
    if n == SINGLE_FACE:
        return Advice(n, R.NO_FACE if v < 0 else R.MULTIPLE_FACES)
    if n == HEAD_SIZE:
        return Advice(n, R.MOVE_CLOSER if v < t else R.MOVE_BACK)
    if n == H_POS:   # face right of centre in the image = displaced to the subject's left
        return Advice(n, R.MOVE_RIGHT if v > 0 else R.MOVE_LEFT)
    if n == V_POS:
        return Advice(n, R.MOVE_UP if v > 0 else R.MOVE_DOWN)
    if n == LUM_MEAN:
        return Advice(n, R.MORE_LIGHT if v < t else R.LESS_LIGHT)
    if n == ILLUM:
        return Advice(n, R.EVEN_LIGHT, side)
    if n == ROLL:
        return Advice(n, R.LOOK_STRAIGHT, "tilt")
    reason = table.get(n)
    return Advice(n, reason) if reason is not None else Advice(n, R.OTHER)


def _prioritise(advice: list[Advice], measures: list[Measure]) -> list[Advice]:
    """Reorder the advice where :data:`MEASURE_ORDER` alone says the wrong thing first.

    A turned head shows a shorter inter-eye distance, so a head turned while sitting at
    the right distance can fail ``InterEyeDistance`` (the enlargement limit) as well as
    ``HeadPoseYaw``. When the yaw fails and the head size still lies in its window, the
    size shortfall is the turn's doing: "look straight" comes before "move closer"
    (a face too small for its window is still told to come closer first, since a small
    face also gives a noisy pose). Likewise a face too dark (``LuminanceMean``) is told
    to get more light before it is told to come closer or to hold still.
    """
    by_name = {m.name: m for m in measures}
    head = by_name.get(HEAD_SIZE)
    if head is None or not head.passed:
        return advice
    # a turned head reads a shorter IED; a face too dark for its eye corners to be found
    # well reads a shorter and a jittering IED: the cause is said first
    for cause, effects in ((YAW, (IED,)), (LUM_MEAN, (IED, MOTION))):
        names = [a.measure for a in advice]
        hit = [names.index(e) for e in effects if e in names]
        if cause in names and hit:
            first = advice[names.index(cause)]
            at = min(hit)
            rest = [a for a in advice if a is not first]
            advice = [*rest[:at], first, *rest[at:]]
    return advice


def assess_quality(frame: Image, analysis: FaceAnalysis, profile: str | Profile,
                   *, framing: FramingBox | None = None,
                   motion: float | None = None) -> FaceQuality:
    """Measure the face of ``analysis`` in ``frame`` against ``profile``.

    ``framing`` defaults to :func:`~idcapture.biometrics.face.framing.framing_box` for the
    frame; ``motion`` (eye-midpoint movement since the previous frame divided by the IED)
    adds the ``HeadMotion`` measure. With no face the report holds one failing
    ``SingleFacePresent`` measure of value -1.
    """
    p = get_profile(profile)
    frame = check_bgr(frame)
    fh, fw = frame.shape[:2]
    fb = framing if framing is not None else framing_box(p, (fw, fh))
    measures: list[Measure] = []
    side = ""
    lm = analysis.landmarks
    if lm is None or analysis.primary is None:
        measures.append(Measure(SINGLE_FACE, -1.0, 0.0, "area-ratio", False,
                                p.max_second_face_ratio))
    else:
        faces = analysis.faces
        ratio = faces[1].area / faces[0].area if len(faces) > 1 else 0.0
        measures.append(_max(SINGLE_FACE, ratio, p.max_second_face_ratio, 0.05, "area-ratio"))
        pose = analysis.pose
        yaw = pose.yaw if pose is not None and math.isfinite(pose.yaw) else 0.0
        ied = lm.inter_eye_distance
        ied_eff = ied / max(math.cos(math.radians(yaw)), 0.2)
        s_ied = p.target_ied_px / p.max_upscale   # the portrait's enlargement limit
        measures.append(_min(IED, ied_eff, s_ied, 0.06 * s_ied, "px"))
        lo, hi = p.head_size_window
        measures.append(_window(HEAD_SIZE, ied_eff / fb.target_ied, lo, hi, 0.025, "ratio"))
        mx, my = lm.eye_midpoint
        tol = p.max_position_offset
        for name, off in ((H_POS, (mx - fb.centre_x) / fb.width),
                          (V_POS, (my - fb.eye_line_y) / fb.height)):
            m = Measure(name, float(off), round(_lower(abs(off), tol, 0.012), 1), "fraction",
                        abs(off) <= tol, math.copysign(tol, off))
            measures.append(m)
        if pose is not None:
            measures.append(_max(YAW, abs(pose.yaw), p.max_yaw_deg, 1.5, "deg"))
            if math.isfinite(pose.pitch):
                measures.append(_max(PITCH, abs(pose.pitch),
                                     p.max_pitch_deg + PITCH_UNCERTAINTY_DEG, 1.5, "deg"))
        measures.append(_max(ROLL, abs(lm.roll_deg), p.max_roll_deg, 1.5, "deg"))
        if motion is not None:
            measures.append(_max(MOTION, motion, p.max_motion, 0.01, "ied-per-frame"))
        patch = face_patch(frame, lm)
        pm, side = _patch_measures(patch, p)
        measures.extend(pm)
        comp = _compression(frame, lm, p)
        if comp is not None:
            measures.append(comp)
        opening = min(eye_openings(*_eye_region(frame, lm)))
        measures.append(_min(EYES, opening, p.min_eye_opening, 0.02, "vertical-edge-share"))
        measures.append(_max(MOUTH, mouth_opening(frame, lm), p.max_mouth_opening, 0.01,
                             "gap-per-ied"))
        measures.extend(_background(frame, analysis, fb, p))
    order = {n: i for i, n in enumerate(MEASURE_ORDER)}
    measures.sort(key=lambda m: order.get(m.name, len(order)))
    advice = _prioritise([a for a in (_advice(m, side) for m in measures) if a is not None],
                         measures)
    passed = all(m.passed is not False for m in measures)
    score = round(float(np.mean([m.score for m in measures])), 1) if measures else 0.0
    reasons = list(dict.fromkeys(a.reason.value for a in advice))
    report = QualityReport(p.name, score, passed, measures, reasons)
    return FaceQuality(report, advice, fb)
