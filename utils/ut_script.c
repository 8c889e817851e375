/* ut_script: the BIP34 block height at the start of a coinbase scriptSig.
 *
 * Bitcoin Core requires the scriptSig to begin with CScript() << height:
 * OP_0 for 0, OP_1..OP_16 for 1..16, otherwise a push of the minimal
 * CScriptNum (little-endian, an extra 0x00 when the top bit is set).
 * The parser also accepts non-minimal pushes, since it reads coinbases
 * built by other pools. */
#include "utils/ut_script.h"

size_t ut_bip34_height(uint32_t height, uint8_t out[9])
{
    if (height == 0) {
        out[0] = 0x00;                   /* OP_0 */
        return 1;
    }
    if (height <= 16) {
        out[0] = (uint8_t)(0x50 + height); /* OP_1..OP_16 */
        return 1;
    }
    size_t n = 0;
    uint32_t v = height;
    while (v) {
        out[1 + n++] = (uint8_t)(v & 0xff);
        v >>= 8;
    }
    if (out[n] & 0x80)                   /* keep the number positive */
        out[1 + n++] = 0x00;
    out[0] = (uint8_t)n;                 /* direct push of n bytes */
    return 1 + n;
}

int ut_bip34_parse(const uint8_t *script, size_t len, uint32_t *height)
{
    if (len < 1)
        return -1;
    uint8_t op = script[0];
    if (op == 0x00) {
        *height = 0;
        return 0;
    }
    if (op >= 0x51 && op <= 0x60) {
        *height = (uint32_t)(op - 0x50);
        return 0;
    }
    if (op < 0x01 || op > 0x05 || len < 1 + (size_t)op)
        return -1;
    const uint8_t *num = script + 1;
    if (num[op - 1] & 0x80)              /* negative */
        return -1;
    uint64_t v = 0;
    for (int i = op - 1; i >= 0; i--)
        v = v << 8 | num[i];
    if (v > UINT32_MAX)
        return -1;
    *height = (uint32_t)v;
    return 0;
}
