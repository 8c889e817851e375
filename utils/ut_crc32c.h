/* ut_crc32c: CRC-32C (Castagnoli), with SSE4.2 when the CPU has it. */
#ifndef UT_CRC32C_H
#define UT_CRC32C_H

#include <stddef.h>
#include <stdint.h>

uint32_t ut_crc32c(uint32_t crc, const void *data, size_t len);  /* start with crc 0 */

/* The two paths ut_crc32c chooses between, for tests and benchmarks:
 * the table path, and the SSE4.2 path, which falls back to the table when
 * ut_crc32c_hw_available() is 0. */
uint32_t ut_crc32c_sw(uint32_t crc, const void *data, size_t len);
uint32_t ut_crc32c_hw(uint32_t crc, const void *data, size_t len);
int ut_crc32c_hw_available(void);

#endif
