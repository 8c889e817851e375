/* ut_base58: base58 and base58check (double-SHA256 checksum). */
#ifndef UT_BASE58_H
#define UT_BASE58_H

#include <stddef.h>
#include <stdint.h>

/* Encodes n bytes; returns the string length or 0 if cap is too small
 * (cap counts the NUL; an empty input gives "" and 0). */
size_t ut_base58_encode(const uint8_t *in, size_t n, char *out, size_t cap);
/* Decodes; returns the byte count or -1 on a bad character / overflow. */
int ut_base58_decode(const char *in, uint8_t *out, size_t cap);
/* Payloads up to 256 bytes (0 returned above that). */
size_t ut_base58check_encode(const uint8_t *payload, size_t n, char *out, size_t cap);
/* Returns the payload length (checksum stripped) or -1 (bad char, bad checksum). */
int ut_base58check_decode(const char *in, uint8_t *out, size_t cap);

#endif
