"""The C declarations of the vendor libraries, as cffi reads them.

The same text is in ``native/include/*.h`` (the headers vendors and testers read);
``tests/drivers/sam/test_native_cdefs.py`` checks that the two agree. Kept here so that
an installed wheel, which has no ``native/`` folder, can still declare the functions.
"""

from __future__ import annotations

__all__ = ["SDTAPI_CDEF", "TERMB_CDEF", "WLT_CDEF", "declarations"]

WLT_CDEF = """
int unpack(char *src, char *dst, int code);
"""

SDTAPI_CDEF = """
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
"""

TERMB_CDEF = """
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
"""


def declarations(name: str) -> str:
    """The cdef text of ``sdtapi``, ``termb`` or ``wlt``."""
    return {"sdtapi": SDTAPI_CDEF, "termb": TERMB_CDEF, "wlt": WLT_CDEF}[name]
