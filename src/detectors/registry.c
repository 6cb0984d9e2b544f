/* The detectors the engine runs, and helpers they share. */
#include <inttypes.h>
#include <stdio.h>

#include "riskstream/detector.h"

const struct rs_detector *const rs_detectors[] = {
    &rs_detector_overdue,
    NULL,
};

void rs_format_amount(char *out, size_t size, int64_t minor,
                      const char *currency)
{
    uint64_t v = minor < 0 ? (uint64_t)0 - (uint64_t)minor : (uint64_t)minor;
    char digits[32];
    char grouped[48];
    int len, g = 0;

    len = snprintf(digits, sizeof(digits), "%" PRIu64, v / 100);
    for (int i = 0; i < len; i++) {
        if (i && (len - i) % 3 == 0)
            grouped[g++] = ',';
        grouped[g++] = digits[i];
    }
    grouped[g] = '\0';
    snprintf(out, size, "%s%s.%02u%s%s", minor < 0 ? "-" : "", grouped,
             (unsigned)(v % 100), *currency ? " " : "", currency);
}
