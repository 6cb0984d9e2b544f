/* Unit tests for the Avro schemas in schemas/ and their id file.
 *
 * Every schema must parse with Avro C, and a record with every field set
 * (the non-null branch of each union, two elements in each array) must
 * survive a binary write/read round trip and re-encode to the same bytes.
 * schemas/ids.txt must name each .avsc exactly once, and ids already used
 * on the wire must keep naming the same file.
 *
 * Avro C 1.11.1 parses "doc", "default" and "logicalType" but throws them
 * away, so the documentation rules are checked on the JSON text with a
 * small JSON scanner (jansson's headers are not installed, and the test
 * should not add a dependency). A plain search for "doc" keys could be
 * fooled by a doc attached to the wrong object; the scanner instead follows
 * the JSON structure and checks the object that is each field definition
 * and each record/enum/fixed definition. To be sure the scanner saw every
 * field, its counts are compared with a walk over the schema Avro C
 * parsed. */
#include <avro.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"

struct schema_file {
    int id;
    const char *file;
};

/* The ids in schemas/ids.txt as first assigned. They are on the wire in
 * every Confluent-framed message riskstream writes, so they never change. */
static const struct schema_file schema_files[] = {
    {1, "Invoice.avsc"},
    {2, "Payment.avsc"},
    {3, "CreditBureauEvent.avsc"},
    {4, "Communication.avsc"},
    {5, "RiskAlert.avsc"},
    {6, "DeadLetter.avsc"},
    {7, "CreditBureauEvent-v2.avsc"},
};
#define SCHEMA_FILE_COUNT (sizeof(schema_files) / sizeof(schema_files[0]))

static const char *const input_files[] = {
    "Invoice.avsc", "Payment.avsc", "CreditBureauEvent.avsc", "Communication.avsc",
    "CreditBureauEvent-v2.avsc",
};

/* Reads schemas/<file>; the caller frees the text. */
static char *read_schema_text(const char *file, size_t *len)
{
    char relative[256];

    snprintf(relative, sizeof(relative), "schemas/%s", file);
    return rs_test_read_file(rs_test_path(relative), len);
}

/* Parses schemas/<file> with Avro C; the caller decrefs the schema. */
static avro_schema_t load_schema(const char *file)
{
    avro_schema_t schema = NULL;
    size_t len = 0;
    char *text = read_schema_text(file, &len);

    if (avro_schema_from_json_length(text, len, &schema) != 0)
        fail_msg("cannot parse schema '%s': %s", file, avro_strerror());
    free(text);
    return schema;
}

/* ---- a sample value with every field set ---- */

struct fill_state {
    unsigned counter;    /* varies the values so fields do not all look alike */
    unsigned null_left;  /* unions left on a null branch: must stay 0 */
};

static void fill_value(avro_value_t *value, struct fill_state *fs);

static void fill_union(avro_value_t *value, struct fill_state *fs)
{
    avro_schema_t schema = avro_value_get_schema(value);
    size_t count = avro_schema_union_size(schema);
    avro_value_t branch;
    size_t i;

    for (i = 0; i < count; i++) {
        avro_schema_t b = avro_schema_union_branch(schema, (int)i);
        if (!is_avro_null(b))
            break;
    }
    if (i == count) {
        fs->null_left++;
        i = 0;
    }
    assert_int_equal(avro_value_set_branch(value, (int)i, &branch), 0);
    fill_value(&branch, fs);
}

