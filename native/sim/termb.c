/* A simulator of the China Vision termb/CVR ABI (native/include/termb.h) backed by a card
 * image file (see simcard.h). Text getters return GBK, as the ANSI builds do: dates as
 * YYYYMMDD (or 长期), sex as 男/女, the ethnic group by name (汉...). For 2017 foreigner
 * cards GetPeopleName gives the English name and GetPeopleChineseName the Chinese one. */
#include <iconv.h>
#include "termb.h"
#include "simcard.h"

static int g_port;
static char g_fields[16][160];
static int g_read;

static const char *ETHNIC[] = {"", "汉", "蒙古", "回", "藏", "维吾尔", "苗", "彝", "壮", "布依",
    "朝鲜", "满", "侗", "瑶", "白", "土家", "哈尼", "哈萨克", "傣", "黎", "傈僳", "佤", "畲",
    "高山", "拉祜", "水", "东乡", "纳西", "景颇", "柯尔克孜", "土", "达斡尔", "仫佬", "羌", "布朗",
    "撒拉", "毛南", "仡佬", "锡伯", "阿昌", "普米", "塔吉克", "怒", "乌孜别克", "俄罗斯", "鄂温克",
    "德昂", "保安", "裕固", "京", "塔塔尔", "独龙", "鄂伦春", "赫哲", "门巴", "珞巴", "基诺"};
enum { F_NAME, F_SEX, F_NATION, F_BIRTH, F_ADDR, F_ID, F_DEPT, F_START, F_END, F_NATCODE,
       F_CNAME, F_TYPE, F_PASS, F_ISSUES };

/* UCS-2LE slot of src -> GBK, trailing spaces removed. */
static void slot_of(const unsigned char *src, char *out, size_t outsz, int off, int len) {
    int n = len;
    while (n >= 2 && (src[off + n - 2] == 0x20 || src[off + n - 2] == 0) && src[off + n - 1] == 0)
        n -= 2;
    iconv_t cd = iconv_open("GBK", "UTF-16LE");
    char *in = (char *)src + off, *o = out;
    size_t inleft = (size_t)n, outleft = outsz - 1;
    if (cd != (iconv_t)-1) { iconv(cd, &in, &inleft, &o, &outleft); iconv_close(cd); }
    *o = 0;
}

/* A slot of the card's text block. */
static void slot(char *out, size_t outsz, int off, int len) { slot_of(g_card.text, out, outsz, off, len); }

/* The C source is UTF-8; the API speaks GBK. */
static void to_gbk(char *out, size_t outsz, const char *utf8) {
    iconv_t cd = iconv_open("GBK", "UTF-8");
    char *in = (char *)utf8, *o = out;
    size_t inleft = strlen(utf8), outleft = outsz - 1;
    if (cd != (iconv_t)-1) { iconv(cd, &in, &inleft, &o, &outleft); iconv_close(cd); }
    *o = 0;
}

static void fill(void) {
    char tmp[160];
    memset(g_fields, 0, sizeof g_fields);
    char type = (char)g_card.text[248];
    g_fields[F_TYPE][0] = type;
    if (type == 'I') {
        slot(g_fields[F_NAME], 160, 0, 120); slot(tmp, 160, 120, 2);
        slot(g_fields[F_ID], 160, 122, 30); slot(g_fields[F_NATCODE], 160, 152, 6);
        slot(g_fields[F_CNAME], 160, 158, 30); slot(g_fields[F_START], 160, 188, 16);
        slot(g_fields[F_END], 160, 204, 16); slot(g_fields[F_BIRTH], 160, 220, 16);
        slot(g_fields[F_DEPT], 160, 240, 8);
    } else {
        slot(g_fields[F_NAME], 160, 0, 30); slot(tmp, 160, 30, 2);
        slot(g_fields[F_BIRTH], 160, 36, 16); slot(g_fields[F_ADDR], 160, 52, 70);
        slot(g_fields[F_ID], 160, 122, 36); slot(g_fields[F_DEPT], 160, 158, 30);
        slot(g_fields[F_START], 160, 188, 16); slot(g_fields[F_END], 160, 204, 16);
        if (type == 'J') { slot(g_fields[F_PASS], 160, 220, 18); slot(g_fields[F_ISSUES], 160, 238, 4); }
        if (type == 'Y') {
            char a[80], b[40]; slot(g_fields[F_CNAME], 160, 0, 30);
            /* English name: the 35 characters at 52 then 11 at 220 */
            slot(a, 80, 52, 70); slot(b, 40, 220, 22);
            size_t la = strlen(a); while (la < 35 && b[0]) a[la++] = ' ';
            a[la] = 0; snprintf(g_fields[F_NAME], 160, "%s%s", a, b);
            slot(g_fields[F_NATCODE], 160, 242, 6); g_fields[F_ADDR][0] = 0;
        }
        if (type != 'I' && type != 'J' && type != 'Y') {
            char code[8]; slot(code, 8, 32, 4); int c = atoi(code);
            if (c >= 1 && c <= 56) to_gbk(g_fields[F_NATION], 160, ETHNIC[c]);
            else snprintf(g_fields[F_NATION], 160, "%s", code);
        }
    }
    to_gbk(g_fields[F_SEX], 160, tmp[0] == '1' ? "男" : tmp[0] == '2' ? "女" : "未知");
}

