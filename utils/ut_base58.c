/* ut_base58: base58 (Bitcoin alphabet) and base58check.
 *
 * Base58 treats the input as one big-endian number and writes it in base
 * 58; each leading zero byte becomes a leading '1'. The conversions below
 * work digit by digit in the caller's output buffer (quadratic, fine for
 * addresses and keys) and allocate nothing. Base58check appends the first
 * four bytes of sha256d(payload) as a checksum. */
#include <string.h>

#include "utils/ut_base58.h"
#include "utils/ut_sha256.h"

#define B58_CHECK_MAX 256   /* largest base58check payload handled */

static const char b58_alphabet[] =
    "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/* Value of a base58 character, or -1. */
static int b58_value(char c)
{
    const char *p = c ? strchr(b58_alphabet, c) : NULL;
    return p ? (int)(p - b58_alphabet) : -1;
}

size_t ut_base58_encode(const uint8_t *in, size_t n, char *out, size_t cap)
{
    size_t zeros = 0;
    while (zeros < n && in[zeros] == 0)
        zeros++;
    if (zeros + 1 > cap)
        return 0;

    /* Digits, least significant first, in out[zeros..zeros+len). */
    uint8_t *dig = (uint8_t *)out + zeros;
    size_t room = cap - zeros - 1;      /* keep one byte for the NUL */
    size_t len = 0;
    for (size_t i = zeros; i < n; i++) {
        unsigned carry = in[i];
        for (size_t j = 0; j < len; j++) {
            carry += (unsigned)dig[j] << 8;
            dig[j] = (uint8_t)(carry % 58);
            carry /= 58;
        }
        while (carry) {
            if (len == room)
                return 0;
            dig[len++] = (uint8_t)(carry % 58);
            carry /= 58;
        }
    }
    /* Most significant digit first, then map to characters. */
    for (size_t j = 0; j < len / 2; j++) {
        uint8_t t = dig[j];
        dig[j] = dig[len - 1 - j];
        dig[len - 1 - j] = t;
    }
    for (size_t j = 0; j < len; j++)
        out[zeros + j] = b58_alphabet[dig[j]];
    memset(out, '1', zeros);
    out[zeros + len] = '\0';
    return zeros + len;
}

int ut_base58_decode(const char *in, uint8_t *out, size_t cap)
{
    size_t ones = 0;
    while (in[ones] == '1')
        ones++;
    if (ones > cap)
        return -1;

    /* Bytes, least significant first, in out[ones..ones+len). */
    uint8_t *num = out + ones;
    size_t room = cap - ones;
    size_t len = 0;
    for (const char *c = in + ones; *c; c++) {
        int v = b58_value(*c);
        if (v < 0)
            return -1;
        unsigned carry = (unsigned)v;
        for (size_t j = 0; j < len; j++) {
            carry += (unsigned)num[j] * 58;
            num[j] = (uint8_t)(carry & 0xff);
            carry >>= 8;
        }
        while (carry) {
            if (len == room)
                return -1;
            num[len++] = (uint8_t)(carry & 0xff);
            carry >>= 8;
        }
    }
    for (size_t j = 0; j < len / 2; j++) {
        uint8_t t = num[j];
        num[j] = num[len - 1 - j];
        num[len - 1 - j] = t;
    }
    memset(out, 0, ones);
    return (int)(ones + len);
}

size_t ut_base58check_encode(const uint8_t *payload, size_t n, char *out, size_t cap)
{
    uint8_t buf[B58_CHECK_MAX + 4];
    uint8_t hash[32];
    if (n > B58_CHECK_MAX)
        return 0;
    memcpy(buf, payload, n);
    ut_sha256d(payload, n, hash);
    memcpy(buf + n, hash, 4);
    return ut_base58_encode(buf, n + 4, out, cap);
}

int ut_base58check_decode(const char *in, uint8_t *out, size_t cap)
{
    uint8_t buf[B58_CHECK_MAX + 4];
    uint8_t hash[32];
    int n = ut_base58_decode(in, buf, sizeof(buf));
    if (n < 4)
        return -1;
    size_t plen = (size_t)n - 4;
    ut_sha256d(buf, plen, hash);
    if (memcmp(hash, buf + plen, 4) != 0 || plen > cap)
        return -1;
    memcpy(out, buf, plen);
    return (int)plen;
}
