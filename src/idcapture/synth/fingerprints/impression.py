"""Impressions: one touch of a master on an optical sensor, with its ground truth.

An impression is rendered from a :class:`~.master.MasterPrint` in four steps:

1. **Geometry.** Every sensor pixel ``q`` is mapped back to the master: undo the rigid
   placement (``rotation_deg`` counter-clockwise as seen on screen about the master
   centre, then ``dx``, ``dy``), then add a skin-distortion displacement in the manner of
   Cappelli, Maio & Maltoni: nothing in the close-contact area around the finger centre,
   growing smoothly to a rigid shift-and-turn of the periphery of about ``distortion`` px.
2. **Contact.** The finger area, shrunk for a light touch and cut by a straight edge for
   a partial one so that about ``contact`` of it touches; pressure fades at the edge.
3. **Ridges.** The master's signed ridge distance is thresholded with an offset set by
   ``pressure`` (dry: thin, broken ridges and a light image; wet: thick, merged ridges and
   a dark image); ``smudge`` smears the ink along one direction as a finger that slid
   (ridges across the slide merge into dark streaks).
4. **Sensor.** Grey levels of an optical sensor (dark ridges on a light background), a
   slight optical blur, uneven illumination and noise scaled by ``noise``.

The ground-truth minutiae follow the same geometry (positions and directions), and the
ones that fall outside the contact area (or within ``truth_margin`` px of its edge) are
dropped. Everything is drawn from ``seed``: the same master, seed and parameters give a
byte-identical image.
"""

from __future__ import annotations

import dataclasses
import enum
import math
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from ...errors import ConfigError
from .master import MasterPrint
from .minutiae import TruthMinutia
from .orientation import smooth_noise

__all__ = ["Impression", "ImpressionParams", "ImpressionStyle", "make_impression"]

FloatImage = npt.NDArray[np.float32]


@dataclass(frozen=True)
class ImpressionParams:
    """Concrete parameters of one impression (all values explicit, JSON-friendly).

    Attributes:
        dx, dy: displacement of the finger on the sensor, pixels (``y`` down).
        rotation_deg: rotation of the finger, degrees, counter-clockwise as seen on screen.
        distortion: peripheral skin displacement, pixels (0 = rigid placement).
        pressure: -1 (very dry, light touch) ... 0 (normal) ... +1 (very wet, heavy).
        noise: sensor noise and background unevenness, 0 (clean) ... 1 (very noisy).
        contact: share of the fingertip that touches the sensor, (0, 1].
        contact_angle_deg: direction, from the finger centre, of the part that is lost
            when ``contact < 1`` (0 = right, 90 = up, counter-clockwise on screen).
        smudge: length in pixels of the motion smear (0 = none).
        smudge_angle_deg: direction of the smear, counter-clockwise on screen.
    """

    dx: float = 0.0
    dy: float = 0.0
    rotation_deg: float = 0.0
    distortion: float = 0.0
    pressure: float = 0.0
    noise: float = 0.15
    contact: float = 1.0
    contact_angle_deg: float = 270.0
    smudge: float = 0.0
    smudge_angle_deg: float = 0.0

    def validate(self) -> None:
        """Raise :class:`ConfigError` naming the first value out of range."""
        checks: list[tuple[str, float, float, float]] = [
            ("pressure", self.pressure, -1.0, 1.0),
            ("noise", self.noise, 0.0, 1.0),
            ("distortion", self.distortion, 0.0, 60.0),
            ("smudge", self.smudge, 0.0, 60.0),
            ("rotation_deg", self.rotation_deg, -180.0, 180.0),
        ]
        for name, value, lo, hi in checks:
            if not (math.isfinite(value) and lo <= value <= hi):
                raise ConfigError(f"impression {name} must be in [{lo:g}, {hi:g}], got {value}")
        if not (math.isfinite(self.contact) and 0.05 <= self.contact <= 1.0):
            raise ConfigError(f"impression contact must be in [0.05, 1], got {self.contact}")
        for name in ("dx", "dy", "contact_angle_deg", "smudge_angle_deg"):
            if not math.isfinite(getattr(self, name)):
                raise ConfigError(f"impression {name} must be a finite number")

    def to_json(self) -> dict[str, float]:
        """The parameters as a JSON object (rounded to what matters)."""
        return {k: round(float(v), 4) for k, v in dataclasses.asdict(self).items()}


# ranges (lo, hi) drawn uniformly; a sign is drawn separately for rotation where noted
_Range = tuple[float, float]


