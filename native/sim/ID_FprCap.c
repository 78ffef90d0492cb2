/* A simulator of the ID_FprCap (LIVESCAN_*) ABI for tests: builds libID_FprCap.so.
 *
 * One channel, a 256 x 360 window at 500 dpi. Each LIVESCAN_GetFPRawData /
 * GetFPBmpData call during a capture takes the next scripted frame from a queue: a
 * finger image (returns 1), an empty glass (returns 1 with a frame filled with 0xFA, as
 * scanners do), any return code (the call returns it), or "unplugged" (-4 from every
 * call until LSSim_Plug). When the queue is empty the default frame repeats (an empty
 * glass unless LSSim_SetDefault put a finger there). Brightness and contrast (0-255,
 * 128 neutral) are applied to the frames: out = (in - 128) * contrast / 128 + 128 +
 * (brightness - 128), clipped.
 *
 * Frames come from the control functions LSSim_* (exported only by this simulator) or,
 * at LIVESCAN_Init, from the feed file named by IDCAPTURE_LSSIM_FEED: "LSSIMFD1" then
 * records of int32 status (little endian) and, when the status is 1, 92,160 grey bytes.
 *
 * State rules: calls before LIVESCAN_Init return -5 (LSSim_SetUninitCode changes that,
 * e.g. to -4 as one vendor does); a channel other than 0 returns -1; frames outside
 * BeginCapture/EndCapture return -9; LSSim_SetInitResult makes Init fail (-7 licence,
 * -4 no device...); LSSim_InjectNext(name, rc) makes the next call of one function
 * return rc; LSSim_SetFrameDelay(ms) makes each frame take that long, as a scanner's
 * frame rate does.
 */
#define _POSIX_C_SOURCE 200809L
#define WINAPI
#include "id_fprcap.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SIM_W 256
#define SIM_H 360
#define SIM_SIZE (SIM_W * SIM_H)
#define BLANK 0xFA
#define LSSIM_FINGER 1
#define LSSIM_EMPTY 0
#define LSSIM_UNPLUG 1000

typedef struct Frame {
    int status;
    unsigned char *image;
    struct Frame *next;
} Frame;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int initialised, capturing, unplugged, init_result = 1, uninit_code = -5;
static int bright = 128, contrast = 128, frame_delay_ms, frames_served;
static Frame *head, *tail;
static Frame fallback = {LSSIM_EMPTY, NULL, NULL};
static char inject_name[64];
static int inject_rc;

static int injected(const char *name, int *rc) {
    if (inject_name[0] && strcmp(inject_name, name) == 0) {
        inject_name[0] = 0;
        *rc = inject_rc;
        return 1;
    }
    return 0;
}

/* the common entry checks; returns 0 when the call may go on, else its return code */
static int gate(const char *name, int channel, int check_channel) {
    int rc;
    if (injected(name, &rc)) return rc;
    if (unplugged) return -4;
    if (!initialised) return uninit_code;
    if (check_channel && channel != 0) return -1;
    return 0;
}

#define GATE(name, ch, chk)                                                                \
    pthread_mutex_lock(&lock);                                                             \
    int rc_ = gate(name, ch, chk);                                                         \
    if (rc_) {                                                                             \
        pthread_mutex_unlock(&lock);                                                       \
        return rc_;                                                                        \
    }

#define DONE(v)                                                                            \
    do {                                                                                   \
        pthread_mutex_unlock(&lock);                                                       \
        return (v);                                                                        \
    } while (0)

static Frame *new_frame(int status, const unsigned char *image) {
    Frame *f = calloc(1, sizeof *f);
    if (!f) return NULL;
    f->status = status;
    if (status == LSSIM_FINGER) {
        f->image = malloc(SIM_SIZE);
        if (!f->image) {
            free(f);
            return NULL;
        }
        memcpy(f->image, image, SIM_SIZE);
    }
    return f;
}

static void free_frame(Frame *f) {
    if (f) {
        free(f->image);
        free(f);
    }
}

/* ------------------------------------------------------------------ control API */