static void fill_value(avro_value_t *value, struct fill_state *fs)
{
    unsigned n = ++fs->counter;
    avro_value_t child;
    char text[64];
    size_t i, size;

    switch (avro_value_get_type(value)) {
    case AVRO_STRING:
        snprintf(text, sizeof(text), "sample-%u-\xc3\xa9", n); /* non-ASCII too */
        assert_int_equal(avro_value_set_string(value, text), 0);
        break;
    case AVRO_BYTES: {
        char bytes[5] = {0x00, (char)0xff, 0x7f, (char)0x80, (char)n};
        assert_int_equal(avro_value_set_bytes(value, bytes, sizeof(bytes)), 0);
        break;
    }
    case AVRO_INT32:
        /* Large enough for a multi-byte varint, odd ones negative (zigzag). */
        assert_int_equal(avro_value_set_int(value, (int32_t)(n % 2 ? -300 * (int)n : 19000 + (int)n)), 0);
        break;
    case AVRO_INT64:
        assert_int_equal(avro_value_set_long(value, INT64_C(1700000000000) + (int64_t)n), 0);
        break;
    case AVRO_FLOAT:
        assert_int_equal(avro_value_set_float(value, 0.5f + (float)n), 0);
        break;
    case AVRO_DOUBLE:
        assert_int_equal(avro_value_set_double(value, 0.25 + (double)n), 0);
        break;
    case AVRO_BOOLEAN:
        assert_int_equal(avro_value_set_boolean(value, 1), 0);
        break;
    case AVRO_NULL:
        assert_int_equal(avro_value_set_null(value), 0);
        break;
    case AVRO_ENUM: {
        int symbols = avro_schema_enum_number_of_symbols(avro_value_get_schema(value));
        assert_true(symbols > 0);
        assert_int_equal(avro_value_set_enum(value, (int)(n % (unsigned)symbols)), 0);
        break;
    }
    case AVRO_FIXED: {
        char bytes[64];
        int64_t fixed_size = avro_schema_fixed_size(avro_value_get_schema(value));
        assert_true(fixed_size >= 0 && fixed_size <= (int64_t)sizeof(bytes));
        memset(bytes, (int)n, sizeof(bytes));
        assert_int_equal(avro_value_set_fixed(value, bytes, (size_t)fixed_size), 0);
        break;
    }
    case AVRO_ARRAY:
        for (i = 0; i < 2; i++) {
            assert_int_equal(avro_value_append(value, &child, NULL), 0);
            fill_value(&child, fs);
        }
        break;
    case AVRO_MAP:
        for (i = 0; i < 2; i++) {
            snprintf(text, sizeof(text), "key-%zu", i);
            assert_int_equal(avro_value_add(value, text, &child, NULL, NULL), 0);
            fill_value(&child, fs);
        }
        break;
    case AVRO_UNION:
        fill_union(value, fs);
        break;
    case AVRO_RECORD:
        assert_int_equal(avro_value_get_size(value, &size), 0);
        for (i = 0; i < size; i++) {
            assert_int_equal(avro_value_get_by_index(value, i, &child, NULL), 0);
            fill_value(&child, fs);
        }
        break;
    default:
        fail_msg("unexpected Avro type %d", (int)avro_value_get_type(value));
    }
}

/* Writes value as Avro binary into a heap buffer sized by avro_value_sizeof;
 * the caller frees it. */
static char *encode_value(avro_value_t *value, size_t *len)
{
    avro_writer_t writer;
    size_t size = 0;
    char *buf;

    assert_int_equal(avro_value_sizeof(value, &size), 0);
    assert_true(size > 0);
    buf = malloc(size);
    assert_non_null(buf);
    writer = avro_writer_memory(buf, (int64_t)size);
    if (avro_value_write(writer, value) != 0)
        fail_msg("avro_value_write: %s", avro_strerror());
    assert_int_equal(avro_writer_tell(writer), (int64_t)size);
    avro_writer_free(writer);
    *len = size;
    return buf;
}

static void check_round_trip(const char *file)
{
    avro_schema_t schema = load_schema(file);
    avro_value_iface_t *iface = avro_generic_class_from_schema(schema);
    struct fill_state fs = {0, 0};
    avro_value_t original, decoded;
    avro_reader_t reader;
    char *first, *second;
    size_t first_len, second_len;

    assert_non_null(iface);
    assert_int_equal(avro_generic_value_new(iface, &original), 0);
    assert_int_equal(avro_generic_value_new(iface, &decoded), 0);

    fill_value(&original, &fs);
    assert_int_equal(fs.null_left, 0);
    first = encode_value(&original, &first_len);

    reader = avro_reader_memory(first, (int64_t)first_len);
    if (avro_value_read(reader, &decoded) != 0)
        fail_msg("%s: avro_value_read: %s", file, avro_strerror());
    avro_reader_free(reader);
    if (!avro_value_equal(&original, &decoded))
        fail_msg("%s: the decoded record differs from the one written", file);

    second = encode_value(&decoded, &second_len);
    assert_int_equal(second_len, first_len);
    assert_memory_equal(second, first, first_len);

    free(first);
    free(second);
    avro_value_decref(&original);
    avro_value_decref(&decoded);
    avro_value_iface_decref(iface);
    avro_schema_decref(schema);
}

