/* A simulator of the sdtapi ABI (native/include/sdtapi.h) backed by a card image file
 * (see simcard.h). Ports 1-16 and 1001-1016 exist; a SAM answers on each. */
#include "sdtapi.h"
#include "simcard.h"

static int g_open_port;
static const unsigned char SAM_ID[16] = {0x05, 0x00, 0x01, 0x00, 0x67, 0xB8, 0x32, 0x01,
                                         0xB3, 0x21, 0x0D, 0x01, 0xF6, 0x8F, 0x0E, 0x88};

static int valid_port(int p) { return (p >= 1 && p <= 16) || (p >= 1001 && p <= 1016); }
static int ready(int p, int if_open) {
    if (!valid_port(p)) return 0;
    return if_open || g_open_port == p;
}

int SDT_OpenPort(int iPort) {
    if (!valid_port(iPort)) return 0x01;
    g_open_port = iPort;
    return 0x90;
}
int SDT_ClosePort(int iPort) {
    if (iPort != g_open_port) return 0x01;
    g_open_port = 0;
    return 0x90;
}
int SDT_GetCOMBaud(int iPort, unsigned int *puiBaud) {
    if (!valid_port(iPort)) return 0x01;
    *puiBaud = 115200;
    return 0x90;
}
int SDT_SetCOMBaud(int iPort, unsigned int uiCurrBaud, unsigned int uiSetBaud) {
    static const unsigned int rates[] = {115200, 57600, 38400, 19200, 9600};
    int cur = 0, set = 0;
    if (!valid_port(iPort)) return 0x01;
    for (int i = 0; i < 5; i++) { cur |= rates[i] == uiCurrBaud; set |= rates[i] == uiSetBaud; }
    if (!cur || !set) return 0x21;
    return 0x90;
}
int SDT_SetMaxRFByte(int iPort, unsigned char ucByte, int iIfOpen) {
    if (!ready(iPort, iIfOpen)) return 0x01;
    return ucByte >= 24 ? 0x90 : 0x21;
}
int SDT_ResetSAM(int iPort, int iIfOpen) { return ready(iPort, iIfOpen) ? 0x90 : 0x01; }
int SDT_GetSAMStatus(int iPort, int iIfOpen) {
    SIM_FAULT_RETURN();
    return ready(iPort, iIfOpen) ? 0x90 : 0x01;
}
int SDT_GetSAMID(int iPort, unsigned char *pucSAMID, int iIfOpen) {
    if (!ready(iPort, iIfOpen)) return 0x01;
    memcpy(pucSAMID, SAM_ID, 16);
    return 0x90;
}
int SDT_GetSAMIDToStr(int iPort, char *pcSAMID, int iIfOpen) {
    const unsigned char *d = SAM_ID;
    if (!ready(iPort, iIfOpen)) return 0x01;
    unsigned a = d[0] | d[1] << 8, b = d[2] | d[3] << 8;
    unsigned long c = (unsigned long)d[4] | (unsigned long)d[5] << 8 |
                      (unsigned long)d[6] << 16 | (unsigned long)d[7] << 24;
    unsigned long e = (unsigned long)d[8] | (unsigned long)d[9] << 8 |
                      (unsigned long)d[10] << 16 | (unsigned long)d[11] << 24;
    unsigned long f = (unsigned long)d[12] | (unsigned long)d[13] << 8 |
                      (unsigned long)d[14] << 16 | (unsigned long)d[15] << 24;
    snprintf(pcSAMID, 37, "%02u.%02u-%08lu-%010lu-%010lu", a, b, c, e, f);
    return 0x90;
}
int SDT_StartFindIDCard(int iPort, unsigned char *pucIIN, int iIfOpen) {
    SIM_FAULT_RETURN();
    if (!ready(iPort, iIfOpen)) return 0x01;
    g_selected = 0;
    if (!sim_card_poll() || g_consumed) return 0x80;
    memset(pucIIN, 0, 4);
    g_selected = 1;  /* found; select confirms */
    return 0x9F;
}
int SDT_SelectIDCard(int iPort, unsigned char *pucSN, int iIfOpen) {
    SIM_FAULT_RETURN();
    if (!ready(iPort, iIfOpen)) return 0x01;
    if (!g_selected || !sim_card_poll()) return 0x81;
    memset(pucSN, 0, 8);
    g_selected = 2;
    return 0x90;
}
static int read_blocks(int iPort, unsigned char *ch, unsigned int *chlen, unsigned char *ph,
                       unsigned int *phlen, int iIfOpen) {
    if (!ready(iPort, iIfOpen)) return 0x01;
    if (g_selected != 2 || !sim_card_poll()) return 0x41;
    memcpy(ch, g_card.text, g_card.text_len); *chlen = g_card.text_len;
    memcpy(ph, g_card.photo, g_card.photo_len); *phlen = g_card.photo_len;
    g_consumed = 1;
    return 0x90;
}
int SDT_ReadBaseMsg(int iPort, unsigned char *pucCHMsg, unsigned int *puiCHMsgLen,
                    unsigned char *pucPHMsg, unsigned int *puiPHMsgLen, int iIfOpen) {
    SIM_FAULT_RETURN();
    int rc = read_blocks(iPort, pucCHMsg, puiCHMsgLen, pucPHMsg, puiPHMsgLen, iIfOpen);
    long n = sim_fault_len(__func__);
    if (rc == 0x90 && n >= 0) *puiCHMsgLen = (unsigned int)n;
    return rc;
}
int SDT_ReadBaseFPMsg(int iPort, unsigned char *pucCHMsg, unsigned int *puiCHMsgLen,
                      unsigned char *pucPHMsg, unsigned int *puiPHMsgLen,
                      unsigned char *pucFPMsg, unsigned int *puiFPMsgLen, int iIfOpen) {
    SIM_FAULT_RETURN();
    int rc = read_blocks(iPort, pucCHMsg, puiCHMsgLen, pucPHMsg, puiPHMsgLen, iIfOpen);
    if (rc != 0x90) return rc;
    long n = sim_fault_len(__func__);
    if (n >= 0) *puiCHMsgLen = (unsigned int)n;
    memcpy(pucFPMsg, g_card.fp, g_card.fp_len);
    *puiFPMsgLen = g_card.fp_len;
    return 0x90;
}
int SDT_ReadNewAppMsg(int iPort, unsigned char *pucAppMsg, unsigned int *puiAppMsgLen,
                      int iIfOpen) {
    SIM_FAULT_RETURN();
    if (!ready(iPort, iIfOpen)) return 0x01;
    if (g_selected != 2 || !g_have_card) return 0x41;
    if (g_card.app_len == 0) { *puiAppMsgLen = 0; return 0x91; }
    memcpy(pucAppMsg, g_card.app, g_card.app_len);
    *puiAppMsgLen = g_card.app_len;
    return 0x90;
}
int SDT_ReadMngInfo(int iPort, unsigned char *pucManageMsg, int iIfOpen) {
    if (!ready(iPort, iIfOpen)) return 0x01;
    if (g_selected != 2 || !g_have_card) return 0x41;
    memset(pucManageMsg, 0, 28);
    return 0x90;
}