int LSSim_Reset(void) {
    pthread_mutex_lock(&lock);
    while (head) {
        Frame *n = head->next;
        free_frame(head);
        head = n;
    }
    tail = NULL;
    free(fallback.image);
    fallback.image = NULL;
    fallback.status = LSSIM_EMPTY;
    initialised = capturing = unplugged = frames_served = frame_delay_ms = 0;
    init_result = 1;
    uninit_code = -5;
    bright = contrast = 128;
    inject_name[0] = 0;
    pthread_mutex_unlock(&lock);
    return 1;
}

int LSSim_Push(int status, const unsigned char *image) {
    if (status == LSSIM_FINGER && !image) return -1;
    Frame *f = new_frame(status, image);
    if (!f) return -2;
    pthread_mutex_lock(&lock);
    if (tail) tail->next = f; else head = f;
    tail = f;
    pthread_mutex_unlock(&lock);
    return 1;
}

int LSSim_SetDefault(int status, const unsigned char *image) {
    if (status == LSSIM_FINGER && !image) return -1;
    if (status == LSSIM_UNPLUG) return -1;
    unsigned char *copy = NULL;
    if (status == LSSIM_FINGER) {
        copy = malloc(SIM_SIZE);
        if (!copy) return -2;
        memcpy(copy, image, SIM_SIZE);
    }
    pthread_mutex_lock(&lock);
    free(fallback.image);
    fallback.image = copy;
    fallback.status = status;
    pthread_mutex_unlock(&lock);
    return 1;
}

int LSSim_Pending(void) {
    int n = 0;
    pthread_mutex_lock(&lock);
    for (Frame *f = head; f; f = f->next) n++;
    pthread_mutex_unlock(&lock);
    return n;
}

int LSSim_FramesServed(void) { return frames_served; }
int LSSim_IsInitialised(void) { return initialised; }
int LSSim_IsCapturing(void) { return capturing; }

int LSSim_Plug(void) {
    pthread_mutex_lock(&lock);
    unplugged = 0;
    pthread_mutex_unlock(&lock);
    return 1;
}

int LSSim_SetInitResult(int rc) {
    init_result = rc;
    return 1;
}

int LSSim_SetUninitCode(int rc) {
    uninit_code = rc;
    return 1;
}

int LSSim_SetFrameDelay(int ms) {
    if (ms < 0 || ms > 10000) return -1;
    frame_delay_ms = ms;
    return 1;
}

int LSSim_InjectNext(const char *name, int rc) {
    if (!name || strlen(name) >= sizeof inject_name) return -1;
    pthread_mutex_lock(&lock);
    strcpy(inject_name, name);
    inject_rc = rc;
    pthread_mutex_unlock(&lock);
    return 1;
}

int LSSim_LoadFeed(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return -9;
    char magic[8];
    int rc = 1;
    unsigned char *img = malloc(SIM_SIZE);
    if (!img) rc = -2;
    else if (fread(magic, 1, 8, f) != 8 || memcmp(magic, "LSSIMFD1", 8) != 0) rc = -9;
    while (rc == 1) {
        int32_t status;
        if (fread(&status, sizeof status, 1, f) != 1) break;
        if (status == LSSIM_FINGER && fread(img, 1, SIM_SIZE, f) != SIM_SIZE) {
            rc = -9;
            break;
        }
        rc = LSSim_Push(status, img);
    }
    free(img);
    fclose(f);
    return rc;
}

/* ------------------------------------------------------------------ LIVESCAN API */

int WINAPI LIVESCAN_Init(void) {
    pthread_mutex_lock(&lock);
    int rc;
    if (injected("LIVESCAN_Init", &rc)) DONE(rc);
    if (unplugged) DONE(-4);
    if (init_result != 1) DONE(init_result);
    if (!initialised) {
        initialised = 1;
        const char *feed = getenv("IDCAPTURE_LSSIM_FEED");
        if (feed && *feed) {
            pthread_mutex_unlock(&lock);
            rc = LSSim_LoadFeed(feed);
            if (rc != 1) {
                pthread_mutex_lock(&lock);
                initialised = 0;
                DONE(-9);
            }
            return 1;
        }
    }
    DONE(1);
}

