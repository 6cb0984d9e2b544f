/* The importer's mapping file: keys, values, defaults (see import.h and
 * docs/import.md for the keys).
 *
 * A mapping is read line by line into struct rs_import_mapping; each key
 * has its own check and its value is converted once (a date format is
 * compiled to tokens, a time of day to milliseconds), so rows only look
 * things up. What every mapping needs (the four required columns, a way
 * to get the due date and the currency) is checked after the last line,
 * so keys may come in any order. */
#include "riskstream/import.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import_internal.h"
#include "riskstream/mem.h"

#define MAP_LINE_MAX 1024

const char *const rs_import_col_keys[C_COUNT] = {
    "column.customer",     "column.invoice",        "column.amount",
    "column.currency",     "column.issue_date",     "column.due_date",
    "column.terms_days",   "column.settled_date",   "column.days_to_settle",
    "column.days_late",    "column.disputed",       "column.order",
    "column.sector",       "column.segment",
};

static int set_list(char **list, int *n, const char *value)
{
    const char *p = value;

    for (int i = 0; i < *n; i++)
        free(list[i]);
    *n = 0;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);

        while (len && isspace((unsigned char)*p))
            p++, len--;
        while (len && isspace((unsigned char)p[len - 1]))
            len--;
        if (*n == LIST_MAX)
            return -1;
        list[(*n)++] = rs_strndup(p, len);
        if (!comma)
            return 0;
        p = comma + 1;
    }
}

static int compile_date(struct date_format *f, const char *text)
{
    static const struct {
        const char *s;
        enum dtok t;
    } words[] = {{"YYYY", D_YYYY}, {"MM", D_MM}, {"M", D_M},
                 {"DD", D_DD},     {"D", D_D}};
    int year = 0, month = 0, day = 0;

    memset(f, 0, sizeof(*f));
    if (strlen(text) >= sizeof(f->text))
        return -1;
    snprintf(f->text, sizeof(f->text), "%s", text);
    for (const char *p = text; *p;) {
        size_t w;

        if (f->n == DATE_TOKENS)
            return -1;
        for (w = 0; w < sizeof(words) / sizeof(words[0]); w++)
            if (strncmp(p, words[w].s, strlen(words[w].s)) == 0)
                break;
        if (w < sizeof(words) / sizeof(words[0])) {
            f->tok[f->n++] = words[w].t;
            p += strlen(words[w].s);
            year += words[w].t == D_YYYY;
            month += words[w].t == D_M || words[w].t == D_MM;
            day += words[w].t == D_D || words[w].t == D_DD;
        } else if (isalpha((unsigned char)*p)) {
            return -1; /* e.g. "yyyy": say so rather than match literally */
        } else {
            f->tok[f->n] = D_LIT;
            f->lit[f->n++] = *p++;
        }
    }
    return year == 1 && month == 1 && day == 1 ? 0 : -1;
}

static int parse_digits(const char **p, int min, int max, int *out)
{
    int n = 0, v = 0;

    while (n < max && isdigit((unsigned char)**p)) {
        v = v * 10 + (**p - '0');
        (*p)++;
        n++;
    }
    *out = v;
    return n >= min ? 0 : -1;
}

/* Parses text with the mapping's date format into days since 1970. */
int rs_import_parse_date(const struct date_format *f, const char *text,
                         int32_t *days)
{
    const char *p = text;
    int y = 0, m = 0, d = 0;

    for (int i = 0; i < f->n; i++) {
        int rc = 0;

        switch (f->tok[i]) {
        case D_LIT:
            rc = *p == f->lit[i] ? (p++, 0) : -1;
            break;
        case D_YYYY:
            rc = parse_digits(&p, 4, 4, &y);
            break;
        case D_M:
            rc = parse_digits(&p, 1, 2, &m);
            break;
        case D_MM:
            rc = parse_digits(&p, 2, 2, &m);
            break;
        case D_D:
            rc = parse_digits(&p, 1, 2, &d);
            break;
        case D_DD:
            rc = parse_digits(&p, 2, 2, &d);
            break;
        }
        if (rc)
            return -1;
    }
    if (*p)
        return -1;
    return rs_import_civil_days(y, m, d, days);
}

int rs_import_civil_days(int y, int m, int d, int32_t *days)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    int64_t yy, era, yoe, doy, doe;

    if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1 ||
        d > mdays[m - 1] + (m == 2 && leap))
        return -1;
    /* Howard Hinnant's days_from_civil. */
    yy = y - (m <= 2);
    era = yy / 400;
    yoe = yy - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    *days = (int32_t)(era * 146097 + doe - 719468);
    return 0;
}

static int parse_time_of_day(const char *text, int64_t *ms)
{
    int h, mi, s = 0, n = 0;

    if (sscanf(text, "%2d:%2d%n", &h, &mi, &n) != 2)
        return -1;
    if (text[n] == ':') {
        int n2 = 0;

        if (sscanf(text + n + 1, "%2d%n", &s, &n2) != 1)
            return -1;
        n += 1 + n2;
    }
    if (text[n] || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59)
        return -1;
    *ms = ((int64_t)h * 3600 + mi * 60 + s) * 1000;
    return 0;
}

