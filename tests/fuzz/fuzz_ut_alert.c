/* fuzz_ut_alert: ut_alert_parse, the parser of the alert datagrams that
 * alertcenter takes from anyone who can reach its UDP port: any bytes give
 * 0 or -1, never a crash; what parses formats back into a datagram that
 * parses to the same record. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "utils/ut_alert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static ut_alert_rec a, b;
    char err[200], buf[UT_ALERT_DGRAM_MAX + 8];

    if (ut_alert_parse((const char *)data, size, &a, err, sizeof(err)) != 0)
        return 0;
    size_t n = ut_alert_format(buf, sizeof(buf), &a);
    if (n > UT_ALERT_DGRAM_MAX || ut_alert_parse(buf, n, &b, err, sizeof(err)) != 0)
        abort();
    if (strcmp(a.module, b.module) != 0 || strcmp(a.key, b.key) != 0 || a.level != b.level ||
        a.pid != b.pid || a.dropped != b.dropped)
        abort();
    return 0;
}