static void test_schemas_round_trip_every_field(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < SCHEMA_FILE_COUNT; i++)
        check_round_trip(schema_files[i].file);
}

/* ---- the shared header of the input records ---- */

static void test_schemas_input_records_share_header(void **state)
{
    static const struct {
        const char *name;
        avro_type_t type;
    } header[] = {
        {"event_id", AVRO_STRING},
        {"event_time", AVRO_INT64},
        {"customer_id", AVRO_STRING},
        {"type", AVRO_ENUM},
    };
    size_t f, i;

    (void)state;
    for (f = 0; f < sizeof(input_files) / sizeof(input_files[0]); f++) {
        avro_schema_t schema = load_schema(input_files[f]);

        assert_true(is_avro_record(schema));
        assert_string_equal(avro_schema_namespace(schema), "io.riskstream");
        assert_true(avro_schema_record_size(schema) > 4);
        for (i = 0; i < sizeof(header) / sizeof(header[0]); i++) {
            avro_schema_t field = avro_schema_record_field_get_by_index(schema, (int)i);
            const char *name = avro_schema_record_field_name(schema, (int)i);

            if (strcmp(name, header[i].name) != 0)
                fail_msg("%s: field %zu is '%s', expected '%s'", input_files[f], i, name,
                         header[i].name);
            assert_int_equal(avro_typeof(field), header[i].type);
        }
        avro_schema_decref(schema);
    }
}

/* ---- schemas/ids.txt ---- */

struct id_entry {
    int id;
    char file[128];
};

/* Parses ids.txt as the registry does: each line is "<id> <file.avsc>";
 * blank lines and lines starting with '#' are skipped. Returns the number
 * of entries; fails the test on a malformed line. */
static size_t read_ids(struct id_entry *entries, size_t cap)
{
    size_t len = 0, count = 0;
    char *text = rs_test_read_file(rs_test_path("schemas/ids.txt"), &len);
    char *line = text;
    int lineno = 0;

    while (line != NULL && *line != '\0') {
        char *next = strchr(line, '\n');
        char extra[2];
        int matched;

        if (next != NULL)
            *next++ = '\0';
        lineno++;
        line += strspn(line, " \t");
        if (*line != '\0' && *line != '#' && *line != '\r') {
            assert_true(count < cap);
            matched = sscanf(line, "%d %127s %1s", &entries[count].id, entries[count].file, extra);
            if (matched != 2 || entries[count].id <= 0)
                fail_msg("schemas/ids.txt:%d: expected '<id> <file.avsc>', got '%s'", lineno, line);
            count++;
        }
        line = next;
    }
    free(text);
    return count;
}

static int has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static void test_schemas_ids_name_every_schema_once(void **state)
{
    struct id_entry entries[64];
    size_t count = read_ids(entries, sizeof(entries) / sizeof(entries[0]));
    size_t avsc_files = 0, i, j;
    struct dirent *de;
    DIR *dir;

    (void)state;
    for (i = 0; i < count; i++) {
        for (j = i + 1; j < count; j++) {
            if (entries[i].id == entries[j].id)
                fail_msg("schemas/ids.txt: id %d is used twice", entries[i].id);
            if (strcmp(entries[i].file, entries[j].file) == 0)
                fail_msg("schemas/ids.txt: '%s' is listed twice", entries[i].file);
        }
    }

    dir = opendir(rs_test_path("schemas"));
    assert_non_null(dir);
    while ((de = readdir(dir)) != NULL) {
        int found = 0;

        if (!has_suffix(de->d_name, ".avsc"))
            continue;
        avsc_files++;
        for (i = 0; i < count; i++)
            found += strcmp(entries[i].file, de->d_name) == 0;
        if (found != 1)
            fail_msg("schemas/%s is not listed in schemas/ids.txt", de->d_name);
    }
    closedir(dir);
    /* Every entry names a file that exists, since names are unique. */
    assert_int_equal(avsc_files, count);
}

