/* Local schema registry: writer schemas by Confluent id or by fingerprint.
 *
 * Loaded once from a directory holding *.avsc files and ids.txt, whose lines
 * are `<id> <file>` (file relative to the directory, `#` comments). Each
 * entry keeps the parsed Avro schema, its Parsing Canonical Form and the
 * CRC-64-AVRO fingerprint of that form, so both framings find their writer
 * schema in O(entries) without a network registry.
 *
 * Ownership: the registry owns its entries and schemas; pointers returned by
 * lookups live until rs_registry_destroy(). */
#ifndef RS_REGISTRY_H
#define RS_REGISTRY_H

#include <avro.h>
#include <stddef.h>
#include <stdint.h>

struct rs_schema_entry {
    uint32_t id;
    char *file;     /* as named in ids.txt */
    char *fullname; /* e.g. "io.riskstream.Invoice" */
    avro_schema_t schema;
    char *canonical; /* Parsing Canonical Form */
    uint64_t fingerprint;
};

struct rs_registry;

struct rs_registry *rs_registry_load(const char *dir, char *errstr,
                                     size_t errstr_size);
void rs_registry_destroy(struct rs_registry *reg);

const struct rs_schema_entry *rs_registry_by_id(const struct rs_registry *reg,
                                                uint32_t id);
const struct rs_schema_entry *
rs_registry_by_fingerprint(const struct rs_registry *reg, uint64_t fp);
/* The entry with the highest id among those of this record name: the newest
 * version, used as the writer schema when riskstream itself encodes. */
const struct rs_schema_entry *
rs_registry_by_name(const struct rs_registry *reg, const char *fullname);

size_t rs_registry_count(const struct rs_registry *reg);
const struct rs_schema_entry *rs_registry_at(const struct rs_registry *reg,
                                             size_t i);

/* The Parsing Canonical Form of a schema (Avro specification, "Schema
 * Resolution" / "Parsing Canonical Form"), as a heap string the caller
 * frees, or NULL if the schema holds a type the form cannot express. */
char *rs_schema_canonical(avro_schema_t schema);

#endif
