/* A simulator of the ZKFinger SDK (libzkfp) ABI for tests: builds libzkfp.so.
 *
 * One simulated reader (ZKSim_SetDeviceCount changes that) with a 300 x 400, 500 dpi
 * sensor. Each ZKFPM_AcquireFingerprint[Image] call takes the next scripted poll from a
 * queue: a finger image (returns 0), "no finger" (-8), "finger lifted mid-capture"
 * (-18, capture cancelled) or "unplugged" (the device disappears: -3 from then on,
 * device count 0). When the queue is empty the default poll repeats (no finger unless
 * ZKSim_SetDefault put a finger there). Polls come from the control functions
 * ZKSim_* (exported only by this simulator) or, at ZKFPM_Init, from the feed file named
 * by IDCAPTURE_ZKSIM_FEED: "ZKSIMFD1" then records of int32 status, width, height (little
 * endian) and width*height grey bytes.
 *
 * Templates are a 16-byte "ZKS1" + size + FNV-1a hash of the image: enough to tell
 * identical captures apart in DBMatch; this is not a matcher.
 */
#define WINAPI
#include "zkfinger.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIM_WIDTH 300
#define SIM_HEIGHT 400
#define SIM_DPI 500
#define ZKSIM_UNPLUG 1000
#define MAX_DEVICES 4

typedef struct Poll {
    int status;
    int width, height;
    unsigned char *image;
    struct Poll *next;
} Poll;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int initialised = 0;
static int device_count = 1;
static int unplugged = 0;
static int opened[MAX_DEVICES];
static Poll *head = NULL, *tail = NULL;
static Poll fallback = {-8, 0, 0, NULL, NULL};
static int acquisitions = 0;
static char db_marker;

static void free_poll(Poll *p) {
    if (p) {
        free(p->image);
        free(p);
    }
}

static int copy_image(Poll *p, int status, int width, int height, const unsigned char *image) {
    p->status = status;
    p->width = width;
    p->height = height;
    p->image = NULL;
    if (status == 0) {
        if (!image || width != SIM_WIDTH || height != SIM_HEIGHT) return -5;
        p->image = malloc((size_t)width * height);
        if (!p->image) return -11;
        memcpy(p->image, image, (size_t)width * height);
    }
    return 0;
}

/* ------------------------------------------------------------------ control API */

int ZKSim_Reset(void) {
    pthread_mutex_lock(&lock);
    while (head) {
        Poll *n = head->next;
        free_poll(head);
        head = n;
    }
    tail = NULL;
    free(fallback.image);
    fallback.image = NULL;
    fallback.status = -8;
    device_count = 1;
    unplugged = 0;
    acquisitions = 0;
    memset(opened, 0, sizeof opened);
    pthread_mutex_unlock(&lock);
    return 0;
}

int ZKSim_SetDeviceCount(int count) {
    if (count < 0 || count > MAX_DEVICES) return -5;
    pthread_mutex_lock(&lock);
    device_count = count;
    unplugged = 0;
    pthread_mutex_unlock(&lock);
    return 0;
}

int ZKSim_Push(int status, int width, int height, const unsigned char *image) {
    Poll *p = calloc(1, sizeof *p);
    if (!p) return -11;
    int rc = copy_image(p, status, width, height, image);
    if (rc) {
        free(p);
        return rc;
    }
    pthread_mutex_lock(&lock);
    if (tail) tail->next = p; else head = p;
    tail = p;
    pthread_mutex_unlock(&lock);
    return 0;
}

int ZKSim_SetDefault(int status, int width, int height, const unsigned char *image) {
    Poll p;
    int rc = copy_image(&p, status, width, height, image);
    if (rc) return rc;
    pthread_mutex_lock(&lock);
    free(fallback.image);
    fallback = p;
    fallback.next = NULL;
    pthread_mutex_unlock(&lock);
    return 0;
}

int ZKSim_Pending(void) {
    int n = 0;
    pthread_mutex_lock(&lock);
    for (Poll *p = head; p; p = p->next) n++;
    pthread_mutex_unlock(&lock);
    return n;
}

int ZKSim_Acquisitions(void) { return acquisitions; }

void ZKSim_SensorSize(int *width, int *height, int *dpi) {
    *width = SIM_WIDTH;
    *height = SIM_HEIGHT;
    *dpi = SIM_DPI;
}

