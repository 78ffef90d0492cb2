/* termb / CVR: the China Vision (华视) reader API (termb.dll / libtermb.so).
 * Windows: __stdcall (WINAPI). Functions return 1 on success. Text getters fill a
 * caller buffer with GBK text and set *strLen to its length in bytes.
 * Declarations for cffi (ABI mode); no vendor binary is shipped. */
#ifndef WINAPI
#define WINAPI
#endif
int WINAPI CVR_InitComm(int Port);
int WINAPI CVR_Authenticate(void);
int WINAPI CVR_AuthenticateForNoJudge(void);
int WINAPI CVR_Read_Content(int Active);
int WINAPI CVR_Read_FPContent(void);
int WINAPI CVR_CloseComm(void);
int WINAPI GetPeopleName(char *strTmp, int *strLen);
int WINAPI GetPeopleSex(char *strTmp, int *strLen);
int WINAPI GetPeopleNation(char *strTmp, int *strLen);
int WINAPI GetPeopleBirthday(char *strTmp, int *strLen);
int WINAPI GetPeopleAddress(char *strTmp, int *strLen);
int WINAPI GetPeopleIDCode(char *strTmp, int *strLen);
int WINAPI GetDepartment(char *strTmp, int *strLen);
int WINAPI GetStartDate(char *strTmp, int *strLen);
int WINAPI GetEndDate(char *strTmp, int *strLen);
int WINAPI GetNationCode(char *strTmp, int *strLen);
int WINAPI GetPeopleChineseName(char *strTmp, int *strLen);
int WINAPI GetCertType(char *strTmp, int *strLen);
int WINAPI GetPassCheckID(char *strTmp, int *strLen);
int WINAPI GetIssuesNum(char *strTmp, int *strLen);
int WINAPI GetFPDate(char *strTmp, int *strLen);
int WINAPI GetNewAppMsg(char *strTmp, int *strLen);
int WINAPI GetBMPData(unsigned char *pData, int *pLen);
