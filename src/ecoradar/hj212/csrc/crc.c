/* The CRC of HJ 212-2017 Appendix A, and CRC-16/MODBUS (see crc.py). */
#include "hj212.h"

static unsigned short T[256];
static unsigned char H[8][256]; /* H[r] = H**r, H(y) = T[y] >> 8 (see crc.py) */
static unsigned char INIT[8];    /* H**r (0xFF) */

void
hj_make_tables(void)
{
    for (int value = 0; value < 256; value++) {
        unsigned reg = (unsigned)value;
        for (int i = 0; i < 8; i++)
            reg = (reg & 1) ? (reg >> 1) ^ 0xA001u : reg >> 1;
        T[value] = (unsigned short)reg;
        H[0][value] = (unsigned char)value;
    }
    for (int r = 1; r < 8; r++)
        for (int value = 0; value < 256; value++)
            H[r][value] = (unsigned char)(T[H[r - 1][value]] >> 8);
    for (int r = 0; r < 8; r++)
        INIT[r] = H[r][0xFF];
}

/* HJ 212-2017 Appendix A. The register after each byte is T[(reg >> 8) ^ b] and only its high
 * byte H(y) = T[y] >> 8 carries over; H is linear over GF(2) with H**8 the identity, so the
 * CRC depends only on the XOR of the data's 8-byte words aligned on its end (crc.py derives
 * it): one XOR per 8 bytes and 8 lookups instead of a chain of n dependent lookups.
 * Also tells in *high whether any byte is >= 0x80 (the data is not ASCII). */
unsigned
hj_crc_hj212(const unsigned char *p, Py_ssize_t n, unsigned *high)
{
    uint64_t acc = 0, any = 0, word;
    unsigned char head[8] = {0};
    Py_ssize_t m = n & 7;
    if (n == 0) {
        *high = 0;
        return 0xFFFF;
    }
    /* the first n % 8 bytes, placed as the tail of a word: byte i is m - 1 - i from the end */
    memcpy(head + 8 - m, p, (size_t)m);
    memcpy(&acc, head, 8);
    any = acc;
    for (Py_ssize_t i = m; i < n; i += 8) {
        memcpy(&word, p + i, 8);
        acc ^= word;
        any |= word;
    }
    *high = (any & UINT64_C(0x8080808080808080)) != 0;
    /* byte j of the word, in memory order (XOR is bytewise: no endianness here), is 7 - j
     * bytes from the end of the data, modulo 8 */
    unsigned char s[8];
    memcpy(s, &acc, 8);
    unsigned y = INIT[(n - 1) & 7];
    for (int j = 0; j < 8; j++)
        y ^= H[7 - j][s[j]];
    return T[y];
}

unsigned
hj_crc_modbus(const unsigned char *p, Py_ssize_t n)
{
    unsigned reg = 0xFFFF;
    for (Py_ssize_t i = 0; i < n; i++)
        reg = (reg >> 8) ^ T[(reg ^ p[i]) & 0xFF];
    return reg;
}
