"""The ID_Fpr algorithm library (``FP_*``): declarations, library spec, result codes.

:data:`CDEF` is the text of ``native/include/id_fpr.h`` without its comment (a test
keeps the two identical), so the driver works from an installed wheel too.
"""

from __future__ import annotations

import enum

from ...transports.native import NativeLibrarySpec

__all__ = ["CDEF", "HEIGHT", "IMAGE_SIZE", "SPEC", "WIDTH", "FprResult", "ResultCode"]

CDEF = """\
int WINAPI FP_GetVersion(unsigned char code[4]);
int WINAPI FP_Begin(void);
int WINAPI FP_End(void);
int WINAPI FP_FeatureExtract(unsigned char cScannerType, unsigned char cFingerCode,
    unsigned char *pFingerImgBuf, unsigned char *pFeatureData);
int WINAPI FP_FeatureMatch(unsigned char *pFeatureData1, unsigned char *pFeatureData2,
    float *pfSimilarity);
int WINAPI FP_ImageMatch(unsigned char *pFingerImgBuf, unsigned char *pFeatureData,
    float *pfSimilarity);
int WINAPI FP_Compress(unsigned char cScannerType, unsigned char cEnrolResult,
    unsigned char cFingerCode, unsigned char *pFingerImgBuf, int nCompressRatio,
    unsigned char *pCompressedImgBuf, unsigned char strBuf[256]);
int WINAPI FP_Decompress(unsigned char *pCompressedImgBuf, unsigned char *pFingerImgBuf,
    unsigned char strBuf[256]);
int WINAPI FP_GetQualityScore(unsigned char *pFingerImgBuf, unsigned char *pnScore);
int WINAPI FP_GenFeatureFromEmpty1(unsigned char cScannerType, unsigned char cFingerCode,
    unsigned char *pFeatureData);
int WINAPI FP_GenFeatureFromEmpty2(unsigned char cFingerCode, unsigned char *pFeatureData);
"""

SPEC = NativeLibrarySpec(
    driver="idfpr",
    cdef=CDEF,
    linux_names=("libID_Fpr.so", "ID_Fpr.so"),
    windows_names=("ID_Fpr.dll",),
    env_var="IDCAPTURE_IDFPR_LIB",
)

#: the raw image the algorithm takes: 256 x 360 8-bit grey, rows top-down
WIDTH, HEIGHT = 256, 360
IMAGE_SIZE = WIDTH * HEIGHT


class ResultCode(enum.IntEnum):
    """Base of the return-code enums of the ID-card fingerprint libraries."""

    @classmethod
    def describe(cls, code: int) -> str:
        """``not-implemented`` for -3; ``vendor-N`` for -101 and below; ``unknown-N``."""
        if code <= -101:
            return f"vendor-{-code}"
        try:
            return cls(code).name.lower().replace("_", "-")
        except ValueError:
            return f"unknown-{code}"


class FprResult(ResultCode):
    """Return codes of the FP_* functions."""

    SUCCESS = 1
    PARAMETER = -1
    MEMORY = -2
    NOT_IMPLEMENTED = -3
    COMPRESSION = -4
    OTHER = -9
