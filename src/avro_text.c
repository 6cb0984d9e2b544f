/* Avro generic values from and to text (see avro_text.h). */
#include "riskstream/avro_text.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "riskstream/mem.h"

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

    return era * 146097 + (int64_t)doe - 719468;
}

static int valid_ymd(int y, int m, int d)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
        return 0;
    if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 0;
    return 1;
}

int rs_avro_parse_date(const char *text, int32_t *days)
{
    int y, m, d, n = 0;

    if (sscanf(text, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10 ||
        text[n] != '\0' || !valid_ymd(y, m, d))
        return -1;
    *days = (int32_t)days_from_civil(y, (unsigned)m, (unsigned)d);
    return 0;
}

int rs_avro_parse_timestamp(const char *text, int64_t *millis)
{
    int y, mo, d, h, mi, s, n = 0, ms = 0;

    if (sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s,
               &n) != 6 ||
        n != 19 || !valid_ymd(y, mo, d) || h > 23 || mi > 59 || s > 59 ||
        h < 0 || mi < 0 || s < 0)
        return -1;
    text += n;
    if (*text == '.') {
        int k = 0;

        if (sscanf(text + 1, "%3d%n", &ms, &k) != 1 || k != 3 || ms < 0)
            return -1;
        text += 4;
    }
    if (strcmp(text, "Z") != 0)
        return -1;
    *millis = ((days_from_civil(y, (unsigned)mo, (unsigned)d) * 24 + h) * 60 +
               mi) * 60000LL + s * 1000LL + ms;
    return 0;
}

static int parse_ll(const char *text, long long *out)
{
    char *end;

    errno = 0;
    *out = strtoll(text, &end, 10);
    return errno || end == text || *end ? -1 : 0;
}

static int set_scalar(avro_value_t *v, const char *text, char *errstr,
                      size_t errstr_size)
{
    avro_schema_t s = avro_value_get_schema(v);
    long long ll;
    int32_t days;
    int64_t ms;

    switch (avro_typeof(s)) {
    case AVRO_STRING:
        return avro_value_set_string(v, text);
    case AVRO_BYTES:
        return avro_value_set_bytes(v, (void *)(uintptr_t)text, strlen(text));
    case AVRO_INT32:
        if (rs_avro_parse_date(text, &days) == 0)
            return avro_value_set_int(v, days);
        if (parse_ll(text, &ll) || ll < INT32_MIN || ll > INT32_MAX)
            break;
        return avro_value_set_int(v, (int32_t)ll);
    case AVRO_INT64:
        if (rs_avro_parse_timestamp(text, &ms) == 0)
            return avro_value_set_long(v, ms);
        if (parse_ll(text, &ll))
            break;
        return avro_value_set_long(v, ll);
    case AVRO_DOUBLE:
    case AVRO_FLOAT: {
        char *end;
        double d = strtod(text, &end);

        if (end == text || *end)
            break;
        return avro_typeof(s) == AVRO_DOUBLE ? avro_value_set_double(v, d)
                                             : avro_value_set_float(v, (float)d);
    }
    case AVRO_BOOLEAN:
        if (strcmp(text, "true") == 0 || strcmp(text, "false") == 0)
            return avro_value_set_boolean(v, text[0] == 't');
        break;
    case AVRO_ENUM: {
        int sym = avro_schema_enum_get_by_name(s, text);

        if (sym < 0)
            break;
        return avro_value_set_enum(v, sym);
    }
    case AVRO_NULL:
        if (strcmp(text, "null") == 0)
            return avro_value_set_null(v);
        break;
    default:
        snprintf(errstr, errstr_size, "type %s cannot be set from text",
                 avro_schema_type_name(s));
        return -1;
    }
    snprintf(errstr, errstr_size, "'%s' is not a valid %s", text,
             avro_schema_type_name(s));
    return -1;
}

