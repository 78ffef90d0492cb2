/* A simulator of the WLT decoder ABI (native/include/wltdecoder.h): unpack() turns the
 * 1024 opaque WLT bytes into a synthetic but deterministic 102 x 126 24-bit BMP
 * (38,862 bytes, bottom-up rows padded to 308 bytes). Code 0 is a "bad code" (returns 0). */
#include <string.h>
#include "wltdecoder.h"

static void put32(unsigned char *p, unsigned int v) {
    p[0] = v & 0xFF; p[1] = (v >> 8) & 0xFF; p[2] = (v >> 16) & 0xFF; p[3] = (v >> 24) & 0xFF;
}

int unpack(char *src, char *dst, int code) {
    unsigned char *out = (unsigned char *)dst;
    const unsigned char *in = (const unsigned char *)src;
    if (code == 0) return 0;
    memset(out, 0, 54);
    out[0] = 'B'; out[1] = 'M';
    put32(out + 2, 38862); put32(out + 10, 54); put32(out + 14, 40);
    put32(out + 18, 102); put32(out + 22, 126);
    out[26] = 1; out[28] = 24;
    for (int y = 0; y < 126; y++) {
        unsigned char *row = out + 54 + y * 308;
        for (int x = 0; x < 102; x++) {
            unsigned char v = in[(y * 102 + x) % 1024];
            row[3 * x] = v; row[3 * x + 1] = (unsigned char)(v ^ x); row[3 * x + 2] = (unsigned char)(v + y);
        }
        row[306] = row[307] = 0;
    }
    return 1;
}
