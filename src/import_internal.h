/* Internals of the importer shared by import_map.c (the mapping file) and
 * import.c (rows to events); not part of the public API (import.h).
 *
 * Ownership: the mapping owns every string in it
 * (rs_import_mapping_destroy). */
#ifndef RS_IMPORT_INTERNAL_H
#define RS_IMPORT_INTERNAL_H

#include <stdint.h>

#include "riskstream/event.h"
#include "riskstream/import.h"

#define LIST_MAX 16 /* values per dispute.yes / dispute.no list */

/* The columns a mapping can name. */
enum col {
    C_CUSTOMER,
    C_INVOICE,
    C_AMOUNT,
    C_CURRENCY,
    C_ISSUE,
    C_DUE,
    C_TERMS,
    C_SETTLED,
    C_DAYS_TO_SETTLE,
    C_DAYS_LATE,
    C_DISPUTED,
    C_ORDER,
    C_SECTOR,
    C_SEGMENT,
    C_COUNT
};

/* The mapping keys of the columns, e.g. "column.amount". */
extern const char *const rs_import_col_keys[C_COUNT];

/* A date format compiled to tokens. */
enum dtok { D_LIT, D_YYYY, D_M, D_MM, D_D, D_DD };

#define DATE_TOKENS 16

struct date_format {
    char text[32];
    enum dtok tok[DATE_TOKENS];
    char lit[DATE_TOKENS];
    int n;
};

struct rs_import_mapping {
    char *path;
    char *column[C_COUNT]; /* as written: a header name or #N */
    int header;
    char delimiter;
    char quote;
    struct date_format date;
    int64_t time_ms; /* time of day of every event, UTC */
    char currency[RS_CURRENCY_MAX];
    int minor_digits;
    char decimal;
    char thousands; /* 0: none */
    int terms_days; /* -1: not set */
    char *prefix;
    char *yes[LIST_MAX];
    int nyes;
    char *no[LIST_MAX];
    int nno;
    char *sector;
    char *segment;
    int method; /* enum rs_payment_method, -1: not set */
};

/* Parses text with a compiled date format into days since 1970. */
int rs_import_parse_date(const struct date_format *f, const char *text,
                         int32_t *days);
/* Whether v is three upper-case letters. */
int rs_import_currency_code(const char *v);
/* Moves *s past leading spaces and cuts trailing ones (in place). */
void rs_import_trim(char **s);

#endif
