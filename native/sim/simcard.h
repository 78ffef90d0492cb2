/* Card state shared by the C simulators of the vendor ABIs.
 *
 * The card on the simulated reader is the card image file named by the environment
 * variable IDCAPTURE_SIM_CARD (written from a JSON card file by
 * idcapture.sim.sam.cards.write_card_image): "IDCSIM1\0", four little-endian uint16
 * lengths (text, photo, fingerprint, appended address), then the blocks. No file = no
 * card. A card is found once per placement: after a read it is not found again until
 * the file disappears (the card is taken off) or is replaced by another one. */
#ifndef IDCAPTURE_SIMCARD_H
#define IDCAPTURE_SIMCARD_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct {
    unsigned char text[256];
    unsigned char photo[1024];
    unsigned char fp[1024];
    unsigned char app[280];
    unsigned int text_len, photo_len, fp_len, app_len;
} sim_card;

static sim_card g_card;
static int g_have_card;     /* a card image is loaded */
static int g_selected;      /* find + select succeeded */
static int g_consumed;      /* read, not yet taken off */
static struct stat g_card_stat;

/* Fault injection for the tests: IDCAPTURE_SIM_FAULT="NAME=RC,NAME=len:N,..." makes the
 * exported function NAME return RC (0x.. or decimal) without doing its work, or do its work
 * and report a length of N bytes for its first block (a length mismatch). The variable is
 * read on every call, so a test sets and clears it between calls. */
static const char *sim_fault_value(const char *name) {
    const char *p = getenv("IDCAPTURE_SIM_FAULT");
    size_t n = strlen(name);
    while (p != NULL && *p) {
        if (strncmp(p, name, n) == 0 && p[n] == '=') return p + n + 1;
        p = strchr(p, ',');
        if (p != NULL) p++;
    }
    return NULL;
}
/* The injected return code of NAME, or -1. */
static int sim_fault_rc(const char *name) {
    const char *v = sim_fault_value(name);
    if (v == NULL || strncmp(v, "len:", 4) == 0) return -1;
    return (int)strtol(v, NULL, 0);
}
/* The injected length of NAME's first block, or -1. */
static long sim_fault_len(const char *name) {
    const char *v = sim_fault_value(name);
    if (v == NULL || strncmp(v, "len:", 4) != 0) return -1;
    return strtol(v + 4, NULL, 0);
}
#define SIM_FAULT_RETURN() do { int f_ = sim_fault_rc(__func__); if (f_ >= 0) return f_; } while (0)

static unsigned int sim_u16(const unsigned char *p) { return (unsigned int)(p[0] | (p[1] << 8)); }

/* Reload the card from the file; returns 1 when a card is on the reader. */
static int sim_card_poll(void) {
    const char *path = getenv("IDCAPTURE_SIM_CARD");
    struct stat st;
    if (path == NULL || stat(path, &st) != 0) {
        g_have_card = 0; g_selected = 0; g_consumed = 0;
        return 0;
    }
    if (g_have_card && st.st_ino == g_card_stat.st_ino && st.st_mtime == g_card_stat.st_mtime
        && st.st_size == g_card_stat.st_size)
        return 1;
    FILE *f = fopen(path, "rb");
    if (f == NULL) { g_have_card = 0; return 0; }
    unsigned char head[16];
    sim_card c;
    memset(&c, 0, sizeof c);
    int ok = fread(head, 1, 16, f) == 16 && memcmp(head, "IDCSIM1\0", 8) == 0;
    if (ok) {
        c.text_len = sim_u16(head + 8); c.photo_len = sim_u16(head + 10);
        c.fp_len = sim_u16(head + 12); c.app_len = sim_u16(head + 14);
        ok = c.text_len == 256 && c.photo_len <= 1024 && c.fp_len <= 1024 && c.app_len <= 280
             && fread(c.text, 1, c.text_len, f) == c.text_len
             && fread(c.photo, 1, c.photo_len, f) == c.photo_len
             && fread(c.fp, 1, c.fp_len, f) == c.fp_len
             && fread(c.app, 1, c.app_len, f) == c.app_len;
    }
    fclose(f);
    if (!ok) { g_have_card = 0; return 0; }
    g_card = c;
    g_card_stat = st;
    g_have_card = 1; g_selected = 0; g_consumed = 0;  /* a new placement */
    return 1;
}

#endif
