"""Fingerprint processing: segmentation, orientation, frequency, enhancement,
minutiae extraction and quality, as pure functions over numpy arrays."""

from .template import KIND_CODES, FingerTemplate, Minutia, MinutiaKind

__all__ = ["KIND_CODES", "FingerTemplate", "Minutia", "MinutiaKind"]