static void test_schemas_ids_are_stable(void **state)
{
    struct id_entry entries[64];
    size_t count = read_ids(entries, sizeof(entries) / sizeof(entries[0]));
    size_t i, j;

    (void)state;
    for (i = 0; i < SCHEMA_FILE_COUNT; i++) {
        int found = 0;

        for (j = 0; j < count; j++) {
            if (entries[j].id == schema_files[i].id) {
                assert_string_equal(entries[j].file, schema_files[i].file);
                found = 1;
            }
        }
        if (!found)
            fail_msg("schemas/ids.txt lost id %d (%s)", schema_files[i].id, schema_files[i].file);
    }
}

/* ---- documentation and defaults, checked on the JSON text ----
 *
 * The scanner follows the JSON grammar (objects, arrays, strings, numbers,
 * literals) without building a tree. Each object remembers its "type" (when
 * a string), whether it has a non-empty "doc", its "symbols" and its
 * "default"; when the object closes it is checked:
 *   - an object that is an element of a "fields" array (a field) must have
 *     a doc, and if its type is a union starting with "null" its default
 *     must be null;
 *   - a record, enum or fixed definition must have a doc;
 *   - an enum must have a "default" that is one of its symbols (Avro C does
 *     not check this itself).
 * Objects under "default" (a record field's default value) are data, not
 * schema, and are skipped. */

#define JSON_MAX_DEPTH 64
#define JSON_MAX_SYMBOLS 64
#define JSON_NAME_MAX 64

enum json_role { JSON_ROLE_SCHEMA, JSON_ROLE_FIELD, JSON_ROLE_DATA };

struct json_scan {
    const char *start, *p, *end;
    const char *file;
    int depth;
    size_t fields;    /* field definitions seen */
    size_t named;     /* record/enum/fixed definitions seen */
};

static void json_fail(const struct json_scan *js, const char *what)
{
    const char *q;
    int line = 1;

    for (q = js->start; q < js->p; q++)
        line += *q == '\n';
    fail_msg("%s:%d: %s", js->file, line, what);
}

static void json_skip_ws(struct json_scan *js)
{
    while (js->p < js->end && (*js->p == ' ' || *js->p == '\t' || *js->p == '\n' || *js->p == '\r'))
        js->p++;
}

static int json_peek(struct json_scan *js)
{
    json_skip_ws(js);
    return js->p < js->end ? (unsigned char)*js->p : -1;
}

static void json_expect(struct json_scan *js, char c)
{
    char what[32];

    if (json_peek(js) != (unsigned char)c) {
        snprintf(what, sizeof(what), "expected '%c'", c);
        json_fail(js, what);
    }
    js->p++;
}

/* Scans a string; copies up to out_size - 1 decoded bytes into out (escapes
 * other than \uXXXX are decoded; \uXXXX becomes '?') and returns the full
 * decoded length. */
static size_t json_string(struct json_scan *js, char *out, size_t out_size)
{
    size_t len = 0;

    json_expect(js, '"');
    for (;;) {
        char c;

        if (js->p >= js->end)
            json_fail(js, "unterminated string");
        c = *js->p++;
        if (c == '"')
            break;
        if ((unsigned char)c < 0x20)
            json_fail(js, "control character in string");
        if (c == '\\') {
            if (js->p >= js->end)
                json_fail(js, "unterminated escape");
            c = *js->p++;
            if (c == 'u') {
                if (js->end - js->p < 4)
                    json_fail(js, "short \\u escape");
                js->p += 4;
                c = '?';
            } else if (strchr("\"\\/bfnrt", c) == NULL) {
                json_fail(js, "bad escape");
            }
        }
        if (out != NULL && len + 1 < out_size)
            out[len] = c;
        len++;
    }
    if (out != NULL && out_size > 0)
        out[len < out_size ? len : out_size - 1] = '\0';
    return len;
}

