"""Named portrait profiles: output geometry, encoding and quality thresholds.

A profile says what the finished portrait must look like (pixel size, eye line, face
width, margins, JPEG quality and file-size window, background colours) and where each
live quality measure passes. Three are built in; see ``docs/integrators/portrait-quality.md``
for the sources of each value:

``exam-480x640``
    Provincial exam-registration photo: 480x640, eye line 200-300 px from the top,
    face width 180-300 px, hair top 50-110 px, JPEG q>=60, 20-40 KB, light blue, white or
    light grey background.
``ga461-358x441``
    Resident ID card photo (GA 461-2004): 358x441, face width 207+/-14 px, hair top
    7-21 px, eye line at least 207 px above the bottom, JPEG q70, 14-20 KB, white.
``icao``
    ICAO / ISO/IEC 19794-5 full frontal, 420x540 (35x45 mm at 305 ppi): head width 50-57 %
    of the width, eye line 50-70 % above the bottom, pose within 5/5/8 degrees, no upscaling.

Make a variant with :func:`dataclasses.replace` (``replace(get_profile("icao"), name=...,
max_yaw_deg=8)``, or ``liveness="turn"`` to ask for a head turn before the portrait) or
build a :class:`Profile` from scratch. The built-in profiles run no liveness challenge.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ...errors import ConfigError

__all__ = [
    "CHALLENGES",
    "CHIN_PER_IED",
    "CROWN_PER_IED",
    "FACE_WIDTH_PER_IED",
    "FACE_WIDTH_PER_IED_RANGE",
    "PROFILES",
    "Profile",
    "get_profile",
    "profile_names",
]

#: Cheek-to-cheek face width (outer jaw points of a 68-point fit) per inter-eye distance; the mean
#: of 2.28 measured on frontal photos (range 2.07-2.40).
FACE_WIDTH_PER_IED = 2.28
#: The range of that ratio measured over frontal photos: a face's own ratio (from its
#: landmarks) is trusted within it when the portrait is scaled.
FACE_WIDTH_PER_IED_RANGE = (2.07, 2.40)
#: Eye line to chin per inter-eye distance (measured mean 1.99).
CHIN_PER_IED = 2.0
#: Eye line to top of the hair per inter-eye distance: the chin distance plus hair, an
#: estimate (landmarks do not reach the crown).
CROWN_PER_IED = 2.3

RGB = tuple[int, int, int]

#: The liveness challenges a profile can switch on (:mod:`.liveness`).
CHALLENGES = ("turn", "blink")


@dataclass(frozen=True)
class Profile:
    """Everything a portrait profile fixes. Pixel values refer to the output image."""

    name: str
    width_px: int
    height_px: int
    resolution_ppi: int
    # geometry of the output portrait
    eye_line_px: int                      # target eye line, from the top
    eye_line_window_px: tuple[int, int]   # allowed eye line, from the top
    face_width_px: int                    # target cheek-to-cheek width
    face_width_window_px: tuple[int, int]
    hair_top_window_px: tuple[int, int] | None
    max_upscale: float                    # refuse portraits that need more enlargement
    # encoding
    jpeg_quality: int
    file_size_window_bytes: tuple[int, int] | None
    background_colours_rgb: tuple[RGB, ...]
    # live measures: where each passes
    max_second_face_ratio: float = 0.25   # area of 2nd face / largest face
    head_size_window: tuple[float, float] = (0.85, 1.15)  # IED / target IED in framing box
    max_position_offset: float = 0.06     # eye position vs target, fraction of box size
    max_yaw_deg: float = 8.0
    max_pitch_deg: float = 10.0
    max_roll_deg: float = 8.0
    min_sharpness: float = 40.0           # variance of Laplacian at the reference IED
    min_blur_isotropy: float = 0.15       # weakest / strongest directional detail
    max_blockiness: float = 1.3           # JPEG 8x8 grid step / step elsewhere
    luminance_window: tuple[float, float] = (0.20, 0.75)  # face mean luma, 0-1
    max_underexposed: float = 0.05        # fraction of face pixels with luma <= 25
    max_overexposed: float = 0.02         # fraction of face pixels with luma >= 247
    min_dynamic_range_bits: float = 5.5   # entropy of face luma
    min_illumination_ratio: float = 0.70  # darker / brighter face half
    max_background_gradient: float = 20.0  # mean Sobel magnitude over the background
    max_background_colour_de: float = 35.0  # CIE76 distance to the nearest allowed colour
    max_colour_distance: float = 10.0     # cheek a*b* outside the natural-skin box
    min_eye_opening: float = 0.30         # share of vertical edges in the eye (iris rims)
    max_mouth_opening: float = 0.03       # teeth or cavity between the lips / IED
    max_motion: float = 0.04              # eye-midpoint movement per frame / IED
    #: the live loop's liveness challenge: "" (none), "turn" or "blink"
    liveness: str = ""
    extra: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.width_px <= 0 or self.height_px <= 0:
            raise ConfigError(f"profile {self.name!r}: output size must be positive")
        lo, hi = self.face_width_window_px
        if not lo <= self.face_width_px <= hi:
            raise ConfigError(f"profile {self.name!r}: face width target outside its window")
        lo, hi = self.eye_line_window_px
        if not lo <= self.eye_line_px <= hi:
            raise ConfigError(f"profile {self.name!r}: eye line target outside its window")
        if not 1 <= self.jpeg_quality <= 100:
            raise ConfigError(f"profile {self.name!r}: JPEG quality must be 1-100")
        if self.max_upscale < 1.0:
            raise ConfigError(f"profile {self.name!r}: max_upscale must be >= 1.0")
        if self.liveness and self.liveness not in CHALLENGES:
            raise ConfigError(f"profile {self.name!r}: unknown liveness challenge "
                              f"{self.liveness!r}; choose one of {', '.join(CHALLENGES)}")

    @property
    def aspect(self) -> float:
        """Width / height of the output."""
        return self.width_px / self.height_px

    @property
    def target_ied_px(self) -> float:
        """Inter-eye distance of the output portrait, from the target face width."""
        return self.face_width_px / FACE_WIDTH_PER_IED


_EXAM_BACKGROUNDS: tuple[RGB, ...] = ((100, 197, 255), (255, 255, 255), (240, 240, 240))

PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile(
            name="exam-480x640", width_px=480, height_px=640, resolution_ppi=300,
            eye_line_px=270, eye_line_window_px=(200, 300),
            face_width_px=210, face_width_window_px=(180, 300),
            hair_top_window_px=(50, 110), max_upscale=1.5,
            jpeg_quality=85, file_size_window_bytes=(20_000, 40_000),
            background_colours_rgb=_EXAM_BACKGROUNDS,
        ),
        Profile(
            name="ga461-358x441", width_px=358, height_px=441, resolution_ppi=350,
            eye_line_px=223, eye_line_window_px=(200, 234),
            face_width_px=207, face_width_window_px=(193, 221),
            hair_top_window_px=(7, 21), max_upscale=1.5,
            jpeg_quality=70, file_size_window_bytes=(14_000, 20_000),
            background_colours_rgb=((255, 255, 255),),
            max_yaw_deg=6.0, max_pitch_deg=8.0,
            head_size_window=(0.93, 1.07),
        ),
        Profile(
            name="icao", width_px=420, height_px=540, resolution_ppi=305,
            eye_line_px=216, eye_line_window_px=(162, 270),
            face_width_px=225, face_width_window_px=(210, 239),
            hair_top_window_px=None, max_upscale=1.0,
            jpeg_quality=90, file_size_window_bytes=None,
            background_colours_rgb=((255, 255, 255), (240, 240, 240), (200, 220, 240)),
            max_yaw_deg=5.0, max_pitch_deg=5.0, max_roll_deg=8.0,
            head_size_window=(0.93, 1.06), max_overexposed=0.01,
        ),
    )
}


def profile_names() -> list[str]:
    """Names of the built-in profiles."""
    return sorted(PROFILES)


def get_profile(profile: str | Profile) -> Profile:
    """A built-in profile by name (a :class:`Profile` passes through unchanged)."""
    if isinstance(profile, Profile):
        return profile
    try:
        return PROFILES[profile]
    except KeyError:
        raise ConfigError(f"unknown portrait profile {profile!r}; "
                          f"known: {', '.join(profile_names())}") from None
