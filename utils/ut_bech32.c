/* ut_bech32: bech32 (BIP173), bech32m (BIP350) and segwit addresses.
 *
 * A bech32 string is hrp '1' data checksum, at most 90 characters, all
 * lowercase or all uppercase; data and checksum are 5-bit values from a
 * 32-character alphabet. The checksum is a BCH code over the expanded hrp
 * and the data; bech32 and bech32m differ only in the constant the final
 * residue must equal. Segwit addresses put the witness version in the
 * first data value and the program, regrouped from 8 to 5 bits, after it;
 * v0 uses bech32 and every later version bech32m. */
#include <string.h>

#include "utils/ut_bech32.h"

#define BECH32_MAX_LEN 90
#define BECH32_CONST 1u
#define BECH32M_CONST 0x2bc830a3u

static const char b32_charset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

/* Value of a (lowercase or uppercase) data character, or -1. */
static int b32_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        c = (char)(c - 'A' + 'a');
    const char *p = c ? strchr(b32_charset, c) : NULL;
    return p ? (int)(p - b32_charset) : -1;
}

/* One step of the checksum's generator over GF(32). */
static uint32_t polymod_step(uint32_t chk, uint8_t v)
{
    static const uint32_t gen[5] = {
        0x3b6a57b2u, 0x26508e6du, 0x1ea119fau, 0x3d4233ddu, 0x2a1462b3u
    };
    uint32_t top = chk >> 25;
    chk = (chk & 0x1ffffffu) << 5 ^ v;
    for (int i = 0; i < 5; i++)
        if (top >> i & 1)
            chk ^= gen[i];
    return chk;
}

/* Checksum state after the expanded hrp: high bits, a zero, low bits. */
static uint32_t polymod_hrp(const char *hrp, size_t hrp_len)
{
    uint32_t chk = 1;
    for (size_t i = 0; i < hrp_len; i++)
        chk = polymod_step(chk, (uint8_t)((unsigned char)hrp[i] >> 5));
    chk = polymod_step(chk, 0);
    for (size_t i = 0; i < hrp_len; i++)
        chk = polymod_step(chk, (uint8_t)(hrp[i] & 0x1f));
    return chk;
}

static uint32_t enc_const(ut_bech32_enc enc)
{
    return enc == UT_BECH32M ? BECH32M_CONST : BECH32_CONST;
}

/* Checks the characters of str: printable ASCII, not mixed case. */
static int check_chars(const char *str, size_t len)
{
    int lower = 0, upper = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)str[i];
        if (c < 33 || c > 126)
            return -1;
        if (c >= 'a' && c <= 'z')
            lower = 1;
        if (c >= 'A' && c <= 'Z')
            upper = 1;
    }
    return lower && upper ? -1 : 0;
}