int CVR_InitComm(int Port) {
    if (!((Port >= 1 && Port <= 16) || (Port >= 1001 && Port <= 1016))) return 2;
    g_port = Port; return 1;
}
int CVR_CloseComm(void) { g_port = 0; return 1; }
static int auth(int judge) {
    if (!g_port) return 0;
    if (!sim_card_poll()) return 2;
    if (judge && g_consumed) return 2;
    g_selected = 2; return 1;
}
int CVR_Authenticate(void) { SIM_FAULT_RETURN(); return auth(1); }
int CVR_AuthenticateForNoJudge(void) { return auth(0); }
int CVR_Read_Content(int Active) {
    (void)Active;
    SIM_FAULT_RETURN();
    if (!g_port || g_selected != 2 || !sim_card_poll()) return 0;
    fill(); g_read = 1; g_consumed = 1; return 1;
}
int CVR_Read_FPContent(void) { SIM_FAULT_RETURN(); return CVR_Read_Content(1); }

static int get(int f, char *s, int *len) {
    if (!g_read) return 0;
    int n = (int)strlen(g_fields[f]);
    memcpy(s, g_fields[f], (size_t)n + 1); *len = n; return 1;
}
int GetPeopleName(char *s, int *l) { return get(F_NAME, s, l); }
int GetPeopleSex(char *s, int *l) { return get(F_SEX, s, l); }
int GetPeopleNation(char *s, int *l) { return get(F_NATION, s, l); }
int GetPeopleBirthday(char *s, int *l) { return get(F_BIRTH, s, l); }
int GetPeopleAddress(char *s, int *l) { return get(F_ADDR, s, l); }
int GetPeopleIDCode(char *s, int *l) { return get(F_ID, s, l); }
int GetDepartment(char *s, int *l) { return get(F_DEPT, s, l); }
int GetStartDate(char *s, int *l) { return get(F_START, s, l); }
int GetEndDate(char *s, int *l) { return get(F_END, s, l); }
int GetNationCode(char *s, int *l) { return get(F_NATCODE, s, l); }
int GetPeopleChineseName(char *s, int *l) { return get(F_CNAME, s, l); }
int GetCertType(char *s, int *l) { return get(F_TYPE, s, l); }
int GetPassCheckID(char *s, int *l) { return get(F_PASS, s, l); }
int GetIssuesNum(char *s, int *l) { return get(F_ISSUES, s, l); }
int GetFPDate(char *s, int *l) {
    if (!g_read) return 0;
    memcpy(s, g_card.fp, g_card.fp_len); *l = (int)g_card.fp_len; return 1;
}
int GetBMPData(unsigned char *p, int *l) { (void)p; *l = 0; return 0; }
/* The appended (newest) addresses in GBK, one per line, oldest first; empty when the
 * card has none. */
int GetNewAppMsg(char *s, int *l) {
    if (!g_read) return 0;
    char line[160];
    size_t n = 0;
    s[0] = 0;
    for (unsigned int off = 0; off + 70 <= g_card.app_len; off += 70) {
        slot_of(g_card.app, line, sizeof line, (int)off, 70);
        if (!line[0]) continue;
        n += (size_t)snprintf(s + n, 512 - n, "%s%s", n ? "\n" : "", line);
    }
    long bad = sim_fault_len(__func__);  /* an address of that many characters */
    if (bad >= 0 && bad < 512) { memset(s, 'X', (size_t)bad); s[bad] = 0; n = (size_t)bad; }
    *l = (int)n; return 1;
}
