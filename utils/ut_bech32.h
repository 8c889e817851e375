/* ut_bech32: BIP173 bech32 and BIP350 bech32m, and segwit addresses. */
#ifndef UT_BECH32_H
#define UT_BECH32_H

#include <stddef.h>
#include <stdint.h>

typedef enum { UT_BECH32_NONE = 0, UT_BECH32 = 1, UT_BECH32M = 2 } ut_bech32_enc;

/* Decodes a bech32/bech32m string into its hrp (lowercase, NUL-ended, cap
 * 84) and 5-bit data values without the checksum. Returns the encoding or
 * UT_BECH32_NONE for any invalid input (mixed case, bad checksum, length).
 * data needs room for 82 values (a 90-character string with a 1-char hrp). */
ut_bech32_enc ut_bech32_decode(const char *str, char hrp[84], uint8_t *data, size_t *data_len);
/* Encodes; returns 0 or -1. out needs strlen(hrp) + data_len + 8 bytes. */
int ut_bech32_encode(char *out, const char *hrp, const uint8_t *data, size_t data_len,
                     ut_bech32_enc enc);

/* Segwit address: witness version 0..16 and program 2..40 bytes, with the
 * BIP350 rule (v0 bech32, v1+ bech32m) and v0 program length 20 or 32.
 * Returns 0 or -1. */
int ut_segwit_decode(const char *hrp, const char *addr, int *version, uint8_t *program,
                     size_t *program_len);
/* Same as ut_segwit_decode; on failure *why (when why is not NULL) gets a
 * static string saying what was wrong ("wrong human-readable part", ...). */
int ut_segwit_decode_why(const char *hrp, const char *addr, int *version, uint8_t *program,
                         size_t *program_len, const char **why);
/* program needs 40 bytes for decoding; out needs strlen(hrp) + 74 bytes for
 * any encodable program (returns -1 when cap is too small). */
int ut_segwit_encode(char *out, size_t cap, const char *hrp, int version,
                     const uint8_t *program, size_t program_len);

#endif
