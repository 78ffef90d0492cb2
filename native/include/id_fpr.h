/* ID_Fpr: the fingerprint algorithm library of ID-card fingerprint scanners (GA/T 1012
 * templates: 512 bytes, the format of the ID card's fingerprint records). ID_Fpr.dll is
 * a 32-bit __stdcall DLL (WINAPI), ID_Fpr.so / libID_Fpr.so are cdecl. Every function
 * returns an int: 1 success, -1 parameter, -2 memory, -3 not implemented, -9 other
 * (FP_Compress/FP_Decompress report some errors as -4 with a message in strBuf).
 * Images are raw 256 x 360 8-bit grey (92,160 bytes); similarities are 0.00-1.00.
 * Declarations for cffi (ABI mode); no vendor binary is shipped. */
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