static int yes_no(const char *v, int *out)
{
    if (!strcmp(v, "yes") || !strcmp(v, "true")) {
        *out = 1;
        return 0;
    }
    if (!strcmp(v, "no") || !strcmp(v, "false")) {
        *out = 0;
        return 0;
    }
    return -1;
}

static int one_char(const char *v, char *out)
{
    if (!strcmp(v, "tab"))
        *out = '\t';
    else if (!strcmp(v, "none"))
        *out = 0;
    else if (strlen(v) == 1 && v[0] != '\n')
        *out = v[0];
    else
        return -1;
    return 0;
}

int rs_import_currency_code(const char *v)
{
    return strlen(v) == 3 && isupper((unsigned char)v[0]) &&
           isupper((unsigned char)v[1]) && isupper((unsigned char)v[2]);
}

/* Sets one key; returns 0, or -1 with why (the key is known but the value
 * is not right), or -2 for an unknown key. */
static int map_set(struct rs_import_mapping *m, const char *key,
                   const char *v, char *why, size_t why_size)
{
    static const char *const methods[] = {"TRANSFER", "DIRECT_DEBIT", "CARD",
                                          "CHEQUE",   "PAYMENT_LINK", "OTHER"};
    char *end;
    long n;

    for (int c = 0; c < C_COUNT; c++) {
        if (strcmp(key, rs_import_col_keys[c]) == 0) {
            free(m->column[c]);
            m->column[c] = v[0] ? rs_strdup(v) : NULL;
            return 0;
        }
    }
    if (!strcmp(key, "header")) {
        if (yes_no(v, &m->header) == 0)
            return 0;
        snprintf(why, why_size, "'%s' is not yes or no", v);
    } else if (!strcmp(key, "delimiter") || !strcmp(key, "quote")) {
        char ch;

        if (one_char(v, &ch) == 0 && (ch || key[0] == 'q')) {
            *(key[0] == 'd' ? &m->delimiter : &m->quote) = ch;
            return 0;
        }
        snprintf(why, why_size, "'%s' is not one character%s", v,
                 key[0] == 'd' ? " or tab" : ", tab or none");
    } else if (!strcmp(key, "date.format")) {
        if (compile_date(&m->date, v) == 0)
            return 0;
        snprintf(why, why_size,
                 "'%s' is not a date format: use YYYY, M or MM, D or DD "
                 "once each, with separators (e.g. M/D/YYYY, YYYY-MM-DD)",
                 v);
    } else if (!strcmp(key, "time.of_day")) {
        if (parse_time_of_day(v, &m->time_ms) == 0)
            return 0;
        snprintf(why, why_size, "'%s' is not a time of day HH:MM[:SS]", v);
    } else if (!strcmp(key, "currency")) {
        if (rs_import_currency_code(v)) {
            snprintf(m->currency, sizeof(m->currency), "%s", v);
            return 0;
        }
        snprintf(why, why_size, "'%s' is not an ISO 4217 code like EUR", v);
    } else if (!strcmp(key, "amount.decimal") ||
               !strcmp(key, "amount.thousands")) {
        char ch;

        if (one_char(v, &ch) == 0 && (ch || key[7] == 't') &&
            !isdigit((unsigned char)ch)) {
            *(key[7] == 'd' ? &m->decimal : &m->thousands) = ch;
            return 0;
        }
        snprintf(why, why_size, "'%s' is not one separator character", v);
    } else if (!strcmp(key, "amount.minor_digits") ||
               !strcmp(key, "terms.days")) {
        int is_terms = key[0] == 't';

        n = strtol(v, &end, 10);
        if (*v && !*end && n >= 0 && n <= (is_terms ? 3650 : 4)) {
            *(is_terms ? &m->terms_days : &m->minor_digits) = (int)n;
            return 0;
        }
        snprintf(why, why_size, "'%s' is not a whole number from 0 to %d", v,
                 is_terms ? 3650 : 4);
    } else if (!strcmp(key, "customer.prefix")) {
        if (strlen(v) < RS_ID_MAX - 1) {
            free(m->prefix);
            m->prefix = rs_strdup(v);
            return 0;
        }
        snprintf(why, why_size, "'%s' is longer than %d bytes", v,
                 RS_ID_MAX - 2);
    } else if (!strcmp(key, "dispute.yes") || !strcmp(key, "dispute.no")) {
        int is_yes = key[8] == 'y';

        if (set_list(is_yes ? m->yes : m->no, is_yes ? &m->nyes : &m->nno,
                     v) == 0)
            return 0;
        snprintf(why, why_size, "more than %d values", LIST_MAX);
    } else if (!strcmp(key, "sector") || !strcmp(key, "segment")) {
        char **slot = key[1] == 'e' && key[2] == 'c' ? &m->sector
                                                     : &m->segment;

        if (strlen(v) < RS_TEXT_MAX) {
            free(*slot);
            *slot = v[0] ? rs_strdup(v) : NULL;
            return 0;
        }
        snprintf(why, why_size, "'%s' is longer than %d bytes", v,
                 RS_TEXT_MAX - 1);
    } else if (!strcmp(key, "payment.method")) {
        for (int i = 0; i < 6; i++) {
            if (strcmp(v, methods[i]) == 0) {
                m->method = i;
                return 0;
            }
        }
        snprintf(why, why_size,
                 "'%s' is not TRANSFER, DIRECT_DEBIT, CARD, CHEQUE, "
                 "PAYMENT_LINK or OTHER",
                 v);
    } else {
        return -2;
    }
    return -1;
}

