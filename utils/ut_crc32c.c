/* ut_crc32c: CRC-32C (Castagnoli polynomial, reflected 0x82F63B78).
 *
 * Two paths with the same result: the SSE4.2 crc32 instruction, eight
 * bytes at a time, when the CPU has it; a byte-wise table otherwise. The
 * running value passed in and returned is the finished CRC (start with 0),
 * so a buffer can be checksummed in pieces. */
#include <pthread.h>
#include <string.h>

#include "utils/ut_crc32c.h"

#if defined(__x86_64__)
#include <nmmintrin.h>
#define UT_CRC32C_HAVE_HW 1
#endif

#define CRC32C_POLY 0x82f63b78u

static uint32_t crc_table[256];
static pthread_once_t crc_table_once = PTHREAD_ONCE_INIT;

static void crc_table_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? (c >> 1) ^ CRC32C_POLY : c >> 1;
        crc_table[i] = c;
    }
}

uint32_t ut_crc32c_sw(uint32_t crc, const void *data, size_t len)
{
    const uint8_t *p = data;
    pthread_once(&crc_table_once, crc_table_init);
    crc = ~crc;
    for (size_t i = 0; i < len; i++)
        crc = crc_table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
    return ~crc;
}

#ifdef UT_CRC32C_HAVE_HW
__attribute__((target("sse4.2")))
static uint32_t crc32c_sse42(uint32_t crc, const uint8_t *p, size_t len)
{
    uint64_t c = ~crc;
    while (len && ((uintptr_t)p & 7)) {
        c = _mm_crc32_u8((uint32_t)c, *p++);
        len--;
    }
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        c = _mm_crc32_u64(c, w);
        p += 8;
        len -= 8;
    }
    while (len--)
        c = _mm_crc32_u8((uint32_t)c, *p++);
    return ~(uint32_t)c;
}

int ut_crc32c_hw_available(void)
{
    return __builtin_cpu_supports("sse4.2") ? 1 : 0;
}

uint32_t ut_crc32c_hw(uint32_t crc, const void *data, size_t len)
{
    if (!ut_crc32c_hw_available())
        return ut_crc32c_sw(crc, data, len);
    return crc32c_sse42(crc, data, len);
}
#else
int ut_crc32c_hw_available(void)
{
    return 0;
}

uint32_t ut_crc32c_hw(uint32_t crc, const void *data, size_t len)
{
    return ut_crc32c_sw(crc, data, len);
}
#endif

uint32_t ut_crc32c(uint32_t crc, const void *data, size_t len)
{
    return ut_crc32c_hw(crc, data, len);   /* falls back to the table itself */
}
