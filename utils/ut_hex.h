/* ut_hex: hex <-> bytes, and the byte-order helpers hashes need. */
#ifndef UT_HEX_H
#define UT_HEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Writes 2*n lowercase hex digits and a NUL into out (2*n+1 bytes). */
void ut_hex_encode(const void *in, size_t n, char *out);
/* Decodes exactly 2*n hex digits (either case) into n bytes. 0 or -1. */
int ut_hex_decode(const char *hex, void *out, size_t n);
/* Decodes a hex string of any even length; *outlen gets its byte count. */
int ut_hex_decode_any(const char *hex, size_t hexlen, void *out, size_t cap, size_t *outlen);
void ut_bytes_reverse(void *p, size_t n);
/* Hash as shown by nodes (byte-reversed hex) <-> internal byte order.
 * ut_hash_from_hex reads exactly 64 hex digits (what follows is not checked). */
void ut_hash_to_hex(const uint8_t hash[32], char out[65]);
int ut_hash_from_hex(const char *hex, uint8_t hash[32]);

#endif