@dataclass(frozen=True)
class _StyleSpec:
    shift: _Range = (-12.0, 12.0)
    rotation: _Range = (-8.0, 8.0)
    rotation_both_signs: bool = False
    distortion: _Range = (0.0, 4.0)
    pressure: _Range = (-0.2, 0.2)
    noise: _Range = (0.08, 0.2)
    contact: _Range = (0.92, 1.0)
    smudge: _Range = (0.0, 0.0)


class ImpressionStyle(str, enum.Enum):
    """Presets for scripted capture events; each draws its parameters from ``seed``.

    * ``GOOD``: a normal, centred, full touch.
    * ``DRY``: light touch of a dry finger: light image, thin broken ridges, less area.
    * ``WET``: wet or heavy finger: dark image, thick merged ridges, valleys filling in.
    * ``PARTIAL``: only 35-55 % of the fingertip on the glass, lost on a random side.
    * ``ROTATED``: turned 25-45 degrees either way.
    * ``SMUDGED``: the finger slid while captured: a 12-25 px motion smear in one
      direction; ridges across the slide merge into dark streaks, ridges along it survive.

    "Same finger twice" is two impressions of one master with different seeds.
    """

    GOOD = "good"
    DRY = "dry"
    WET = "wet"
    PARTIAL = "partial"
    ROTATED = "rotated"
    SMUDGED = "smudged"

    @property
    def _spec(self) -> _StyleSpec:
        return _STYLES[self]

    def sample(self, rng: np.random.Generator) -> ImpressionParams:
        """Draw concrete parameters for this style (a fixed number of draws, in order)."""
        spec = self._spec
        u = rng.uniform(0.0, 1.0, size=10)

        def pick(r: _Range, x: float) -> float:
            return float(r[0] + (r[1] - r[0]) * x)

        rotation = pick(spec.rotation, u[2])
        if spec.rotation_both_signs and u[9] < 0.5:
            rotation = -rotation
        return ImpressionParams(
            dx=pick(spec.shift, u[0]), dy=pick(spec.shift, u[1]), rotation_deg=rotation,
            distortion=pick(spec.distortion, u[3]), pressure=pick(spec.pressure, u[4]),
            noise=pick(spec.noise, u[5]), contact=pick(spec.contact, u[6]),
            contact_angle_deg=360.0 * float(u[7]),
            smudge=pick(spec.smudge, u[8]), smudge_angle_deg=360.0 * float(u[8] * 7.0 % 1.0))


_STYLES: dict[ImpressionStyle, _StyleSpec] = {
    ImpressionStyle.GOOD: _StyleSpec(),
    ImpressionStyle.DRY: _StyleSpec(pressure=(-0.95, -0.7), noise=(0.15, 0.3),
                                    contact=(0.75, 0.9)),
    ImpressionStyle.WET: _StyleSpec(pressure=(0.7, 0.95), noise=(0.1, 0.25)),
    ImpressionStyle.PARTIAL: _StyleSpec(shift=(-25.0, 25.0), contact=(0.35, 0.55)),
    ImpressionStyle.ROTATED: _StyleSpec(rotation=(25.0, 45.0), rotation_both_signs=True),
    ImpressionStyle.SMUDGED: _StyleSpec(pressure=(-0.15, 0.15), smudge=(12.0, 25.0)),
}


@dataclass(frozen=True, eq=False)
class Impression:
    """One synthetic capture.

    Attributes:
        image: uint8 ``(h, w)`` greyscale, dark ridges on a light background.
        mask: bool ``(h, w)``, where the finger touches the sensor.
        minutiae: ground truth in this image's pixel frame (see :mod:`.minutiae`).
        params: the concrete parameters used.
        style: the preset the parameters were drawn from.
        seed: the impression seed; ``master_seed`` and ``finger_class`` name the master.
        ppi: resolution (that of the master).
    """

    image: npt.NDArray[np.uint8] = field(repr=False)
    mask: npt.NDArray[np.bool_] = field(repr=False)
    minutiae: tuple[TruthMinutia, ...]
    params: ImpressionParams
    style: ImpressionStyle
    seed: int
    master_seed: int
    finger_class: str
    ppi: int

    @property
    def shape(self) -> tuple[int, int]:
        """``(height, width)`` in pixels."""
        return (int(self.image.shape[0]), int(self.image.shape[1]))

    def truth_json(self) -> dict[str, Any]:
        """The ground-truth document written beside the image (see the testers' docs)."""
        h, w = self.shape
        return {
            "format": "idcapture-synthetic-finger-truth",
            "version": 1,
            "width": w,
            "height": h,
            "ppi": self.ppi,
            "units": {"x": "px", "y": "px (down)",
                      "angle": "rad, counter-clockwise on screen from +x (ISO 19794-2)"},
            "master_seed": self.master_seed,
            "impression_seed": self.seed,
            "finger_class": self.finger_class,
            "style": self.style.value,
            "params": self.params.to_json(),
            "foreground_px": int(self.mask.sum()),
            "minutiae": [m.to_json() for m in self.minutiae],
        }