static void json_value(struct json_scan *js, enum json_role role);

static void json_array(struct json_scan *js, enum json_role element_role)
{
    json_expect(js, '[');
    if (json_peek(js) == ']') {
        js->p++;
        return;
    }
    for (;;) {
        json_value(js, element_role);
        if (json_peek(js) == ',') {
            js->p++;
            continue;
        }
        json_expect(js, ']');
        return;
    }
}

static void json_object(struct json_scan *js, enum json_role role)
{
    char type[JSON_NAME_MAX] = "", name[JSON_NAME_MAX] = "", key[JSON_NAME_MAX];
    char symbols[JSON_MAX_SYMBOLS][JSON_NAME_MAX];
    char default_symbol[JSON_NAME_MAX] = "";
    size_t symbol_count = 0, i;
    int has_doc = 0, has_default = 0, default_is_null = 0, union_null_first = 0;
    int default_found = 0;
    char what[256];

    if (++js->depth > JSON_MAX_DEPTH)
        json_fail(js, "nested too deep");
    json_expect(js, '{');
    if (json_peek(js) == '}') {
        js->p++;
        goto check;
    }
    for (;;) {
        json_string(js, key, sizeof(key));
        json_expect(js, ':');
        if (role == JSON_ROLE_DATA) {
            json_value(js, JSON_ROLE_DATA);
        } else if (strcmp(key, "doc") == 0) {
            if (json_peek(js) != '"')
                json_fail(js, "\"doc\" is not a string");
            has_doc = json_string(js, NULL, 0) > 0;
        } else if (strcmp(key, "name") == 0 && json_peek(js) == '"') {
            json_string(js, name, sizeof(name));
        } else if (strcmp(key, "type") == 0 && json_peek(js) == '"') {
            json_string(js, type, sizeof(type));
        } else if (strcmp(key, "type") == 0 && json_peek(js) == '[') {
            const char *save = js->p;
            char first[JSON_NAME_MAX] = "";

            /* Look at the union's first branch, then scan it properly. */
            js->p++;
            if (json_peek(js) == '"')
                json_string(js, first, sizeof(first));
            union_null_first = strcmp(first, "null") == 0;
            js->p = save;
            json_array(js, JSON_ROLE_SCHEMA);
        } else if (strcmp(key, "fields") == 0) {
            if (json_peek(js) != '[')
                json_fail(js, "\"fields\" is not an array");
            json_array(js, JSON_ROLE_FIELD);
        } else if (strcmp(key, "symbols") == 0) {
            json_expect(js, '[');
            while (json_peek(js) == '"') {
                if (symbol_count == JSON_MAX_SYMBOLS)
                    json_fail(js, "too many symbols for the scanner");
                json_string(js, symbols[symbol_count++], JSON_NAME_MAX);
                if (json_peek(js) != ',')
                    break;
                js->p++;
            }
            json_expect(js, ']');
        } else if (strcmp(key, "default") == 0) {
            has_default = 1;
            if (json_peek(js) == '"') {
                json_string(js, default_symbol, sizeof(default_symbol));
            } else {
                default_is_null = js->end - js->p >= 4 && memcmp(js->p, "null", 4) == 0;
                json_value(js, JSON_ROLE_DATA);
            }
        } else {
            json_value(js, JSON_ROLE_SCHEMA);
        }
        if (json_peek(js) == ',') {
            js->p++;
            continue;
        }
        json_expect(js, '}');
        break;
    }

check:
    if (role == JSON_ROLE_FIELD) {
        js->fields++;
        if (!has_doc) {
            snprintf(what, sizeof(what), "field '%s' has no non-empty \"doc\"", name);
            json_fail(js, what);
        }
        if (union_null_first && !(has_default && default_is_null)) {
            snprintf(what, sizeof(what), "optional field '%s' needs \"default\": null", name);
            json_fail(js, what);
        }
    } else if (role == JSON_ROLE_SCHEMA &&
               (strcmp(type, "record") == 0 || strcmp(type, "enum") == 0 ||
                strcmp(type, "fixed") == 0)) {
        js->named++;
        if (!has_doc) {
            snprintf(what, sizeof(what), "%s '%s' has no non-empty \"doc\"", type, name);
            json_fail(js, what);
        }
        if (strcmp(type, "enum") == 0) {
            for (i = 0; i < symbol_count; i++)
                default_found |= strcmp(symbols[i], default_symbol) == 0;
            if (!has_default || !default_found) {
                snprintf(what, sizeof(what), "enum '%s' needs a \"default\" that is one of its symbols",
                         name);
                json_fail(js, what);
            }
        }
    }
    js->depth--;
}

