"""Orientation field and coherence from the smoothed gradient covariance."""

from __future__ import annotations

import math

import cv2
import numpy as np

from .blocks import BLOCK, block_mean, pad_to_blocks

__all__ = ["OrientationField", "gradient_coherence", "orientation_field", "to_screen_angle"]


class OrientationField:
    """Ridge orientation per block.

    ``theta`` is the ridge direction in *image* coordinates (``atan2(dy, dx)`` with y down),
    in ``[0, pi)``; ``coherence`` is 0 (isotropic) to 1 (perfectly parallel ridges);
    ``energy`` is the mean squared gradient of the block (a contrast measure).
    ``cos2``/``sin2`` are the smoothed doubled-angle unit vectors of the ridge direction.
    ``covariance`` holds the unsmoothed per-block gradient moments ``(gxx - gyy, 2 gxy,
    gxx + gyy)``, shape ``(3, rows, columns)``, for measures that need them raw.
    """

    __slots__ = ("coherence", "cos2", "covariance", "energy", "sin2", "theta")

    def __init__(self, theta: np.ndarray, coherence: np.ndarray, energy: np.ndarray,
                 covariance: np.ndarray | None = None) -> None:
        self.theta = theta
        self.coherence = coherence
        self.energy = energy
        self.covariance = covariance if covariance is not None else np.zeros(
            (3, *theta.shape), np.float32)
        self.cos2 = np.cos(2.0 * theta).astype(np.float32)
        self.sin2 = np.sin(2.0 * theta).astype(np.float32)

    @property
    def screen(self) -> np.ndarray:
        """Ridge orientation counter-clockwise on screen (ISO convention), ``[0, pi)``."""
        out: np.ndarray = to_screen_angle(self.theta) % math.pi
        return out


def gradient_coherence(covariance: np.ndarray) -> np.ndarray:
    """Per-block coherence ``|(gxx - gyy, 2 gxy)| / (gxx + gyy)`` of raw gradient moments
    ``covariance`` (``OrientationField.covariance``): 1 for parallel ridges, 0 for none."""
    a, b, e = covariance
    out: np.ndarray = np.sqrt(a * a + b * b) / np.maximum(e, 1e-6)
    return out


def to_screen_angle(theta_image: np.ndarray) -> np.ndarray:
    """Convert image-coordinate angles (y down) to counter-clockwise-on-screen angles."""
    out: np.ndarray = np.mod(-theta_image, 2.0 * math.pi)
    return out


def orientation_field(pixels: np.ndarray, block: int = BLOCK,
                      smoothing_blocks: float = 1.0, presmooth: float = 1.0) -> OrientationField:
    """Ridge orientation and coherence per block of ``pixels`` (float32, 500 ppi).

    Gradients from a 3x3 Scharr filter (more isotropic than Sobel near the half-resolution
    ridge frequencies) of the image blurred by ``presmooth`` pixels (Gaussian sigma;
    0 for none, e.g. on an image already reduced to half resolution); their covariance is summed per
    block and smoothed over neighbouring blocks (Gaussian, ``smoothing_blocks`` blocks) in the
    doubled-angle domain, so opposite gradients reinforce instead of cancelling.
    """
    g: np.ndarray = cv2.GaussianBlur(pixels, (0, 0), presmooth) if presmooth > 0 else pixels
    # padded once for the three block sums (products of padded gradients are padded products)
    gx = pad_to_blocks(cv2.Scharr(g, cv2.CV_32F, 1, 0), block)
    gy = pad_to_blocks(cv2.Scharr(g, cv2.CV_32F, 0, 1), block)
    gxx = block_mean(gx * gx, block)
    gyy = block_mean(gy * gy, block)
    gxy = block_mean(gx * gy, block)
    a: np.ndarray = gxx - gyy
    b: np.ndarray = 2.0 * gxy
    e: np.ndarray = gxx + gyy
    if smoothing_blocks > 0:
        a = cv2.GaussianBlur(a, (0, 0), smoothing_blocks, borderType=cv2.BORDER_REPLICATE)
        b = cv2.GaussianBlur(b, (0, 0), smoothing_blocks, borderType=cv2.BORDER_REPLICATE)
        es = cv2.GaussianBlur(e, (0, 0), smoothing_blocks, borderType=cv2.BORDER_REPLICATE)
    else:
        es = e
    coherence = np.sqrt(a * a + b * b) / np.maximum(es, 1e-6)
    # gradient direction is 0.5*atan2(b, a); ridges run perpendicular to it
    theta = np.mod(0.5 * np.arctan2(b, a) + 0.5 * math.pi, math.pi).astype(np.float32)
    return OrientationField(theta, np.clip(coherence, 0.0, 1.0).astype(np.float32),
                            e.astype(np.float32),
                            np.stack([gxx - gyy, 2.0 * gxy, e]).astype(np.float32))
