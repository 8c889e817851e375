/* ut_crc32c: CRC-32C (Castagnoli), with SSE4.2 when the CPU has it. */
#ifndef UT_CRC32C_H
#define UT_CRC32C_H

#include <stddef.h>
#include <stdint.h>

uint32_t ut_crc32c(uint32_t crc, const void *data, size_t len);  /* start with crc 0 */

#endif
