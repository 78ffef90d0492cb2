/* ID_FprCap: the capture library of ID-card fingerprint scanners (GA/T 626.1 LIVESCAN_*
 * subset used for second-generation ID cards). ID_FprCap.dll is a 32-bit __stdcall DLL
 * (WINAPI), ID_FprCap.so / libID_FprCap.so are cdecl. Every function returns an int:
 * 1 success, -1 parameter, -2 memory, -3 not implemented, -4 no device, -5 not
 * initialised, -6 illegal error number, -7 no licence, -9 other, <= -101 vendor codes.
 * Images are 256 x 360 8-bit grey at 500 dpi; raw rows top-down, BMP rows bottom-up.
 * Declarations for cffi (ABI mode); no vendor binary is shipped. */
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
