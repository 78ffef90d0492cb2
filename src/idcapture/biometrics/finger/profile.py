"""Quality profiles: every threshold the quality verdict uses, by name.

A station picks a profile (``"default"``, ``"strict"``, ``"lenient"``) or builds its own
with :meth:`QualityProfile.from_mapping`, e.g. from a configuration file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from ...errors import ConfigError

__all__ = ["PROFILES", "QualityProfile", "get_profile"]


@dataclass(frozen=True)
class QualityProfile:
    """Thresholds for :func:`~idcapture.biometrics.finger.quality`.

    Areas are in mm^2 (pixels at 500 ppi where named ``_px``); grey levels 0-255 (0 black);
    fractions 0-1.
    """

    name: str = "default"
    pass_score: float = 40.0
    """Lowest overall score (0-100) that passes. The score is fitted to NFIQ 2 v2.3 and
    follows its scale on plain optical prints (FVC2002 DB1_B: median 69 against NFIQ 2's
    66), and defects of the print (dark, faint and unclear, smeared, cut) lower it through
    its capture terms (see :mod:`~idcapture.biometrics.finger.quality`). Set between NIST's
    NFIQ 2 >= 30 line and the scripted bad impressions: FVC2002 DB1_B, with all checks, 71
    of the 77 prints NFIQ 2 rates 30 or more pass and the 3 below 30 fail (one of them,
    NFIQ 2 27, on the score alone at 35); synthetic dry, wet, partial and smudged
    impressions score 0-25, good ones 76-89."""
    no_finger_area_fraction: float = 0.04
    """Below this share of the image in finger area: no finger on the sensor."""
    no_finger_contrast: float = 6.0
    """Below this grey-level spread (block standard deviation, 90th percentile): no finger."""
    min_area_mm2: float = 100.0
    """Smallest contact area (mm^2) for a usable impression, on any sensor. A thumb nearly
    fills a small window (AS608: 256 x 288 px at 500 ppi = 13.0 x 14.6 mm = 190 mm^2);
    FVC2002 DB1 impressions cover 96-255 mm^2 (median 195); NFIQ 2 warns below 50,000 px
    at 500 ppi = 129 mm^2. 100 mm^2 (10 x 10 mm) is about half a small window."""
    max_truncation: float = 1.2
    """Longest straight run of the contact outline inside the window over the square root
    of the contact area above this: the contact is cut by a straight line (part of the
    finger lifted or off the glass). Natural ovals: at most 0.9; cut contacts: 1.3 and
    more."""
    min_area_px: int = 0
    """Optional floor on the finger area in pixels at 500 ppi (0 = not judged)."""
    min_area_fraction: float = 0.0
    """Optional smallest share of the sensor image the finger must cover (0 = not judged;
    contact area is judged in mm^2, the same on every sensor)."""
    min_minutiae: int = 12
    """Fewer minutiae than this: the impression is not usable."""
    light_grey: float = 200.0
    """Mean grey of the finger area above this, with a spread below
    :attr:`light_max_contrast` and faint or unclear ridges: too light (dry finger or too
    little pressure)."""
    light_max_contrast: float = 40.0
    """Grey-level spread (mean block standard deviation) under which a light print may be
    too light (then judged by :attr:`light_min_gap` and :attr:`light_max_clarity`)."""
    light_min_gap: float = 65.0
    """A light print (see :attr:`light_grey`) is too light when the grey-level gap between
    its ridges and valleys (median per block) is below this: the ridges are faint. FVC2002
    DB1_B light prints that NFIQ 2 rates 49-61: 74-90; its worst (NFIQ 2 15): 54."""
    light_max_clarity: float = 0.77
    """A light print is also too light when its ridges do not separate from its valleys
    (mean local clarity below this), even with dark ridge fragments: light but clear prints
    read well (FVC2002 DB1_B: 0.775-0.80 on light prints NFIQ 2 rates 49-61; synthetic dry
    impressions 0.73-0.76)."""
    light_ridge_fraction: float = 0.30
    """Ridge share of the finger area below this (thin, broken ridges): too light."""
    dark_grey: float = 75.0
    """Mean grey of the finger area below this: too dark (wet finger or too much pressure)."""
    dark_ridge_fraction: float = 0.62
    """Ridge share of the finger area above this (merged ridges): too dark."""
    min_clarity: float = 0.74
    """Mean local clarity below this (ridges and valleys not separable), together with
    orientation certainty below :attr:`min_certainty`: smudged (blurred all over)."""
    min_certainty: float = 0.55
    """Mean orientation certainty (32 px blocks) below this, together with local clarity
    below :attr:`min_clarity`: smudged (blurred all over). Dry real prints often have one
    or both of the two low (FVC2002 DB1_B: clarity down to 0.755, certainty down to 0.56,
    so both thresholds sit below every print there); a synthetic print blurred by 3.5 px
    in noise: 0.69 and 0.51."""
    max_smear_share: float = 0.12
    """Share of the finger blocks whose ridge flow is coherent while ridges and valleys do
    not separate (streaks of a finger that slid, see
    :mod:`~idcapture.biometrics.finger.smudge`) above this: smudged. FVC2002 DB1_B: at
    most 0.11; synthetic smudged impressions: mostly 0.13-0.23."""
    max_smear_echo: float = 0.0
    """Echo of a motion smear (see :func:`~idcapture.biometrics.finger.smudge.smear_echo`)
    above this, with a streaked share of at least :attr:`min_echo_smear_share`: smudged.
    FVC2002 DB1_B: -0.35 to -0.06; synthetic smudged impressions: up to 0.25, above 0 for
    most of those a slide along the ridges leaves with few streaks."""
    min_echo_smear_share: float = 0.07
    """Smallest streaked share (:attr:`max_smear_share`'s measure) for an echo to count: a
    smear leaves some streaks (synthetic smudged impressions: 0.08 and more), while ridges
    running parallel over a whole finger or a small contact can echo without any."""
    min_ridge_snr: float = 0.65
    """Median ridge signal to noise along the ridges below this: the ridges are blurred
    into the noise (smudged). FVC2002 DB1_B: 0.83 and more."""
    top_cut_min_area_mm2: float = 120.0
    """A finger running out of the top of the window (bottom open) is off centre unless
    its contact area is at least this (mm^2): a fingertip cut at the top of a small window
    is normal when the pad fills the window (FVC2002 DB1_B: 13 of 80 impressions, most
    rated well by NFIQ 2), but a small contact placed high is not. A cut on the left or
    right is always off centre."""
    max_rotation_degrees: float = 40.0
    """Finger axis tilted more than this from vertical: rotated. Fingers on a sensor
    commonly sit within about 30 degrees of upright; the estimate errs by up to 8 degrees
    on 9 in 10 impressions, so 40 fails only clearly turned fingers."""
    min_elongation_for_rotation: float = 1.0
    """The finger's long/short axis ratio must exceed this before rotation is judged."""

    def to_mapping(self) -> dict[str, Any]:
        """The profile as a plain dict (for configuration files)."""
        return asdict(self)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], base: QualityProfile | None = None
                     ) -> QualityProfile:
        """Build a profile from ``data``, unset keys taken from ``base`` (default profile).

        Raises :class:`~idcapture.errors.ConfigError` naming an unknown key or a bad value.
        """
        known = {f.name: f for f in fields(cls)}
        start = base if base is not None else cls()
        changes: dict[str, Any] = {}
        for key, value in data.items():
            if key not in known:
                raise ConfigError(f"unknown finger quality profile key {key!r}", "bad-profile")
            cur = getattr(start, key)
            try:
                if isinstance(cur, str):
                    changes[key] = str(value)
                elif isinstance(cur, int):
                    changes[key] = int(value)
                else:
                    changes[key] = float(value)
            except (TypeError, ValueError):
                raise ConfigError(f"finger quality profile key {key!r} needs a number, got "
                                  f"{value!r}", "bad-profile") from None
        return replace(start, **changes)


