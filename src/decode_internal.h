/* The decoder's private parts, shared by its two halves: the reader tables
 * and the compiled programs.
 *
 * decode_compile.c turns the registry's writer schemas into programs over
 * the reader tables at rs_decoder_new(); decode.c runs them per record. The
 * program is the whole contract between the two: a flat array of ops per
 * writer (one per writer field, a union as OP_UNION then one op per
 * branch), the skip nodes they point at, and the enum symbol maps. Nothing
 * here is part of the public API (include/riskstream/decode.h); only the
 * two decode*.c files include it.
 *
 * Ownership: everything hangs off struct rs_decoder, which
 * rs_decoder_destroy() frees; the reader tables are static and const. */
#ifndef RS_DECODE_INTERNAL_H
#define RS_DECODE_INTERNAL_H

#include <avro.h>
#include <stddef.h>
#include <stdint.h>

#include "riskstream/decode.h"
#include "riskstream/event.h"

/* Caps. Depth counts nested records, arrays, maps and unions of skipped
 * values; work counts the values skipped in one record, so a block count
 * of 2^62 nulls ends quickly. */
#define RS_DECODE_MAX_DEPTH 32
#define RS_DECODE_MAX_WORK (1u << 20)
#define RS_DECODE_MAX_OPS 1024     /* ops per writer schema */
#define RS_DECODE_MAX_NODES 8192   /* skip nodes per writer schema */
#define RS_DECODE_MAX_SYMBOLS 4096 /* symbols of one writer enum */
#define RS_DECODE_MAX_NAMED 256    /* named types per writer schema */

/* ---- reader tables --------------------------------------------------- */

enum rtype {
    RT_ID,       /* identifier: over RS_ID_MAX - 1 bytes is invalid */
    RT_LABEL,    /* compared name (segment, source): over the text cap is invalid */
    RT_TEXT,     /* free text: cut at RS_TEXT_MAX - 1 bytes */
    RT_CURRENCY, /* three upper-case letters */
    RT_INT,
    RT_LONG,
    RT_DOUBLE,
    RT_BOOL,
    RT_ENUM,
};

struct renum {
    const char *name; /* unqualified Avro name, matched against the writer's */
    const char *const *symbols;
    int count;
    int fallback; /* the enum's default symbol */
};

struct rfield {
    const char *name;
    enum rtype type;
    uint32_t has; /* presence bit of an optional field; 0: required */
    uint32_t offset;
    const struct renum *en;
};

struct rkind {
    const char *fullname;
    const char *label; /* for reasons: "invoice" topic */
    const struct rfield *fields;
    int count;
    size_t size; /* of the kind's member of rs_event.u */
};

/* One per enum rs_event_kind, indexed by it (decode_compile.c). */
extern const struct rkind rs_decode_kinds[RS_EVENT_KINDS];

/* ---- compiled programs ----------------------------------------------- */

enum opcode {
    OP_STR_ID,    /* string or bytes → identifier (RS_ID_MAX) */
    OP_STR_LABEL, /* string or bytes → label (RS_TEXT_MAX, not cut) */
    OP_STR_TEXT,  /* string or bytes → free text (RS_TEXT_MAX, cut) */
    OP_STR_CUR,   /* string or bytes → currency */
    OP_INT_I32,
    OP_INT_I64,
    OP_LONG_I64,
    OP_INT_F64,
    OP_LONG_F64,
    OP_FLOAT_F64,
    OP_DOUBLE_F64,
    OP_BOOL,
    OP_ENUM,  /* symbol map at symmap[arg], n writer symbols */
    OP_NULL,  /* absent; a required field makes the record invalid */
    OP_UNION, /* n branch ops follow, one per writer branch */
    OP_SKIP,  /* skip node arg; n names the writer field in names[] */
    OP_FAIL,  /* a writer branch the reader cannot take; arg: avro_type_t */
};

struct op {
    uint8_t code;  /* enum opcode */
    uint8_t field; /* index in the kind's reader table */
    uint32_t n;
    uint32_t arg;
    uint32_t offset; /* of the target in struct rs_event */
    uint32_t has;    /* presence bit to set; 0 for required fields */
};

/* Writer types of skipped fields. */
enum ntype {
    N_NULL,
    N_BOOL,
    N_INT,
    N_LONG,
    N_FLOAT,
    N_DOUBLE,
    N_BYTES, /* string too */
    N_FIXED,
    N_ENUM,
    N_ARRAY,
    N_MAP,
    N_RECORD,
    N_UNION,
};

struct node {
    uint8_t type;  /* enum ntype */
    uint32_t n;    /* fixed: size; enum: symbols; record, union: children */
    uint32_t a;    /* array, map: item node; record, union: first in kids[] */
    uint32_t min;  /* fewest bytes an encoding of it takes (saturated) */
};

struct writer {
    uint32_t id;
    uint64_t fingerprint;
    int kind; /* enum rs_event_kind, or -1 for other records */
    char *file;
    char *fullname;
    uint32_t first_op;
    uint32_t op_count;
    char *incompatible; /* why its records cannot be read; NULL if they can */
};

/* The ops of writers[i] are ops[first_op, first_op + op_count); the nodes,
 * kids, symbol maps and names they refer to are shared arrays that only
 * grow while compiling and are read-only once rs_decoder_new() returns. */
struct rs_decoder {
    size_t max_record_bytes;
    struct writer *writers;
    size_t writer_count;
    const struct writer *last[RS_EVENT_KINDS]; /* lookup cache per topic */

    struct op *ops;
    size_t op_count, op_cap;
    struct node *nodes;
    size_t node_count, node_cap;
    uint32_t *kids;
    size_t kid_count, kid_cap;
    int16_t *symmap;
    size_t sym_count, sym_cap;
    char **names; /* writer field names of OP_SKIP ops */
    size_t name_count, name_cap;
};

/* For reasons: the Avro name of a writer type ("long", "record"), and the
 * type a reader field wants ("string", "CommunicationType"). */
/* 1990-01-01 and 2100-12-31 in days since 1970-01-01: outside is absurd. */
#define RS_DATE_MIN 7305
#define RS_DATE_MAX 47846
#define RS_DAY_MS 86400000LL

/* Writes a reason into why (if any) and returns -1. */
int rs_decode_say(char *why, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The rules of docs/schemas.md for a decoded record of ev->kind: 0, or -1
 * with the reason in why (decode_validate.c). */
int rs_decode_validate(const struct rs_event *ev, char *why, size_t size);

const char *rs_decode_wire_name(avro_type_t t);
const char *rs_decode_reader_name(const struct rfield *f);

/* a + b, saturated at UINT32_MAX (node minimum sizes). */
static inline uint32_t rs_decode_sat_add(uint32_t a, uint32_t b)
{
    return a > UINT32_MAX - b ? UINT32_MAX : a + b;
}

#endif
