/* Numbers and times as text (see format.h).
 *
 * Both date forms come from one conversion of a day count to a civil date
 * (H. Hinnant's days-to-civil algorithm), done in int64 so that a day count
 * from any millisecond time, even INT64_MIN, cannot overflow. The parsers
 * copy to a small NUL-terminated buffer for strtoll/strtoull: Redis replies
 * and wire bytes are not NUL-terminated. */
#include "riskstream/format.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "riskstream/mem.h"

#define DAY_MS 86400000LL

int rs_format_parse_i64(const char *s, size_t len, int64_t *out)
{
    char tmp[32], *end;
    long long v;

    if (len == 0 || len >= sizeof(tmp))
        return -1;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    errno = 0;
    v = strtoll(tmp, &end, 10);
    if (errno || *end)
        return -1;
    *out = (int64_t)v;
    return 0;
}

int rs_format_parse_u64(const char *s, size_t len, uint64_t *out)
{
    char tmp[32], *end;
    unsigned long long v;

    if (len == 0 || len >= sizeof(tmp) || s[0] == '-')
        return -1;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    errno = 0;
    v = strtoull(tmp, &end, 10);
    if (errno || *end)
        return -1;
    *out = (uint64_t)v;
    return 0;
}

/* Days since 1970-01-01 to year, month (1-12) and day (1-31). Valid for
 * |days| below about 2^62; callers pass at most INT64_MAX / DAY_MS. */
static void civil_from_days(int64_t days, int64_t *year, int64_t *month,
                            int64_t *day)
{
    /* Shift to 0000-03-01 so leap days end each 400-year era. */
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;                            /* 0..146096 */
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);     /* 0..365 */
    int64_t mp = (5 * doy + 2) / 153;                          /* March = 0 */

    *day = doy - (153 * mp + 2) / 5 + 1;
    *month = mp < 10 ? mp + 3 : mp - 9;
    *year = yoe + era * 400 + (*month <= 2);
}

/* Splits ms into whole days and the milliseconds into the day (0 to
 * DAY_MS - 1), flooring for times before 1970. */
static int64_t split_day(int64_t ms, int64_t *rem)
{
    int64_t days = ms / DAY_MS;

    *rem = ms % DAY_MS;
    if (*rem < 0) {
        days--;
        *rem += DAY_MS;
    }
    return days;
}

/* Writes n fields of v to t, field f zero-padded to width[f] digits
 * and followed by sep[f] (snprintf was a hot spot); returns the length. */
static size_t put_fields(char *t, const int *v, const int *width,
                         const char *sep, int n)
{
    size_t o = 0;

    for (int f = 0; f < n; f++) {
        for (int k = width[f] - 1, x = v[f]; k >= 0; k--, x /= 10)
            t[o + (size_t)k] = (char)('0' + x % 10);
        o += (size_t)width[f];
        t[o++] = sep[f];
    }
    return o;
}

static void put_date(char *buf, size_t size, int64_t days)
{
    int64_t y, m, d;

    civil_from_days(days, &y, &m, &d);
    if (y >= 0 && y <= 9999 && size > 10) {
        /* By hand: detectors date their findings at every alert. */
        const int v[3] = {(int)y, (int)m, (int)d};
        static const int width[3] = {4, 2, 2};

        buf[put_fields(buf, v, width, "--", 3) - 1] = '\0';
        return;
    }
    snprintf(buf, size, "%04lld-%02lld-%02lld", (long long)y, (long long)m,
             (long long)d);
}

const char *rs_format_date(char *buf, size_t size, int32_t days)
{
    put_date(buf, size, days);
    return buf;
}

const char *rs_format_time(char *buf, size_t size, int64_t ms)
{
    int64_t rem, days = split_day(ms, &rem);
    char date[32];

    put_date(date, sizeof(date), days);
    snprintf(buf, size, "%sT%02lld:%02lld:%02lldZ", date,
             (long long)(rem / 3600000), (long long)(rem / 60000 % 60),
             (long long)(rem / 1000 % 60));
    return buf;
}

const char *rs_format_time_ms(char *buf, size_t size, int64_t ms)
{
    int64_t rem, days = split_day(ms, &rem);
    int64_t y, m, d;

    civil_from_days(days, &y, &m, &d);
    if (y < 0 || y > 9999) {
        snprintf(buf, size, "%" PRId64, ms);
        return buf;
    }
    {
        /* YYYY-MM-DDTHH:MM:SS.mmmZ by hand: snprintf was a hot spot. */
        char t[25];
        const int v[7] = {(int)y, (int)m, (int)d, (int)(rem / 3600000),
                          (int)(rem / 60000 % 60), (int)(rem / 1000 % 60),
                          (int)(rem % 1000)};
        static const int width[7] = {4, 2, 2, 2, 2, 2, 3};

        t[put_fields(t, v, width, "--T::.Z", 7)] = '\0';
        if (size)
            rs_strcpy_cut(buf, size, t);
    }
    return buf;
}