int rs_avro_set_text(avro_value_t *record, const char *field,
                     const char *text, char *errstr, size_t errstr_size)
{
    avro_value_t v, branch;
    char why[256];

    if (avro_value_get_by_name(record, field, &v, NULL)) {
        snprintf(errstr, errstr_size, "no field '%s'", field);
        return -1;
    }
    if (avro_value_get_type(&v) == AVRO_UNION) {
        avro_schema_t us = avro_value_get_schema(&v);
        int want_null = strcmp(text, "null") == 0;
        size_t n = avro_schema_union_size(us);

        for (size_t i = 0; i < n; i++) {
            int is_null = avro_typeof(avro_schema_union_branch(us, (int)i)) ==
                          AVRO_NULL;

            if (is_null != want_null)
                continue;
            if (avro_value_set_branch(&v, (int)i, &branch) ||
                set_scalar(&branch, text, why, sizeof(why)))
                continue;
            return 0;
        }
        snprintf(errstr, errstr_size, "field '%s': no branch takes '%s'",
                 field, text);
        return -1;
    }
    if (avro_value_get_type(&v) == AVRO_ARRAY) {
        /* Comma-separated elements of a scalar array. */
        char *copy = rs_strdup(text), *save = NULL;
        int rc = 0;

        avro_value_reset(&v);
        for (char *tok = strtok_r(copy, ",", &save); tok && !rc;
             tok = strtok_r(NULL, ",", &save)) {
            avro_value_t elem;

            rc = avro_value_append(&v, &elem, NULL) ||
                 set_scalar(&elem, tok, why, sizeof(why));
        }
        free(copy);
        if (rc)
            snprintf(errstr, errstr_size, "field '%s': %s", field, why);
        return rc ? -1 : 0;
    }
    if (set_scalar(&v, text, why, sizeof(why))) {
        snprintf(errstr, errstr_size, "field '%s': %s", field, why);
        return -1;
    }
    return 0;
}

/* Optional fields start as null, so a record needs only what it has. */
static void null_optionals(avro_value_t *record)
{
    size_t n = 0;

    avro_value_get_size(record, &n);
    for (size_t i = 0; i < n; i++) {
        avro_value_t f, branch;

        if (avro_value_get_by_index(record, i, &f, NULL) ||
            avro_value_get_type(&f) != AVRO_UNION)
            continue;
        avro_schema_t us = avro_value_get_schema(&f);
        for (size_t b = 0; b < avro_schema_union_size(us); b++) {
            if (avro_typeof(avro_schema_union_branch(us, (int)b)) ==
                AVRO_NULL) {
                avro_value_set_branch(&f, (int)b, &branch);
                avro_value_set_null(&branch);
                break;
            }
        }
    }
}

int rs_avro_fill(avro_value_t *record, const char *fields, char *errstr,
                 size_t errstr_size)
{
    char *copy = rs_strdup(fields), *save = NULL;
    int rc = 0;

    null_optionals(record);
    for (char *tok = strtok_r(copy, " ", &save); tok && !rc;
         tok = strtok_r(NULL, " ", &save)) {
        char *eq = strchr(tok, '=');

        if (!eq) {
            snprintf(errstr, errstr_size, "'%s' is not field=value", tok);
            rc = -1;
            break;
        }
        *eq = '\0';
        rc = rs_avro_set_text(record, tok, eq + 1, errstr, errstr_size);
    }
    free(copy);
    return rc;
}

int rs_avro_encode(avro_value_t *value, struct rs_buf *out)
{
    size_t size;
    avro_writer_t w;
    int rc;

    if (avro_value_sizeof(value, &size))
        return -1;
    if (out->max && (size > out->max || out->len > out->max - size))
        return -1;
    rs_grow((void **)&out->data, &out->cap, out->len + size + 1, 1);
    w = avro_writer_memory((char *)out->data + out->len, (int64_t)size);
    rc = avro_value_write(w, value);
    avro_writer_free(w);
    if (rc)
        return -1;
    out->len += size;
    out->data[out->len] = '\0';
    return 0;
}
