/* Text by hand: rs_format_vtext writes what vsnprintf writes, cut the same
 * way, and dates are what the calendar says. */
#include "support.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "riskstream/format.h"

/* Formats with both and compares, at the full size and cut at every size
 * up to the text's length. */
static void same_as_printf(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static void same_as_printf(const char *fmt, ...)
{
    char want[600], got[600];
    va_list ap, aq;
    int n;

    va_start(ap, fmt);
    va_copy(aq, ap);
    n = vsnprintf(want, sizeof(want), fmt, aq);
    va_end(aq);
    assert_true(n >= 0 && (size_t)n < sizeof(want));
    for (size_t size = 0; size <= (size_t)n + 1; size++) {
        char cut[600];

        memset(got, 'x', sizeof(got));
        va_copy(aq, ap);
        rs_format_vtext(got, size, fmt, aq);
        va_end(aq);
        if (size == 0) {
            assert_int_equal(got[0], 'x'); /* nothing written */
            continue;
        }
        memcpy(cut, want, size - 1);
        cut[size - 1] = '\0';
        if (strcmp(got, cut) != 0)
            fail_msg("format \"%s\" at size %zu: got \"%s\", printf \"%s\"",
                     fmt, size, got, cut);
    }
    va_end(ap);
}

static void test_format_integers_and_strings(void **state)
{
    const char *volatile none = NULL; /* glibc prints "(null)" */

    (void)state;
    same_as_printf("plain words, no numbers");
    same_as_printf("%d %d %d %d", 0, -1, INT_MIN, INT_MAX);
    same_as_printf("%u %u", 0u, UINT_MAX);
    same_as_printf("%ld/%lu", LONG_MIN, ULONG_MAX);
    same_as_printf("%lld and %llu", LLONG_MIN, ULLONG_MAX);
    same_as_printf("%s|%s|%s", "", "a string", none);
    same_as_printf("100%% of %d invoices (%d%%)", 7, 100);
    same_as_printf("%s paid %d of %d invoices late, %s on average: "
                   "%lld days",
                   "customer C0012345", 3, 11, "12.5 days", 123456789LL);
    for (int i = 0; i < 2000; i++) {
        int v = rand() - RAND_MAX / 2;

        same_as_printf("[%d]%u", v, (unsigned)v);
    }
}

static void test_format_fixed_point(void **state)
{
    static const double edge[] = {
        0, -0.0, 0.5, 1.5, 2.5, -2.5, 0.25, 0.125, 0.05, 0.15, 0.35,
        1.005, 2.675, 1e-300, -1e-300, -0.04, 999999.95, 1e8 + 0.5,
        123456789.123, 1e12, 1e15 + 0.3, 1e20, -1e22, 0.1 + 0.2,
        9.9999999, 99.95, 4.4999999999, 4.5000000001};

    (void)state;
    for (size_t i = 0; i < sizeof(edge) / sizeof(edge[0]); i++)
        same_as_printf("%.0f %.1f %.2f %.3f %.4f", edge[i], edge[i],
                       edge[i], edge[i], edge[i]);
    same_as_printf("%.1f %.0f %.2f", INFINITY, -INFINITY, NAN);
    srand(5);
    for (int i = 0; i < 20000; i++) {
        /* Ratios and days, as the detectors print them, and halves. */
        double v = (double)(rand() % 2000000 - 1000000) / (rand() % 999 + 1);
        double h = (double)(rand() % 20001 - 10000) / 20.0;

        same_as_printf("%.1f days, %.0f%%, %.2f, %.3f", v, v * 10, v, v);
        same_as_printf("%.1f %.0f %.2f", h, h, h / 10);
    }
}

/* Widths, flags and other conversions are left to vsnprintf. */
static void test_format_other_conversions(void **state)
{
    (void)state;
    same_as_printf("%5d|%-4s|%x|%08.3f|%c|%e", 42, "ab", 255u, 3.14159, 'z',
                   1e-5);
    same_as_printf("%.1f then %5.1f", 2.25, 2.25);
}

static void test_format_dates(void **state)
{
    char got[32], want[32];

    (void)state;
    /* Every day from 1969 to 2101, and a few far ones. */
    for (int32_t d = -400; d < 48000; d++) {
        long long y;
        int m, day;

        rs_format_date(got, sizeof(got), d);
        assert_int_equal(sscanf(got, "%lld-%d-%d", &y, &m, &day), 3);
        rs_format_date(want, sizeof(want), d + 1);
        assert_true(strcmp(got, want) < 0); /* ascending */
        assert_int_equal(strlen(got), 10);
        assert_true(m >= 1 && m <= 12 && day >= 1 && day <= 31);
    }
    assert_string_equal(rs_format_date(got, sizeof(got), 0), "1970-01-01");
    assert_string_equal(rs_format_date(got, sizeof(got), 20789),
                        "2026-12-02");
    assert_string_equal(rs_format_date(got, sizeof(got), -719528),
                        "0000-01-01");
    assert_string_equal(rs_format_date(got, sizeof(got), -719529),
                        "-001-12-31");
    assert_string_equal(rs_format_date(got, sizeof(got), 2932897),
                        "10000-01-01");
    assert_string_equal(rs_format_date(got, 8, 20789), "2026-12");
    /* Times to the millisecond, and outside 0000-9999 as the number. */
    assert_string_equal(rs_format_time_ms(got, sizeof(got), 0),
                        "1970-01-01T00:00:00.000Z");
    assert_string_equal(
        rs_format_time_ms(got, sizeof(got), 20789LL * 86400000 + 45296789),
        "2026-12-02T12:34:56.789Z");
    assert_string_equal(rs_format_time_ms(got, sizeof(got), -1),
                        "1969-12-31T23:59:59.999Z");
    assert_string_equal(rs_format_time_ms(got, 11, 0), "1970-01-01");
    assert_string_equal(
        rs_format_time_ms(got, sizeof(got), 2932897LL * 86400000),
        "253402300800000");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_integers_and_strings),
        cmocka_unit_test(test_format_fixed_point),
        cmocka_unit_test(test_format_other_conversions),
        cmocka_unit_test(test_format_dates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