static void json_value(struct json_scan *js, enum json_role role)
{
    int c = json_peek(js);

    if (c == '{') {
        json_object(js, role);
    } else if (c == '[') {
        json_array(js, role == JSON_ROLE_DATA ? JSON_ROLE_DATA : JSON_ROLE_SCHEMA);
    } else if (c == '"') {
        json_string(js, NULL, 0);
    } else if (c == '-' || (c >= '0' && c <= '9')) {
        while (js->p < js->end && strchr("+-0123456789.eE", *js->p) != NULL)
            js->p++;
    } else if (js->end - js->p >= 4 && (memcmp(js->p, "null", 4) == 0 || memcmp(js->p, "true", 4) == 0)) {
        js->p += 4;
    } else if (js->end - js->p >= 5 && memcmp(js->p, "false", 5) == 0) {
        js->p += 5;
    } else {
        json_fail(js, "expected a JSON value");
    }
}

/* Counts the field definitions and named-type definitions Avro C parsed.
 * A reference to an already defined name is a link and is not followed, so
 * each definition is counted once, as in the text. */
static void count_definitions(avro_schema_t schema, size_t *fields, size_t *named)
{
    size_t i;

    switch (avro_typeof(schema)) {
    case AVRO_RECORD:
        (*named)++;
        for (i = 0; i < avro_schema_record_size(schema); i++) {
            (*fields)++;
            count_definitions(avro_schema_record_field_get_by_index(schema, (int)i), fields, named);
        }
        break;
    case AVRO_ENUM:
    case AVRO_FIXED:
        (*named)++;
        break;
    case AVRO_UNION:
        for (i = 0; i < avro_schema_union_size(schema); i++)
            count_definitions(avro_schema_union_branch(schema, (int)i), fields, named);
        break;
    case AVRO_ARRAY:
        count_definitions(avro_schema_array_items(schema), fields, named);
        break;
    case AVRO_MAP:
        count_definitions(avro_schema_map_values(schema), fields, named);
        break;
    default:
        break;
    }
}

static void test_schemas_every_field_has_doc(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < SCHEMA_FILE_COUNT; i++) {
        struct json_scan js;
        size_t len = 0, avro_fields = 0, avro_named = 0;
        char *text = read_schema_text(schema_files[i].file, &len);
        avro_schema_t schema = load_schema(schema_files[i].file);

        memset(&js, 0, sizeof(js));
        js.start = js.p = text;
        js.end = text + len;
        js.file = schema_files[i].file;
        json_value(&js, JSON_ROLE_SCHEMA);
        if (json_peek(&js) != -1)
            json_fail(&js, "trailing text after the schema");

        count_definitions(schema, &avro_fields, &avro_named);
        if (js.fields != avro_fields || js.named != avro_named)
            fail_msg("%s: scanner saw %zu fields and %zu named types, Avro C %zu and %zu",
                     js.file, js.fields, js.named, avro_fields, avro_named);
        assert_true(js.fields > 0);

        avro_schema_decref(schema);
        free(text);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schemas_round_trip_every_field),
        cmocka_unit_test(test_schemas_input_records_share_header),
        cmocka_unit_test(test_schemas_ids_name_every_schema_once),
        cmocka_unit_test(test_schemas_ids_are_stable),
        cmocka_unit_test(test_schemas_every_field_has_doc),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