PROFILES: dict[str, QualityProfile] = {
    "default": QualityProfile(),
    "strict": QualityProfile(name="strict", pass_score=65.0, min_area_mm2=150.0,
                             max_truncation=1.0, min_minutiae=20, min_clarity=0.80,
                             min_certainty=0.70, max_rotation_degrees=25.0,
                             max_smear_share=0.10, max_smear_echo=-0.05,
                             top_cut_min_area_mm2=10000.0,
                             light_max_clarity=0.80),
    "lenient": QualityProfile(name="lenient", pass_score=30.0, min_area_mm2=60.0,
                              max_truncation=1.5, min_minutiae=8, min_clarity=0.70,
                              min_certainty=0.50, max_rotation_degrees=50.0,
                              max_smear_share=0.16, max_smear_echo=0.05,
                              light_max_clarity=0.75),
}


def get_profile(profile: str | QualityProfile | Mapping[str, Any] | None) -> QualityProfile:
    """A profile by name, a profile itself, or a mapping of overrides of the default."""
    if profile is None:
        return PROFILES["default"]
    if isinstance(profile, QualityProfile):
        return profile
    if isinstance(profile, str):
        try:
            return PROFILES[profile]
        except KeyError:
            raise ConfigError(f"unknown finger quality profile {profile!r}; known: "
                              f"{', '.join(sorted(PROFILES))}", "bad-profile") from None
    if isinstance(profile, Mapping):
        return QualityProfile.from_mapping(profile)
    raise ConfigError(f"finger quality profile must be a name, a QualityProfile or a mapping, "
                      f"got {type(profile).__name__}", "bad-profile")