void rs_import_trim(char **s)
{
    char *p = *s, *e;

    while (isspace((unsigned char)*p))
        p++;
    e = p + strlen(p);
    while (e > p && isspace((unsigned char)e[-1]))
        *--e = '\0';
    *s = p;
}

static void map_defaults(struct rs_import_mapping *m)
{
    m->header = 1;
    m->delimiter = ',';
    m->quote = '"';
    compile_date(&m->date, "YYYY-MM-DD");
    m->minor_digits = 2;
    m->decimal = '.';
    m->terms_days = -1;
    m->prefix = rs_strdup("");
    m->method = -1;
    set_list(m->yes, &m->nyes, "yes,y,true,1");
    set_list(m->no, &m->nno, "no,n,false,0,");
}

/* What every mapping needs, checked once the whole file is read. */
static int map_check(const struct rs_import_mapping *m, char *errstr,
                     size_t errstr_size)
{
    static const enum col required[] = {C_CUSTOMER, C_INVOICE, C_AMOUNT,
                                        C_ISSUE};

    for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
        if (!m->column[required[i]]) {
            snprintf(errstr, errstr_size, "mapping '%s': %s is required",
                     m->path, rs_import_col_keys[required[i]]);
            return -1;
        }
    }
    if (!m->column[C_DUE] && !m->column[C_TERMS] && m->terms_days < 0) {
        snprintf(errstr, errstr_size,
                 "mapping '%s': the due date needs column.due_date, "
                 "column.terms_days or terms.days",
                 m->path);
        return -1;
    }
    if (!m->column[C_CURRENCY] && !m->currency[0]) {
        snprintf(errstr, errstr_size,
                 "mapping '%s': the currency needs column.currency or "
                 "currency",
                 m->path);
        return -1;
    }
    if (m->delimiter == m->quote || m->delimiter == m->decimal) {
        snprintf(errstr, errstr_size,
                 "mapping '%s': the delimiter is also the quote or the "
                 "decimal separator",
                 m->path);
        return -1;
    }
    return 0;
}

struct rs_import_mapping *rs_import_mapping_load(const char *path,
                                                 char *errstr,
                                                 size_t errstr_size)
{
    struct rs_import_mapping *m = rs_calloc(1, sizeof(*m));
    FILE *fp = fopen(path, "r");
    char line[MAP_LINE_MAX + 2];
    int lineno = 0;

    m->path = rs_strdup(path);
    map_defaults(m);
    if (!fp) {
        snprintf(errstr, errstr_size, "cannot open mapping '%s': %s", path,
                 strerror(errno));
        goto fail;
    }
    while (fgets(line, sizeof(line), fp)) {
        char *p = line, *eq, *key, *value, why[256];
        int rc;

        lineno++;
        if (strlen(line) > MAP_LINE_MAX) {
            snprintf(errstr, errstr_size, "%s:%d: line longer than %d bytes",
                     path, lineno, MAP_LINE_MAX);
            goto fail;
        }
        rs_import_trim(&p);
        if (!*p || *p == '#')
            continue;
        eq = strchr(p, '=');
        if (!eq) {
            snprintf(errstr, errstr_size, "%s:%d: '%s' is not key = value",
                     path, lineno, p);
            goto fail;
        }
        *eq = '\0';
        key = p;
        value = eq + 1;
        rs_import_trim(&key);
        rs_import_trim(&value);
        rc = map_set(m, key, value, why, sizeof(why));
        if (rc == -2) {
            snprintf(errstr, errstr_size, "%s:%d: unknown key '%s'", path,
                     lineno, key);
            goto fail;
        }
        if (rc) {
            snprintf(errstr, errstr_size, "%s:%d: %s: %s", path, lineno, key,
                     why);
            goto fail;
        }
    }
    fclose(fp);
    fp = NULL;
    if (map_check(m, errstr, errstr_size))
        goto fail;
    return m;
fail:
    if (fp)
        fclose(fp);
    rs_import_mapping_destroy(m);
    return NULL;
}

void rs_import_mapping_destroy(struct rs_import_mapping *m)
{
    if (!m)
        return;
    for (int c = 0; c < C_COUNT; c++)
        free(m->column[c]);
    for (int i = 0; i < m->nyes; i++)
        free(m->yes[i]);
    for (int i = 0; i < m->nno; i++)
        free(m->no[i]);
    free(m->path);
    free(m->prefix);
    free(m->sector);
    free(m->segment);
    free(m);
}

