"""The ZKFinger SDK (libzkfp) C API: declarations, library spec and result codes.

:data:`CDEF` is the text of ``native/include/zkfinger.h`` from its first declaration on
(a test keeps the two identical), so the driver works from an installed wheel too.
"""

from __future__ import annotations

import enum

from ...transports.native import NativeLibrarySpec

__all__ = ["CDEF", "SPEC", "TEMPLATE_BUFFER", "ParamCode", "ZkResult"]

CDEF = """\
typedef void *HANDLE;

int WINAPI ZKFPM_Init(void);
int WINAPI ZKFPM_Terminate(void);
int WINAPI ZKFPM_GetDeviceCount(void);
HANDLE WINAPI ZKFPM_OpenDevice(int index);
int WINAPI ZKFPM_CloseDevice(HANDLE hDevice);
int WINAPI ZKFPM_SetParameters(HANDLE hDevice, int nParamCode, unsigned char *paramValue,
    unsigned int cbParamValue);
int WINAPI ZKFPM_GetParameters(HANDLE hDevice, int nParamCode, unsigned char *paramValue,
    unsigned int *cbParamValue);
int WINAPI ZKFPM_AcquireFingerprint(HANDLE hDevice, unsigned char *fpImage,
    unsigned int cbFPImage, unsigned char *fpTemplate, unsigned int *cbTemplate);
int WINAPI ZKFPM_AcquireFingerprintImage(HANDLE hDevice, unsigned char *fpImage,
    unsigned int cbFPImage);
HANDLE WINAPI ZKFPM_DBInit(void);
int WINAPI ZKFPM_DBFree(HANDLE hDBCache);
int WINAPI ZKFPM_DBMerge(HANDLE hDBCache, unsigned char *temp1, unsigned char *temp2,
    unsigned char *temp3, unsigned char *regTemp, unsigned int *cbRegTemp);
int WINAPI ZKFPM_DBAdd(HANDLE hDBCache, unsigned int fid, unsigned char *fpTemplate,
    unsigned int cbTemplate);
int WINAPI ZKFPM_DBDel(HANDLE hDBCache, unsigned int fid);
int WINAPI ZKFPM_DBClear(HANDLE hDBCache);
int WINAPI ZKFPM_DBCount(HANDLE hDBCache, unsigned int *fpCount);
int WINAPI ZKFPM_DBIdentify(HANDLE hDBCache, unsigned char *fpTemplate,
    unsigned int cbTemplate, unsigned int *FID, unsigned int *score);
int WINAPI ZKFPM_DBMatch(HANDLE hDBCache, unsigned char *template1, unsigned int cbTemplate1,
    unsigned char *template2, unsigned int cbTemplate2);
int WINAPI ZKFPM_ExtractFromImage(HANDLE hDBCache, const char *lpFilePathName,
    unsigned int DPI, unsigned char *fpTemplate, unsigned int *cbTemplate);
"""

SPEC = NativeLibrarySpec(
    driver="zkfinger",
    cdef=CDEF,
    linux_names=("libzkfp.so",),
    windows_names=("libzkfp.dll",),
    env_var="IDCAPTURE_ZKFP_LIB",
)

#: bytes to allocate for a template
TEMPLATE_BUFFER = 2048


class ParamCode(enum.IntEnum):
    """ZKFPM_Get/SetParameters codes."""

    IMAGE_WIDTH = 1
    IMAGE_HEIGHT = 2
    IMAGE_DPI = 3
    WHITE_LED = 101
    GREEN_LED = 102
    RED_LED = 103
    BEEP = 104
    IMAGE_DATA_SIZE = 106
    VID_PID = 1015
    VENDOR = 1101
    PRODUCT = 1102
    SERIAL = 1103
    ANTI_FAKE = 2002


class ZkResult(enum.IntEnum):
    """Result codes of the SDK functions."""

    OK = 0
    ALREADY_INIT = 1
    INIT_ALGORITHM = -1
    INIT_CAPTURE = -2
    NO_DEVICE = -3
    NOT_SUPPORTED = -4
    INVALID_PARAM = -5
    OPEN_FAILED = -6
    INVALID_HANDLE = -7
    CAPTURE_FAILED = -8
    EXTRACT_FAILED = -9
    ABORTED = -10
    OUT_OF_MEMORY = -11
    BUSY = -12
    ADD_TEMPLATE_FAILED = -13
    DELETE_FAILED = -14
    FAILED = -17
    CANCELLED = -18
    COMPARE_FAILED = -20
    MERGE_FAILED = -22
    NOT_OPENED = -23
    NOT_INITIALISED = -24
    ALREADY_OPENED = -25
    IMAGE_FILE_OPEN_FAILED = -26
    IMAGE_PROCESSING_FAILED = -27
    TIMEOUT = -28

    @classmethod
    def describe(cls, code: int) -> str:
        try:
            return cls(code).name.lower().replace("_", "-")
        except ValueError:
            return f"unknown-{code}"
