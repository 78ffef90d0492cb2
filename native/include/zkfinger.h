/* ZKFinger SDK (libzkfp) C API, as read by cffi (ABI mode).
 * Plain declarations only: cffi reads this text; WINAPI becomes __stdcall on 32-bit
 * Windows and nothing elsewhere. A C file that includes it defines WINAPI first.
 * All ints are 32-bit; HANDLE is an opaque pointer. */
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
