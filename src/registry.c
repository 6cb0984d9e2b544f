/* Local schema registry and Parsing Canonical Form (see registry.h).
 *
 * Avro C 1.11.1 has no canonical form or fingerprint function, so the form
 * is written here by walking the parsed schema: only name, type, fields,
 * symbols, items, values and size are kept, names are fullnames, and a named
 * type seen before is written as its fullname alone. */
#include "riskstream/registry.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "riskstream/buf.h"
#include "riskstream/frame.h"
#include "riskstream/mem.h"

#define RS_SCHEMA_FILE_MAX (1024 * 1024)
#define RS_REGISTRY_MAX_ENTRIES 4096

struct rs_registry {
    struct rs_schema_entry *entries;
    size_t count;
    size_t cap;
};

/* Named types already written, for the "second time: name only" rule. */
struct seen {
    avro_schema_t types[256];
    size_t count;
    int overflow;
};

static void fullname(avro_schema_t s, char *out, size_t size)
{
    const char *ns = avro_schema_namespace(s);

    if (ns && *ns)
        snprintf(out, size, "%s.%s", ns, avro_schema_name(s));
    else
        snprintf(out, size, "%s", avro_schema_name(s));
}

/* Returns 1 if the named type was written before, else records it. */
static int seen_before(struct seen *seen, avro_schema_t s, struct rs_buf *b)
{
    char name[512];

    fullname(s, name, sizeof(name));
    for (size_t i = 0; i < seen->count; i++) {
        if (seen->types[i] == s) {
            rs_buf_printf(b, "\"%s\"", name);
            return 1;
        }
    }
    if (seen->count == sizeof(seen->types) / sizeof(seen->types[0])) {
        seen->overflow = 1;
        return 1;
    }
    seen->types[seen->count++] = s;
    return 0;
}

static void canonical(avro_schema_t s, struct seen *seen, struct rs_buf *b)
{
    char name[512];

    switch (avro_typeof(s)) {
    case AVRO_STRING:
    case AVRO_BYTES:
    case AVRO_INT32:
    case AVRO_INT64:
    case AVRO_FLOAT:
    case AVRO_DOUBLE:
    case AVRO_BOOLEAN:
    case AVRO_NULL:
        rs_buf_printf(b, "\"%s\"", avro_schema_type_name(s));
        return;
    case AVRO_RECORD:
        if (seen_before(seen, s, b))
            return;
        fullname(s, name, sizeof(name));
        rs_buf_printf(b, "{\"name\":\"%s\",\"type\":\"record\",\"fields\":[",
                      name);
        for (size_t i = 0; i < avro_schema_record_size(s); i++) {
            rs_buf_printf(b, "%s{\"name\":\"%s\",\"type\":", i ? "," : "",
                          avro_schema_record_field_name(s, (int)i));
            canonical(avro_schema_record_field_get_by_index(s, (int)i), seen,
                      b);
            rs_buf_puts(b, "}");
        }
        rs_buf_puts(b, "]}");
        return;
    case AVRO_ENUM:
        if (seen_before(seen, s, b))
            return;
        fullname(s, name, sizeof(name));
        rs_buf_printf(b, "{\"name\":\"%s\",\"type\":\"enum\",\"symbols\":[",
                      name);
        for (int i = 0; i < avro_schema_enum_number_of_symbols(s); i++)
            rs_buf_printf(b, "%s\"%s\"", i ? "," : "",
                          avro_schema_enum_get(s, i));
        rs_buf_puts(b, "]}");
        return;
    case AVRO_FIXED:
        if (seen_before(seen, s, b))
            return;
        fullname(s, name, sizeof(name));
        rs_buf_printf(b, "{\"name\":\"%s\",\"type\":\"fixed\",\"size\":%lld}",
                      name, (long long)avro_schema_fixed_size(s));
        return;
    case AVRO_ARRAY:
        rs_buf_puts(b, "{\"type\":\"array\",\"items\":");
        canonical(avro_schema_array_items(s), seen, b);
        rs_buf_puts(b, "}");
        return;
    case AVRO_MAP:
        rs_buf_puts(b, "{\"type\":\"map\",\"values\":");
        canonical(avro_schema_map_values(s), seen, b);
        rs_buf_puts(b, "}");
        return;
    case AVRO_UNION:
        rs_buf_puts(b, "[");
        for (size_t i = 0; i < avro_schema_union_size(s); i++) {
            if (i)
                rs_buf_puts(b, ",");
            canonical(avro_schema_union_branch(s, (int)i), seen, b);
        }
        rs_buf_puts(b, "]");
        return;
    case AVRO_LINK:
        fullname(avro_schema_link_target(s), name, sizeof(name));
        rs_buf_printf(b, "\"%s\"", name);
        return;
    }
    seen->overflow = 1;
}

char *rs_schema_canonical(avro_schema_t schema)
{
    struct rs_buf b;
    struct seen seen;
    char *out = NULL;

    rs_buf_init(&b, RS_SCHEMA_FILE_MAX);
    seen.count = 0;
    seen.overflow = 0;
    canonical(schema, &seen, &b);
    if (!seen.overflow && !b.overflow)
        out = rs_strndup((const char *)b.data, b.len);
    rs_buf_release(&b);
    return out;
}