/* ---- rs_format_vtext -------------------------------------------------- */

/* Output cut like vsnprintf's: at most size - 1 bytes, then a NUL. */
struct out {
    char *p;
    size_t left; /* bytes that may still be written, the NUL's included */
};

static void out_bytes(struct out *o, const char *s, size_t n)
{
    if (o->left <= 1)
        return;
    if (n > o->left - 1)
        n = o->left - 1;
    memcpy(o->p, s, n);
    o->p += n;
    o->left -= n;
}

static void out_u64(struct out *o, uint64_t v, int negative)
{
    char t[24], *p = t + sizeof(t);

    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    if (negative)
        *--p = '-';
    out_bytes(o, p, (size_t)(t + sizeof(t) - p));
}

static void out_i64(struct out *o, int64_t v)
{
    out_u64(o, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v, v < 0);
}

/* %.{prec}f as glibc writes it, which rounds the exact binary value: by
 * hand when the scaled value is clearly on one side of a half, else by
 * snprintf (ties, and what lies within rounding error of one). */
static void out_fixed(struct out *o, double v, int prec)
{
    static const double scale[4] = {1, 10, 100, 1000};
    double a = fabs(v), x, whole, frac;
    uint64_t r;

    /* Below 1e9 the product is within 1e-7 of a * 10^prec. */
    if (prec <= 3 && isfinite(v) && a * scale[prec] < 1e9) {
        x = a * scale[prec];
        whole = floor(x);
        frac = x - whole;
        if (fabs(frac - 0.5) > 1e-6) {
            char t[48], *p = t + sizeof(t);

            r = (uint64_t)whole + (frac > 0.5);
            for (int k = 0; k < prec; k++) {
                *--p = (char)('0' + r % 10);
                r /= 10;
            }
            if (prec)
                *--p = '.';
            do {
                *--p = (char)('0' + r % 10);
                r /= 10;
            } while (r);
            if (signbit(v))
                *--p = '-';
            out_bytes(o, p, (size_t)(t + sizeof(t) - p));
            return;
        }
    }
    {
        char t[512];
        int n = snprintf(t, sizeof(t), "%.*f", prec, v);

        if (n > 0)
            out_bytes(o, t, (size_t)n < sizeof(t) ? (size_t)n
                                                  : sizeof(t) - 1);
    }
}

/* Whether every conversion of fmt is one rs_format_vtext writes. */
static int supported(const char *fmt)
{
    for (const char *f = fmt; (f = strchr(f, '%')) != NULL;) {
        f++;
        if (*f == 's' || *f == 'd' || *f == 'u' || *f == '%') {
            f++;
        } else if (f[0] == 'l' && (f[1] == 'd' || f[1] == 'u')) {
            f += 2;
        } else if (f[0] == 'l' && f[1] == 'l' && (f[2] == 'd' || f[2] == 'u')) {
            f += 3;
        } else if (f[0] == '.' && f[1] >= '0' && f[1] <= '9' && f[2] == 'f') {
            f += 3;
        } else {
            return 0;
        }
    }
    return 1;
}

void rs_format_vtext(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct out o = {buf, size};
    const char *f = fmt;

    if (size == 0)
        return;
    if (!supported(fmt)) {
        vsnprintf(buf, size, fmt, ap);
        return;
    }
    while (*f) {
        const char *pct = strchr(f, '%');

        if (!pct) {
            out_bytes(&o, f, strlen(f));
            break;
        }
        out_bytes(&o, f, (size_t)(pct - f));
        f = pct + 1;
        switch (*f++) {
        case '%':
            out_bytes(&o, "%", 1);
            break;
        case 's': {
            const char *s = va_arg(ap, const char *);

            if (!s)
                s = "(null)";
            out_bytes(&o, s, strlen(s));
            break;
        }
        case 'd':
            out_i64(&o, va_arg(ap, int));
            break;
        case 'u':
            out_u64(&o, va_arg(ap, unsigned), 0);
            break;
        case 'l':
            if (*f == 'l') {
                f++;
                if (*f++ == 'd')
                    out_i64(&o, va_arg(ap, long long));
                else
                    out_u64(&o, va_arg(ap, unsigned long long), 0);
            } else if (*f++ == 'd') {
                out_i64(&o, va_arg(ap, long));
            } else {
                out_u64(&o, va_arg(ap, unsigned long), 0);
            }
            break;
        default: /* '.': %.Nf */
            out_fixed(&o, va_arg(ap, double), *f - '0');
            f += 2;
            break;
        }
    }
    *o.p = '\0';
}

void rs_format_text(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    rs_format_vtext(buf, size, fmt, ap);
    va_end(ap);
}