int WINAPI LIVESCAN_Close(void) {
    pthread_mutex_lock(&lock);
    int rc;
    if (injected("LIVESCAN_Close", &rc)) DONE(rc);
    initialised = capturing = 0;
    DONE(1);
}

int WINAPI LIVESCAN_GetChannelCount(void) {
    GATE("LIVESCAN_GetChannelCount", 0, 0);
    DONE(1);
}

static int set_level(const char *name, int channel, int value, int *target) {
    GATE(name, channel, 1);
    if (value < 0 || value > 255) DONE(-1);
    *target = value;
    DONE(1);
}

static int get_level(const char *name, int channel, int *out, const int *source) {
    GATE(name, channel, 1);
    if (!out) DONE(-1);
    *out = *source;
    DONE(1);
}

int WINAPI LIVESCAN_SetBright(int ch, int v) { return set_level("LIVESCAN_SetBright", ch, v, &bright); }
int WINAPI LIVESCAN_SetContrast(int ch, int v) {
    return set_level("LIVESCAN_SetContrast", ch, v, &contrast);
}
int WINAPI LIVESCAN_GetBright(int ch, int *v) { return get_level("LIVESCAN_GetBright", ch, v, &bright); }
int WINAPI LIVESCAN_GetContrast(int ch, int *v) {
    return get_level("LIVESCAN_GetContrast", ch, v, &contrast);
}

int WINAPI LIVESCAN_GetMaxImageSize(int ch, int *w, int *h) {
    GATE("LIVESCAN_GetMaxImageSize", ch, 1);
    if (!w || !h) DONE(-1);
    *w = SIM_W;
    *h = SIM_H;
    DONE(1);
}

int WINAPI LIVESCAN_GetCaptWindow(int ch, int *x, int *y, int *w, int *h) {
    GATE("LIVESCAN_GetCaptWindow", ch, 1);
    if (!x || !y || !w || !h) DONE(-1);
    *x = *y = 0;
    *w = SIM_W;
    *h = SIM_H;
    DONE(1);
}

int WINAPI LIVESCAN_SetCaptWindow(int ch, int x, int y, int w, int h) {
    GATE("LIVESCAN_SetCaptWindow", ch, 1);
    /* the window of an ID-card scanner is its whole 256 x 360 field */
    if (x != 0 || y != 0 || w != SIM_W || h != SIM_H) DONE(-1);
    DONE(1);
}

int WINAPI LIVESCAN_Setup(void) {
    GATE("LIVESCAN_Setup", 0, 0);
    DONE(-3);
}

int WINAPI LIVESCAN_IsSupportSetup(void) {
    GATE("LIVESCAN_IsSupportSetup", 0, 0);
    DONE(0);
}

int WINAPI LIVESCAN_BeginCapture(int ch) {
    GATE("LIVESCAN_BeginCapture", ch, 1);
    capturing = 1;
    DONE(1);
}