ut_bech32_enc ut_bech32_decode(const char *str, char hrp[84], uint8_t *data, size_t *data_len)
{
    size_t len = strnlen(str, BECH32_MAX_LEN + 1);
    if (len > BECH32_MAX_LEN || check_chars(str, len) != 0)
        return UT_BECH32_NONE;
    const char *sep = strrchr(str, '1');
    if (sep == NULL)
        return UT_BECH32_NONE;
    size_t hrp_len = (size_t)(sep - str);
    size_t data_chars = len - hrp_len - 1;
    if (hrp_len < 1 || data_chars < 6)
        return UT_BECH32_NONE;

    for (size_t i = 0; i < hrp_len; i++) {
        char c = str[i];
        hrp[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    hrp[hrp_len] = '\0';

    uint32_t chk = polymod_hrp(hrp, hrp_len);
    for (size_t i = 0; i < data_chars; i++) {
        int v = b32_value(sep[1 + i]);
        if (v < 0)
            return UT_BECH32_NONE;
        chk = polymod_step(chk, (uint8_t)v);
        if (i < data_chars - 6)
            data[i] = (uint8_t)v;
    }
    *data_len = data_chars - 6;
    if (chk == BECH32_CONST)
        return UT_BECH32;
    if (chk == BECH32M_CONST)
        return UT_BECH32M;
    return UT_BECH32_NONE;
}

int ut_bech32_encode(char *out, const char *hrp, const uint8_t *data, size_t data_len,
                     ut_bech32_enc enc)
{
    size_t hrp_len = strlen(hrp);
    if (enc != UT_BECH32 && enc != UT_BECH32M)
        return -1;
    if (hrp_len < 1 || hrp_len + 1 + data_len + 6 > BECH32_MAX_LEN)
        return -1;
    for (size_t i = 0; i < hrp_len; i++) {
        unsigned char c = (unsigned char)hrp[i];
        if (c < 33 || c > 126 || (c >= 'A' && c <= 'Z'))
            return -1;
    }
    uint32_t chk = polymod_hrp(hrp, hrp_len);
    char *p = out;
    memcpy(p, hrp, hrp_len);
    p += hrp_len;
    *p++ = '1';
    for (size_t i = 0; i < data_len; i++) {
        if (data[i] > 31)
            return -1;
        chk = polymod_step(chk, data[i]);
        *p++ = b32_charset[data[i]];
    }
    for (int i = 0; i < 6; i++)
        chk = polymod_step(chk, 0);
    chk ^= enc_const(enc);
    for (int i = 0; i < 6; i++)
        *p++ = b32_charset[(chk >> (5 * (5 - i))) & 31];
    *p = '\0';
    return 0;
}

/* Regroups bits from 'from'-bit to 'to'-bit values. With pad, leftover bits
 * become one last zero-padded value; without it, leftover bits must be
 * fewer than 'from' and zero. Returns the output count or -1. */
static int convert_bits(const uint8_t *in, size_t n, int from, int to, int pad,
                        uint8_t *out, size_t cap)
{
    uint32_t acc = 0;
    int bits = 0;
    size_t len = 0;
    uint32_t mask = (1u << to) - 1;
    for (size_t i = 0; i < n; i++) {
        if (in[i] >> from)
            return -1;
        acc = (acc << from | in[i]) & 0xfff;
        bits += from;
        while (bits >= to) {
            bits -= to;
            if (len == cap)
                return -1;
            out[len++] = (uint8_t)(acc >> bits & mask);
        }
    }
    if (pad && bits > 0) {
        if (len == cap)
            return -1;
        out[len++] = (uint8_t)(acc << (to - bits) & mask);
    } else if (!pad && (bits >= from || (acc << (to - bits) & mask) != 0)) {
        return -1;
    }
    return (int)len;
}

/* Checks the witness rules of BIP141/BIP350; NULL or the reason. */
static const char *witness_check(int version, size_t program_len, ut_bech32_enc enc)
{
    if (version < 0 || version > 16)
        return "invalid witness version";
    if (program_len < 2 || program_len > 40)
        return "invalid witness program length";
    if (version == 0 && program_len != 20 && program_len != 32)
        return "invalid program length for witness version 0";
    if (enc != (version == 0 ? UT_BECH32 : UT_BECH32M))
        return version == 0 ? "witness v0 needs bech32, not bech32m"
                            : "witness v1+ needs bech32m, not bech32";
    return NULL;
}

int ut_segwit_decode_why(const char *hrp, const char *addr, int *version, uint8_t *program,
                         size_t *program_len, const char **why)
{
    char got_hrp[84];
    uint8_t data[BECH32_MAX_LEN];
    size_t data_len = 0;
    const char *err = NULL;
    ut_bech32_enc enc = ut_bech32_decode(addr, got_hrp, data, &data_len);
    uint8_t prog[40];
    int plen = -1;

    if (enc == UT_BECH32_NONE)
        err = "not bech32/bech32m (bad checksum, character, case or length)";
    else if (strcmp(got_hrp, hrp) != 0)
        err = "wrong human-readable part";
    else if (data_len < 1)
        err = "empty data section";
    else if ((plen = convert_bits(data + 1, data_len - 1, 5, 8, 0, prog, sizeof(prog))) < 0)
        err = "invalid witness program (length or padding)";
    else
        err = witness_check(data[0], (size_t)plen, enc);

    if (why)
        *why = err;
    if (err)
        return -1;
    *version = data[0];
    memcpy(program, prog, (size_t)plen);
    *program_len = (size_t)plen;
    return 0;
}

int ut_segwit_decode(const char *hrp, const char *addr, int *version, uint8_t *program,
                     size_t *program_len)
{
    return ut_segwit_decode_why(hrp, addr, version, program, program_len, NULL);
}

int ut_segwit_encode(char *out, size_t cap, const char *hrp, int version,
                     const uint8_t *program, size_t program_len)
{
    ut_bech32_enc enc = version == 0 ? UT_BECH32 : UT_BECH32M;
    if (witness_check(version, program_len, enc) != NULL)
        return -1;
    uint8_t data[1 + 64];
    data[0] = (uint8_t)version;
    int n = convert_bits(program, program_len, 8, 5, 1, data + 1, sizeof(data) - 1);
    if (n < 0)
        return -1;
    size_t need = strlen(hrp) + 1 + (size_t)n + 8;
    if (cap < need)
        return -1;
    return ut_bech32_encode(out, hrp, data, 1 + (size_t)n, enc);
}
