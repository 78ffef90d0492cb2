"""The ID_FprCap capture library (``LIVESCAN_*``): declarations, library spec, result codes.

:data:`CDEF` is the text of ``native/include/id_fprcap.h`` without its comment (a test
keeps the two identical), so the driver works from an installed wheel too.
"""

from __future__ import annotations

from ...transports.native import NativeLibrarySpec
from ..idfpr.api import ResultCode

__all__ = ["CDEF", "HEIGHT", "IMAGE_SIZE", "SPEC", "WIDTH", "LiveScanResult"]

CDEF = """\
int WINAPI LIVESCAN_Init(void);
int WINAPI LIVESCAN_Close(void);
int WINAPI LIVESCAN_GetChannelCount(void);
int WINAPI LIVESCAN_SetBright(int nChannel, int nBright);
int WINAPI LIVESCAN_SetContrast(int nChannel, int nContrast);
int WINAPI LIVESCAN_GetBright(int nChannel, int *pnBright);
int WINAPI LIVESCAN_GetContrast(int nChannel, int *pnContrast);
int WINAPI LIVESCAN_GetMaxImageSize(int nChannel, int *pnWidth, int *pnHeight);
int WINAPI LIVESCAN_GetCaptWindow(int nChannel, int *pnOriginX, int *pnOriginY,
    int *pnWidth, int *pnHeight);
int WINAPI LIVESCAN_SetCaptWindow(int nChannel, int nOriginX, int nOriginY, int nWidth,
    int nHeight);
int WINAPI LIVESCAN_Setup(void);
int WINAPI LIVESCAN_IsSupportSetup(void);
int WINAPI LIVESCAN_BeginCapture(int nChannel);
int WINAPI LIVESCAN_GetFPRawData(int nChannel, unsigned char *pRawData);
int WINAPI LIVESCAN_GetFPBmpData(int nChannel, unsigned char *pBmpData);
int WINAPI LIVESCAN_EndCapture(int nChannel);
int WINAPI LIVESCAN_GetVersion(void);
int WINAPI LIVESCAN_GetDesc(char pszDesc[1024]);
int WINAPI LIVESCAN_GetErrorInfo(int nErrorNo, char pszErrorInfo[256]);
int WINAPI LIVESCAN_SetBufferEmpty(unsigned char *pImageData, long imageLength);
"""

SPEC = NativeLibrarySpec(
    driver="livescan",
    cdef=CDEF,
    linux_names=("libID_FprCap.so", "ID_FprCap.so"),
    windows_names=("ID_FprCap.dll",),
    env_var="IDCAPTURE_LIVESCAN_LIB",
)

#: the ID-card scanner's image: 256 x 360 8-bit grey at 500 dpi
WIDTH, HEIGHT = 256, 360
IMAGE_SIZE = WIDTH * HEIGHT


class LiveScanResult(ResultCode):
    """Return codes of the LIVESCAN_* functions (vendor codes are -101 and below)."""

    SUCCESS = 1
    PARAMETER = -1
    MEMORY = -2
    NOT_IMPLEMENTED = -3
    NO_DEVICE = -4
    NOT_INITIALISED = -5
    ILLEGAL_ERROR_NUMBER = -6
    NO_LICENCE = -7
    OTHER = -9