# --- geometry -----------------------------------------------------------------------

@dataclass(frozen=True)
class _Geometry:
    """Sensor pixel -> master pixel: q -> u = R^-1 (q - c_out - t) + c, p = u + E(u)."""

    center: tuple[float, float]  # master centre c
    out_center: tuple[float, float]
    shift: tuple[float, float]
    rotation: float  # radians, counter-clockwise on screen
    # distortion: the periphery is moved by a rigid shift-and-turn about d_center
    d_center: tuple[float, float]
    d_axes: tuple[float, float]
    d_shift: tuple[float, float]
    d_turn: float
    r0: float = 0.35
    r1: float = 1.0

    def _undo_rigid(self, qx: Any, qy: Any) -> tuple[Any, Any]:
        c, s = math.cos(self.rotation), math.sin(self.rotation)
        ax = qx - self.out_center[0] - self.shift[0]
        ay = qy - self.out_center[1] - self.shift[1]
        # forward rotation in image coords is [[c, s], [-s, c]]; its inverse is the transpose
        return c * ax - s * ay + self.center[0], s * ax + c * ay + self.center[1]

    def _distortion(self, ux: Any, uy: Any) -> tuple[Any, Any]:
        cx, cy = self.d_center
        rx, ry = ux - cx, uy - cy
        r = np.sqrt((rx / self.d_axes[0]) ** 2 + (ry / self.d_axes[1]) ** 2)
        t = np.clip((r - self.r0) / (self.r1 - self.r0), 0.0, 1.0)
        brake = t * t * (3.0 - 2.0 * t)
        c, s = math.cos(self.d_turn), math.sin(self.d_turn)
        ex = (c * rx + s * ry - rx) + self.d_shift[0]
        ey = (-s * rx + c * ry - ry) + self.d_shift[1]
        return ex * brake, ey * brake

    def to_master(self, qx: Any, qy: Any) -> tuple[Any, Any]:
        """Map sensor coordinates to master coordinates (arrays or floats)."""
        ux, uy = self._undo_rigid(qx, qy)
        ex, ey = self._distortion(ux, uy)
        return ux + ex, uy + ey

    def to_sensor(self, px: npt.NDArray[np.float64], py: npt.NDArray[np.float64]
                  ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Map master coordinates to sensor coordinates (inverts the distortion)."""
        ux, uy = px.copy(), py.copy()
        for _ in range(30):
            ex, ey = self._distortion(ux, uy)
            nx, ny = px - ex, py - ey
            done = float(np.max(np.abs(nx - ux), initial=0.0)) + float(
                np.max(np.abs(ny - uy), initial=0.0)) < 1e-6
            ux, uy = nx, ny
            if done:
                break
        c, s = math.cos(self.rotation), math.sin(self.rotation)
        ax, ay = ux - self.center[0], uy - self.center[1]
        return (c * ax + s * ay + self.out_center[0] + self.shift[0],
                -s * ax + c * ay + self.out_center[1] + self.shift[1])


def _geometry(master: MasterPrint, params: ImpressionParams, out_shape: tuple[int, int],
              rng: np.random.Generator) -> _Geometry:
    h, w = master.shape
    ys, xs = np.nonzero(master.mask[::4, ::4])
    fx, fy = float(xs.mean() * 4), float(ys.mean() * 4)
    ax = max(8.0, float(xs.max() - xs.min()) * 2.0)
    ay = max(8.0, float(ys.max() - ys.min()) * 2.0)
    direction = rng.uniform(0.0, 2.0 * math.pi)
    split = rng.uniform(0.3, 0.8)  # share of the peripheral displacement that is a shift
    mag = params.distortion
    turn = (1.0 - split) * mag / (0.5 * min(ax, ay)) * (1.0 if rng.uniform() < 0.5 else -1.0)
    return _Geometry(
        center=(w / 2.0, h / 2.0), out_center=(out_shape[1] / 2.0, out_shape[0] / 2.0),
        shift=(params.dx, params.dy), rotation=math.radians(params.rotation_deg),
        d_center=(fx, fy), d_axes=(ax / 2.0, ay / 2.0),
        d_shift=(split * mag * math.cos(direction), split * mag * math.sin(direction)),
        d_turn=turn)


# --- rendering ----------------------------------------------------------------------

def _smoothstep(x: npt.NDArray[np.floating[Any]]) -> FloatImage:
    t = np.clip(x, 0.0, 1.0)
    res: FloatImage = (t * t * (3.0 - 2.0 * t)).astype(np.float32)
    return res


def _motion_kernel(length: float, angle_deg: float) -> FloatImage:
    n = max(3, math.ceil(length) | 1)
    k = np.zeros((n, n), np.float32)
    c = n // 2
    a = math.radians(angle_deg)
    for t in np.linspace(-length / 2.0, length / 2.0, max(2, 2 * n)):
        k[round(c - t * math.sin(a)), round(c + t * math.cos(a))] = 1.0
    return np.asarray(k / k.sum(), np.float32)


def _smear(ink: FloatImage, kernel: FloatImage) -> FloatImage:
    """Ink of a finger that slid along the motion ``kernel`` (:func:`_motion_kernel`)
    while it was captured.

    The ink is averaged along the slide (a motion smear): ridges running along it keep
    their shape, ridges across it are spread over the valleys beside them. Spread ink
    gathers into dark streaks instead of fading to an even grey: the smeared ink goes
    through a curve that darkens any pixel holding more than about a fifth of a ridge's
    ink, so where ridges cross the slide they merge into dark bands streaked along it.
    """
    spread = np.asarray(cv2.filter2D(ink, -1, kernel, borderType=cv2.BORDER_REPLICATE),
                        np.float32)
    return _smoothstep((spread - _SMEAR_INK_FLOOR) / _SMEAR_INK_SPAN)


_SMEAR_INK_FLOOR = 0.2
_SMEAR_INK_SPAN = 0.9


def make_impression(master: MasterPrint, seed: int,
                    style: ImpressionStyle | str = ImpressionStyle.GOOD, *,
                    params: ImpressionParams | None = None,
                    size: tuple[int, int] | None = None,
                    truth_margin: float | None = None,
                    **overrides: float) -> Impression:
    """Render one impression of ``master``.

    Args:
        master: the finger.
        seed: the impression seed (noise, distortion direction, style draws).
        style: the preset whose ranges the parameters are drawn from.
        params: explicit parameters instead of drawing them from ``style``.
        size: ``(height, width)`` of the sensor image; default the master's size, centred.
        truth_margin: minutiae closer than this (px) to the contact edge are not ground
            truth; default half the mean ridge period.
        overrides: any :class:`ImpressionParams` field (``dx``, ``dy``, ``rotation_deg``,
            ``distortion``, ``pressure``, ``noise``, ``contact``, ``contact_angle_deg``,
            ``smudge``, ``smudge_angle_deg``) replacing the drawn value.

    Raises:
        ConfigError: an unknown style or parameter, or a value out of range.
    """
    if seed < 0:
        raise ConfigError(f"seed must be a non-negative integer, got {seed}")
    try:
        style = ImpressionStyle(style)
    except ValueError:
        names = ", ".join(s.value for s in ImpressionStyle)
        raise ConfigError(f"unknown impression style {style!r} (one of {names})") from None
    ss = np.random.SeedSequence([int(master.seed), int(seed), 0x1A7])
    draw_rng, geo_rng, tex_rng = (np.random.default_rng(s) for s in ss.spawn(3))
    base = params if params is not None else style.sample(draw_rng)
    known = {f.name for f in dataclasses.fields(ImpressionParams)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ConfigError(f"unknown impression parameter(s): {', '.join(unknown)}")
    values = {k: float(v) for k, v in overrides.items() if v is not None}
    p = dataclasses.replace(base, **values)
    p.validate()
    out_shape = (int(size[0]), int(size[1])) if size is not None else master.shape
    if not (32 <= out_shape[0] <= 4000 and 32 <= out_shape[1] <= 4000):
        raise ConfigError(f"sensor size must be 32-4000 px per side, got {out_shape}")
    period = master.mean_period
    geo = _geometry(master, p, out_shape, geo_rng)

    oh, ow = out_shape
    qy, qx = np.mgrid[0:oh, 0:ow].astype(np.float32)
    map_x, map_y = geo.to_master(qx, qy)
    map_x = map_x.astype(np.float32)
    map_y = map_y.astype(np.float32)

    # contact: finger area (shrunk for a light touch), cut by a straight edge if partial
    sampled = cv2.remap(np.dstack([master.ridge_distance, master.edge_distance]), map_x, map_y,
                        cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                        borderValue=(-20.0, -20.0, 0.0, 0.0))
    dist = np.ascontiguousarray(sampled[..., 0])
    inside = np.ascontiguousarray(sampled[..., 1])
    dryness = max(0.0, -p.pressure)
    wetness = max(0.0, p.pressure)
    shrink = (0.25 + 2.0 * dryness) * period
    contact_soft = _smoothstep((inside - shrink) / (1.5 * period))
    cut = _partial_cut(master, p, map_x, map_y, period)
    if cut is not None:
        contact_soft = contact_soft * cut
    mask = contact_soft > 0.5

    # ridges: threshold the signed distance, offset by pressure, roughened by noise
    rough = smooth_noise(tex_rng, out_shape, 1.2)
    offset = (0.2 * p.pressure) * period + (0.12 + 0.25 * dryness + 0.15 * wetness) * \
        period * rough * (0.3 + p.noise)
    ink = _smoothstep((dist + offset) / 1.6 + 0.5)
    if wetness > 0:
        pools = _smoothstep(smooth_noise(tex_rng, out_shape, 0.8 * period) * 0.8
                            - 1.2 + 1.2 * wetness)
        ink = np.maximum(ink, pools * np.float32(0.8)).astype(np.float32)
    ink = ink * np.clip(1.5 * contact_soft, 0.0, 1.0)
    if p.smudge > 0:
        slide = _motion_kernel(p.smudge, p.smudge_angle_deg)
        ink = _smear(ink, slide)
        mask = cv2.filter2D(mask.astype(np.float32), -1, slide) > 0.5

    # sensor: grey levels, optics, illumination and noise
    background = 232.0 - 14.0 * wetness
    valley = 214.0 - 110.0 * wetness + 20.0 * dryness
    ridge = 40.0 - 15.0 * wetness + 120.0 * dryness
    touch = np.clip(1.5 * contact_soft, 0.0, 1.0)
    level = background + (valley - background) * touch
    grey = level - (level - ridge) * ink
    grey = cv2.GaussianBlur(grey.astype(np.float32), (0, 0), 0.7)
    grey += (4.0 + 14.0 * p.noise) * smooth_noise(tex_rng, out_shape, 0.6 * min(out_shape))
    grey += (2.0 + 14.0 * p.noise) * tex_rng.standard_normal(out_shape).astype(np.float32)
    image = np.clip(np.rint(grey), 0, 255).astype(np.uint8)

    margin = 0.5 * period if truth_margin is None else float(truth_margin)
    minutiae = _transform_truth(master, geo, mask, margin)
    return Impression(image=image, mask=mask, minutiae=minutiae, params=p, style=style,
                      seed=int(seed), master_seed=master.seed,
                      finger_class=master.finger_class.value, ppi=master.ppi)


def _partial_cut(master: MasterPrint, p: ImpressionParams, map_x: FloatImage,
                 map_y: FloatImage, period: float) -> FloatImage | None:
    """Soft half-plane that keeps about ``p.contact`` of the finger, or ``None``."""
    if p.contact >= 0.999:
        return None
    a = math.radians(p.contact_angle_deg)
    nx, ny = math.cos(a), -math.sin(a)  # towards the lost side, image coordinates
    ys, xs = np.nonzero(master.mask[::2, ::2])
    proj = xs * 2.0 * nx + ys * 2.0 * ny
    limit = float(np.quantile(proj, p.contact))
    along = map_x * nx + map_y * ny
    return _smoothstep((limit - along) / period + 0.5)


def _transform_truth(master: MasterPrint, geo: _Geometry, mask: npt.NDArray[np.bool_],
                     margin: float) -> tuple[TruthMinutia, ...]:
    if not master.minutiae:
        return ()
    arr = np.array([(m.x, m.y, m.angle) for m in master.minutiae], np.float64)
    px, py, ang = arr[:, 0], arr[:, 1], arr[:, 2]
    step = 3.0
    qx, qy = geo.to_sensor(px, py)
    tx, ty = geo.to_sensor(px + step * np.cos(ang), py - step * np.sin(ang))
    new_ang = np.mod(np.arctan2(-(ty - qy), tx - qx), 2.0 * math.pi)
    h, w = mask.shape
    inner = cv2.distanceTransform(np.pad(mask, 1).astype(np.uint8), cv2.DIST_L2,
                                  cv2.DIST_MASK_5)[1:-1, 1:-1]
    out: list[TruthMinutia] = []
    for i, m in enumerate(master.minutiae):
        x, y = float(qx[i]), float(qy[i])
        ix, iy = round(x), round(y)
        if not (0 <= ix < w and 0 <= iy < h) or inner[iy, ix] < max(margin, 1.0):
            continue
        out.append(TruthMinutia(x, y, float(new_ang[i]), m.kind))
    out.sort(key=lambda m: (m.y, m.x))
    return tuple(out)