int WINAPI LIVESCAN_EndCapture(int ch) {
    GATE("LIVESCAN_EndCapture", ch, 1);
    capturing = 0;
    DONE(1);
}

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* the next frame into out (top-down rows); returns the call's result */
static int next_frame(const char *name, int ch, unsigned char *out) {
    int delay;
    {
        GATE(name, ch, 1);
        if (!out) DONE(-1);
        if (!capturing) DONE(-9);
        delay = frame_delay_ms;
        pthread_mutex_unlock(&lock);
    }
    if (delay) sleep_ms(delay);
    pthread_mutex_lock(&lock);
    if (unplugged) DONE(-4);
    Frame *f = head;
    if (f) {
        head = f->next;
        if (!head) tail = NULL;
    } else {
        f = &fallback;
    }
    int rc = 1;
    frames_served++;
    if (f->status == LSSIM_UNPLUG) {
        unplugged = 1;
        initialised = capturing = 0;
        rc = -4;
    } else if (f->status == LSSIM_FINGER) {
        for (int k = 0; k < SIM_SIZE; k++) {
            int v = ((int)f->image[k] - 128) * contrast / 128 + 128 + (bright - 128);
            out[k] = (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
    } else if (f->status == LSSIM_EMPTY) {
        memset(out, BLANK, SIM_SIZE);
    } else {
        rc = f->status;
    }
    if (f != &fallback) free_frame(f);
    DONE(rc);
}

int WINAPI LIVESCAN_GetFPRawData(int ch, unsigned char *raw) {
    return next_frame("LIVESCAN_GetFPRawData", ch, raw);
}

static void put_le(unsigned char *p, uint32_t v, int n) {
    for (int k = 0; k < n; k++) p[k] = (unsigned char)(v >> (8 * k));
}

int WINAPI LIVESCAN_GetFPBmpData(int ch, unsigned char *bmp) {
    unsigned char *raw = malloc(SIM_SIZE);
    if (!raw) return -2;
    int rc = next_frame("LIVESCAN_GetFPBmpData", ch, raw);
    if (rc == 1) {
        memset(bmp, 0, 1078);
        bmp[0] = 'B';
        bmp[1] = 'M';
        put_le(bmp + 2, 1078 + SIM_SIZE, 4);
        put_le(bmp + 10, 1078, 4);
        put_le(bmp + 14, 40, 4);
        put_le(bmp + 18, SIM_W, 4);
        put_le(bmp + 22, SIM_H, 4);
        put_le(bmp + 26, 1, 2);
        put_le(bmp + 28, 8, 2);
        put_le(bmp + 34, SIM_SIZE, 4);
        put_le(bmp + 38, 19685, 4); /* 500 dpi in pixels per metre */
        put_le(bmp + 42, 19685, 4);
        put_le(bmp + 46, 256, 4);
        for (int k = 0; k < 256; k++) {
            unsigned char *e = bmp + 54 + 4 * k;
            e[0] = e[1] = e[2] = (unsigned char)k;
        }
        for (int row = 0; row < SIM_H; row++)
            memcpy(bmp + 1078 + (size_t)row * SIM_W, raw + (size_t)(SIM_H - 1 - row) * SIM_W, SIM_W);
    }
    free(raw);
    return rc;
}

int WINAPI LIVESCAN_GetVersion(void) {
    GATE("LIVESCAN_GetVersion", 0, 0);
    DONE(120);
}

int WINAPI LIVESCAN_GetDesc(char desc[1024]) {
    GATE("LIVESCAN_GetDesc", 0, 0);
    if (!desc) DONE(-1);
    snprintf(desc, 1024, "idcapture ID_FprCap simulator, 256x360 500 dpi, 1 channel");
    DONE(1);
}

static const char *error_text(int code) {
    switch (code) {
    case 1: return "Success";
    case -1: return "Invalid Parameter";
    case -2: return "Memory allocation failed";
    case -3: return "Function not implemented";
    case -4: return "Device not connected";
    case -5: return "Device not initialised";
    case -6: return "Illegal error number";
    case -7: return "No licence";
    case -9: return "Other errors";
    default: return NULL;
    }
}

int WINAPI LIVESCAN_GetErrorInfo(int code, char info[256]) {
    int rc;
    pthread_mutex_lock(&lock);
    if (injected("LIVESCAN_GetErrorInfo", &rc)) DONE(rc);
    pthread_mutex_unlock(&lock);
    if (!info) return -1;
    const char *text = error_text(code);
    if (text) {
        snprintf(info, 256, "%s", text);
        return 1;
    }
    if (code <= -101) {
        snprintf(info, 256, "Vendor error %d", code);
        return 1;
    }
    info[0] = 0;
    return -6;
}

int WINAPI LIVESCAN_SetBufferEmpty(unsigned char *data, long length) {
    int rc;
    pthread_mutex_lock(&lock);
    if (injected("LIVESCAN_SetBufferEmpty", &rc)) DONE(rc);
    pthread_mutex_unlock(&lock);
    if (!data || length <= 0) return -1;
    memset(data, 0xFF, (size_t)length);
    return 1;
}
