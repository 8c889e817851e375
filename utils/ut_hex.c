/* ut_hex: hex <-> bytes and byte-order helpers for hashes.
 *
 * Nodes show hashes (block hashes, txids) as the byte-reversed hex of the
 * internal 32 bytes; ut_hash_to_hex/ut_hash_from_hex convert between the
 * two so the rest of the code only ever handles internal byte order. */
#include "utils/ut_hex.h"

static const char ut_hex_digits[] = "0123456789abcdef";

/* Value of one hex digit, or -1. */
static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

void ut_hex_encode(const void *in, size_t n, char *out)
{
    const uint8_t *p = in;
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = ut_hex_digits[p[i] >> 4];
        out[2 * i + 1] = ut_hex_digits[p[i] & 0x0f];
    }
    out[2 * n] = '\0';
}

int ut_hex_decode(const char *hex, void *out, size_t n)
{
    uint8_t *p = out;
    for (size_t i = 0; i < n; i++) {
        /* A NUL is not a hex digit, so a short string stops here. */
        int hi = hex_value(hex[2 * i]);
        if (hi < 0)
            return -1;
        int lo = hex_value(hex[2 * i + 1]);
        if (lo < 0)
            return -1;
        p[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

int ut_hex_decode_any(const char *hex, size_t hexlen, void *out, size_t cap, size_t *outlen)
{
    if (hexlen % 2 != 0 || hexlen / 2 > cap)
        return -1;
    if (ut_hex_decode(hex, out, hexlen / 2) != 0)
        return -1;
    if (outlen)
        *outlen = hexlen / 2;
    return 0;
}

void ut_bytes_reverse(void *p, size_t n)
{
    uint8_t *b = p;
    for (size_t i = 0; i < n / 2; i++) {
        uint8_t t = b[i];
        b[i] = b[n - 1 - i];
        b[n - 1 - i] = t;
    }
}

void ut_hash_to_hex(const uint8_t hash[32], char out[65])
{
    uint8_t tmp[32];
    for (int i = 0; i < 32; i++)
        tmp[i] = hash[31 - i];
    ut_hex_encode(tmp, 32, out);
}

int ut_hash_from_hex(const char *hex, uint8_t hash[32])
{
    uint8_t tmp[32];
    if (ut_hex_decode(hex, tmp, 32) != 0)
        return -1;
    for (int i = 0; i < 32; i++)
        hash[i] = tmp[31 - i];
    return 0;
}
