/* WLT card-photo decoder, China Vision family (libwlt / libdewlt, Linux x86-64 and ARM).
 * unpack(src, dst, code): src = the 1024 WLT bytes read from the card; dst receives a
 * 102 x 126 x 24-bit BMP (38,862 bytes; give at least that); code = vendor/platform
 * integer (158/159 on x86-64, 602/603 on ARM64 builds). Returns 1 on success, 0 on a
 * bad code. Declarations for cffi (ABI mode); no vendor binary is shipped. */
int unpack(char *src, char *dst, int code);