int ZKSim_LoadFeed(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return -26;
    char magic[8];
    int rc = 0;
    if (fread(magic, 1, 8, f) != 8 || memcmp(magic, "ZKSIMFD1", 8) != 0) rc = -27;
    while (rc == 0) {
        int32_t hdr[3];
        if (fread(hdr, sizeof(int32_t), 3, f) != 3) break;
        unsigned char *img = NULL;
        if (hdr[0] == 0) {
            if (hdr[1] != SIM_WIDTH || hdr[2] != SIM_HEIGHT) { rc = -27; break; }
            img = malloc((size_t)hdr[1] * hdr[2]);
            if (!img) { rc = -11; break; }
            if (fread(img, 1, (size_t)hdr[1] * hdr[2], f) != (size_t)hdr[1] * hdr[2]) {
                free(img);
                rc = -27;
                break;
            }
        }
        rc = ZKSim_Push(hdr[0], hdr[1], hdr[2], img);
        free(img);
    }
    fclose(f);
    return rc;
}

/* ------------------------------------------------------------------ SDK API */

int WINAPI ZKFPM_Init(void) {
    if (initialised) return 1;
    initialised = 1;
    const char *feed = getenv("IDCAPTURE_ZKSIM_FEED");
    if (feed && *feed) {
        int rc = ZKSim_LoadFeed(feed);
        if (rc) return -2;
    }
    return 0;
}

int WINAPI ZKFPM_Terminate(void) {
    initialised = 0;
    return 0;
}

int WINAPI ZKFPM_GetDeviceCount(void) {
    if (!initialised) return -24;
    return unplugged ? 0 : device_count;
}

static int handle_index(HANDLE h) {
    intptr_t v = (intptr_t)h;
    if (v < 1 || v > MAX_DEVICES || !opened[v - 1]) return -1;
    return (int)(v - 1);
}

HANDLE WINAPI ZKFPM_OpenDevice(int index) {
    if (!initialised || unplugged || index < 0 || index >= device_count) return NULL;
    opened[index] = 1;
    return (HANDLE)(intptr_t)(index + 1);
}

int WINAPI ZKFPM_CloseDevice(HANDLE h) {
    int i = handle_index(h);
    if (i < 0) return -7;
    opened[i] = 0;
    return 0;
}

int WINAPI ZKFPM_SetParameters(HANDLE h, int code, unsigned char *value, unsigned int len) {
    (void)value;
    if (handle_index(h) < 0) return -7;
    if (code == 101 || code == 102 || code == 103 || code == 104 || code == 2002)
        return len >= 1 ? 0 : -5;
    return -4;
}

static int put_bytes(unsigned char *out, unsigned int *len, const void *src, unsigned int n) {
    if (!out || !len) return -5;
    if (*len < n) {
        *len = n;
        return -5;
    }
    memcpy(out, src, n);
    *len = n;
    return 0;
}

int WINAPI ZKFPM_GetParameters(HANDLE h, int code, unsigned char *value, unsigned int *len) {
    int i = handle_index(h);
    if (i < 0) return -7;
    int32_t v;
    char text[64];
    switch (code) {
    case 1: v = SIM_WIDTH; return put_bytes(value, len, &v, 4);
    case 2: v = SIM_HEIGHT; return put_bytes(value, len, &v, 4);
    case 3: v = SIM_DPI; return put_bytes(value, len, &v, 4);
    case 106: v = SIM_WIDTH * SIM_HEIGHT; return put_bytes(value, len, &v, 4);
    case 1015: { unsigned char ids[4] = {0xf2, 0x1b, 0x24, 0x01}; return put_bytes(value, len, ids, 4); }
    case 1101: strcpy(text, "ZKTeco Inc. (simulated)"); break;
    case 1102: strcpy(text, "ZK9500 simulator"); break;
    case 1103: snprintf(text, sizeof text, "ZKSIM%04d", i); break;
    case 2002: v = 0; return put_bytes(value, len, &v, 4);
    default: return -4;
    }
    return put_bytes(value, len, text, (unsigned int)strlen(text) + 1);
}

static void make_template(const unsigned char *img, unsigned char *out, unsigned int *len) {
    uint64_t hsh = 1469598103934665603ULL;
    for (size_t k = 0; k < (size_t)SIM_WIDTH * SIM_HEIGHT; k++) {
        hsh ^= img[k];
        hsh *= 1099511628211ULL;
    }
    memcpy(out, "ZKS1", 4);
    uint16_t w = SIM_WIDTH, hgt = SIM_HEIGHT;
    memcpy(out + 4, &w, 2);
    memcpy(out + 6, &hgt, 2);
    memcpy(out + 8, &hsh, 8);
    *len = 16;
}