static char *read_file(const char *path, char *errstr, size_t errstr_size)
{
    FILE *f = fopen(path, "rb");
    struct rs_buf b;
    char chunk[8192];
    size_t n;
    char *out = NULL;

    if (!f) {
        snprintf(errstr, errstr_size, "cannot open '%s': %s", path,
                 strerror(errno));
        return NULL;
    }
    rs_buf_init(&b, RS_SCHEMA_FILE_MAX);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        if (rs_buf_append(&b, chunk, n))
            break;
    if (b.overflow)
        snprintf(errstr, errstr_size, "'%s' is larger than %d bytes", path,
                 RS_SCHEMA_FILE_MAX);
    else if (ferror(f))
        snprintf(errstr, errstr_size, "cannot read '%s'", path);
    else
        out = rs_strndup(b.data ? (const char *)b.data : "", b.len);
    rs_buf_release(&b);
    fclose(f);
    return out;
}

static int add_entry(struct rs_registry *reg, const char *dir,
                     unsigned long id, const char *file, char *errstr,
                     size_t errstr_size)
{
    char path[4096];
    char name[512];
    char *json;
    avro_schema_t schema;
    struct rs_schema_entry *e;

    if (rs_registry_by_id(reg, (uint32_t)id)) {
        snprintf(errstr, errstr_size, "schema id %lu is listed twice", id);
        return -1;
    }
    if (reg->count == RS_REGISTRY_MAX_ENTRIES) {
        snprintf(errstr, errstr_size, "more than %d schemas",
                 RS_REGISTRY_MAX_ENTRIES);
        return -1;
    }
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    json = read_file(path, errstr, errstr_size);
    if (!json)
        return -1;
    if (avro_schema_from_json_length(json, strlen(json), &schema)) {
        snprintf(errstr, errstr_size, "schema '%s' does not parse: %s", path,
                 avro_strerror());
        free(json);
        return -1;
    }
    free(json);
    if (avro_typeof(schema) != AVRO_RECORD) {
        snprintf(errstr, errstr_size, "schema '%s' is not a record", path);
        avro_schema_decref(schema);
        return -1;
    }
    rs_grow((void **)&reg->entries, &reg->cap, reg->count + 1,
            sizeof(*reg->entries));
    e = &reg->entries[reg->count];
    e->canonical = rs_schema_canonical(schema);
    if (!e->canonical) {
        snprintf(errstr, errstr_size,
                 "schema '%s' has no Parsing Canonical Form", path);
        avro_schema_decref(schema);
        return -1;
    }
    fullname(schema, name, sizeof(name));
    e->id = (uint32_t)id;
    e->file = rs_strdup(file);
    e->fullname = rs_strdup(name);
    e->schema = schema;
    e->fingerprint = rs_frame_fingerprint64(e->canonical, strlen(e->canonical));
    reg->count++;
    return 0;
}

struct rs_registry *rs_registry_load(const char *dir, char *errstr,
                                     size_t errstr_size)
{
    struct rs_registry *reg = rs_calloc(1, sizeof(*reg));
    char path[4096];
    char line[1024];
    char why[512];
    FILE *f;
    int lineno = 0;

    snprintf(path, sizeof(path), "%s/ids.txt", dir);
    f = fopen(path, "r");
    if (!f) {
        snprintf(errstr, errstr_size, "cannot open schema ids file '%s': %s",
                 path, strerror(errno));
        goto fail;
    }
    while (fgets(line, sizeof(line), f)) {
        char file[512];
        unsigned long id;
        char *s = line;

        lineno++;
        while (*s == ' ' || *s == '\t')
            s++;
        if (*s == '#' || *s == '\n' || *s == '\r' || *s == '\0')
            continue;
        if (sscanf(s, "%lu %511s", &id, file) != 2 || id > UINT32_MAX) {
            snprintf(errstr, errstr_size,
                     "%s:%d: expected '<id> <file.avsc>'", path, lineno);
            goto fail_file;
        }
        if (add_entry(reg, dir, id, file, why, sizeof(why))) {
            snprintf(errstr, errstr_size, "%s:%d: %s", path, lineno, why);
            goto fail_file;
        }
    }
    fclose(f);
    if (reg->count == 0) {
        snprintf(errstr, errstr_size, "'%s' lists no schema", path);
        goto fail;
    }
    return reg;
fail_file:
    fclose(f);
fail:
    rs_registry_destroy(reg);
    return NULL;
}

void rs_registry_destroy(struct rs_registry *reg)
{
    if (!reg)
        return;
    for (size_t i = 0; i < reg->count; i++) {
        avro_schema_decref(reg->entries[i].schema);
        free(reg->entries[i].file);
        free(reg->entries[i].fullname);
        free(reg->entries[i].canonical);
    }
    free(reg->entries);
    free(reg);
}

const struct rs_schema_entry *rs_registry_by_id(const struct rs_registry *reg,
                                                uint32_t id)
{
    for (size_t i = 0; i < reg->count; i++)
        if (reg->entries[i].id == id)
            return &reg->entries[i];
    return NULL;
}

const struct rs_schema_entry *
rs_registry_by_fingerprint(const struct rs_registry *reg, uint64_t fp)
{
    for (size_t i = 0; i < reg->count; i++)
        if (reg->entries[i].fingerprint == fp)
            return &reg->entries[i];
    return NULL;
}

const struct rs_schema_entry *
rs_registry_by_name(const struct rs_registry *reg, const char *name)
{
    const struct rs_schema_entry *best = NULL;

    for (size_t i = 0; i < reg->count; i++)
        if (strcmp(reg->entries[i].fullname, name) == 0 &&
            (!best || reg->entries[i].id > best->id))
            best = &reg->entries[i];
    return best;
}

size_t rs_registry_count(const struct rs_registry *reg)
{
    return reg->count;
}

const struct rs_schema_entry *rs_registry_at(const struct rs_registry *reg,
                                             size_t i)
{
    return i < reg->count ? &reg->entries[i] : NULL;
}
