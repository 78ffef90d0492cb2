/* sdtapi: the protocol-level ID-card reader API most reader vendors ship
 * (sdtapi.dll / libsdtapi.so). Windows: __stdcall (WINAPI). Every function returns an
 * int status: 0x90 success, 0x9F card found, other SW3 values, or the host codes 0x01
 * (port), 0x02 (timeout), 0x03 (transfer), 0x05 (baud undetectable). Ports 1-16 are
 * COM1-16, 1001-1016 USB readers.
 * Declarations for cffi (ABI mode); no vendor binary is shipped. */
#ifndef WINAPI
#define WINAPI
#endif
int WINAPI SDT_OpenPort(int iPort);
int WINAPI SDT_ClosePort(int iPort);
int WINAPI SDT_GetCOMBaud(int iPort, unsigned int *puiBaud);
int WINAPI SDT_SetCOMBaud(int iPort, unsigned int uiCurrBaud, unsigned int uiSetBaud);
int WINAPI SDT_SetMaxRFByte(int iPort, unsigned char ucByte, int iIfOpen);
int WINAPI SDT_ResetSAM(int iPort, int iIfOpen);
int WINAPI SDT_GetSAMStatus(int iPort, int iIfOpen);
int WINAPI SDT_GetSAMID(int iPort, unsigned char *pucSAMID, int iIfOpen);
int WINAPI SDT_GetSAMIDToStr(int iPort, char *pcSAMID, int iIfOpen);
int WINAPI SDT_StartFindIDCard(int iPort, unsigned char *pucIIN, int iIfOpen);
int WINAPI SDT_SelectIDCard(int iPort, unsigned char *pucSN, int iIfOpen);
int WINAPI SDT_ReadBaseMsg(int iPort, unsigned char *pucCHMsg, unsigned int *puiCHMsgLen,
                           unsigned char *pucPHMsg, unsigned int *puiPHMsgLen, int iIfOpen);
int WINAPI SDT_ReadBaseFPMsg(int iPort, unsigned char *pucCHMsg, unsigned int *puiCHMsgLen,
                             unsigned char *pucPHMsg, unsigned int *puiPHMsgLen,
                             unsigned char *pucFPMsg, unsigned int *puiFPMsgLen, int iIfOpen);
int WINAPI SDT_ReadNewAppMsg(int iPort, unsigned char *pucAppMsg, unsigned int *puiAppMsgLen,
                             int iIfOpen);
int WINAPI SDT_ReadMngInfo(int iPort, unsigned char *pucManageMsg, int iIfOpen);