static int acquire(HANDLE h, unsigned char *img, unsigned int size, unsigned char *tmpl,
                   unsigned int *tlen) {
    pthread_mutex_lock(&lock);
    int rc;
    if (unplugged) {
        rc = -3;
        goto out;
    }
    if (handle_index(h) < 0) {
        rc = -7;
        goto out;
    }
    if (!img || size < (unsigned int)(SIM_WIDTH * SIM_HEIGHT)) {
        rc = -5;
        goto out;
    }
    acquisitions++;
    Poll *p = head;
    if (p) {
        head = p->next;
        if (!head) tail = NULL;
    } else {
        p = &fallback;
    }
    rc = p->status;
    if (rc == ZKSIM_UNPLUG) {
        unplugged = 1;
        memset(opened, 0, sizeof opened);
        rc = -3;
    } else if (rc == 0) {
        memcpy(img, p->image, (size_t)SIM_WIDTH * SIM_HEIGHT);
        if (tmpl && tlen) {
            if (*tlen < 16) rc = -5;
            else make_template(p->image, tmpl, tlen);
        }
    }
    if (p != &fallback) free_poll(p);
out:
    pthread_mutex_unlock(&lock);
    return rc;
}

int WINAPI ZKFPM_AcquireFingerprint(HANDLE h, unsigned char *img, unsigned int size,
                                    unsigned char *tmpl, unsigned int *tlen) {
    if (!tmpl || !tlen) return -5;
    return acquire(h, img, size, tmpl, tlen);
}

int WINAPI ZKFPM_AcquireFingerprintImage(HANDLE h, unsigned char *img, unsigned int size) {
    return acquire(h, img, size, NULL, NULL);
}

/* A tiny template cache: enough for the API to behave, not a matcher. */
#define DB_MAX 64
static unsigned int db_fid[DB_MAX];
static unsigned char db_tmpl[DB_MAX][16];
static int db_used[DB_MAX];

HANDLE WINAPI ZKFPM_DBInit(void) { return initialised ? (HANDLE)&db_marker : NULL; }

int WINAPI ZKFPM_DBFree(HANDLE db) { return db == &db_marker ? ZKFPM_DBClear(db) : -7; }

int WINAPI ZKFPM_DBMerge(HANDLE db, unsigned char *t1, unsigned char *t2, unsigned char *t3,
                         unsigned char *reg, unsigned int *reglen) {
    if (db != &db_marker || !t1 || !t2 || !t3 || !reg || !reglen) return -5;
    if (memcmp(t1, "ZKS1", 4) || memcmp(t2, "ZKS1", 4) || memcmp(t3, "ZKS1", 4)) return -22;
    if (*reglen < 16) return -5;
    memcpy(reg, t1, 16);
    *reglen = 16;
    return 0;
}

int WINAPI ZKFPM_DBAdd(HANDLE db, unsigned int fid, unsigned char *tmpl, unsigned int len) {
    if (db != &db_marker || !tmpl || len < 16) return -5;
    for (int k = 0; k < DB_MAX; k++) {
        if (!db_used[k]) {
            db_used[k] = 1;
            db_fid[k] = fid;
            memcpy(db_tmpl[k], tmpl, 16);
            return 0;
        }
    }
    return -13;
}

int WINAPI ZKFPM_DBDel(HANDLE db, unsigned int fid) {
    if (db != &db_marker) return -7;
    for (int k = 0; k < DB_MAX; k++)
        if (db_used[k] && db_fid[k] == fid) {
            db_used[k] = 0;
            return 0;
        }
    return -14;
}

int WINAPI ZKFPM_DBClear(HANDLE db) {
    if (db != &db_marker) return -7;
    memset(db_used, 0, sizeof db_used);
    return 0;
}

int WINAPI ZKFPM_DBCount(HANDLE db, unsigned int *count) {
    if (db != &db_marker || !count) return -5;
    unsigned int n = 0;
    for (int k = 0; k < DB_MAX; k++) n += (unsigned int)db_used[k];
    *count = n;
    return 0;
}

int WINAPI ZKFPM_DBMatch(HANDLE db, unsigned char *t1, unsigned int l1, unsigned char *t2,
                         unsigned int l2) {
    if (db != &db_marker || !t1 || !t2 || l1 < 16 || l2 < 16) return -5;
    return memcmp(t1, t2, 16) == 0 ? 100 : 0;
}

int WINAPI ZKFPM_DBIdentify(HANDLE db, unsigned char *tmpl, unsigned int len,
                            unsigned int *fid, unsigned int *score) {
    if (db != &db_marker || !tmpl || len < 16 || !fid || !score) return -5;
    for (int k = 0; k < DB_MAX; k++)
        if (db_used[k] && memcmp(db_tmpl[k], tmpl, 16) == 0) {
            *fid = db_fid[k];
            *score = 100;
            return 0;
        }
    return -17;
}

int WINAPI ZKFPM_ExtractFromImage(HANDLE db, const char *path, unsigned int dpi,
                                  unsigned char *tmpl, unsigned int *len) {
    (void)dpi;
    if (db != &db_marker || !path || !tmpl || !len) return -5;
    FILE *f = fopen(path, "rb");
    if (!f) return -26;
    fclose(f);
    return -4; /* BMP decoding is not simulated */
}
