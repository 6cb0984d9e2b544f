/* Event files: a length-prefixed sequence of Kafka-shaped input records.
 *
 * Reading and writing go through stdio with a large buffer; the reader keeps
 * one growable buffer (capped by RS_EVFILE_VALUE_MAX) for the current
 * record, so reading allocates only when a record is larger than any
 * before. See evfile.h for the format. */
#include "riskstream/evfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "riskstream/mem.h"

#define IO_BUFFER (1 << 20)

struct rs_evfile_writer {
    FILE *fp;
    int own;
    char *path;
    char *iobuf;
    uint64_t written;
};

struct rs_evfile_reader {
    FILE *fp;
    int own;
    char *path;
    char *iobuf;
    uint8_t *data;
    size_t cap;
    uint64_t index;
    uint64_t offset;
};

static void put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           (uint32_t)p[3];
}

struct rs_evfile_writer *rs_evfile_create(const char *path, char *errstr,
                                          size_t errstr_size)
{
    struct rs_evfile_writer *w;
    int own = strcmp(path, "-") != 0;
    FILE *fp = own ? fopen(path, "wb") : stdout;

    if (!fp) {
        snprintf(errstr, errstr_size, "cannot create event file '%s': %s",
                 path, strerror(errno));
        return NULL;
    }
    w = rs_calloc(1, sizeof(*w));
    w->fp = fp;
    w->own = own;
    w->path = rs_strdup(path);
    w->iobuf = rs_malloc(IO_BUFFER);
    if (own) /* stdio buffers can only be set before any I/O */
        setvbuf(fp, w->iobuf, _IOFBF, IO_BUFFER);
    if (fwrite(RS_EVFILE_MAGIC, 1, RS_EVFILE_MAGIC_LEN, fp) !=
        RS_EVFILE_MAGIC_LEN) {
        snprintf(errstr, errstr_size, "cannot write event file '%s': %s",
                 path, strerror(errno));
        rs_evfile_finish(w, NULL, 0);
        return NULL;
    }
    return w;
}

int rs_evfile_write(struct rs_evfile_writer *w, enum rs_event_kind kind,
                    const void *key, size_t key_len, const void *value,
                    size_t value_len, char *errstr, size_t errstr_size)
{
    uint8_t hdr[5];

    if ((unsigned)kind >= RS_EVENT_KINDS || key_len > RS_EVFILE_KEY_MAX ||
        value_len > RS_EVFILE_VALUE_MAX) {
        snprintf(errstr, errstr_size,
                 "event file '%s': record %llu not written: kind %d, key of "
                 "%zu bytes (max %d), value of %zu bytes (max %d)",
                 w->path, (unsigned long long)w->written, (int)kind, key_len,
                 RS_EVFILE_KEY_MAX, value_len, RS_EVFILE_VALUE_MAX);
        return -1;
    }
    hdr[0] = (uint8_t)kind;
    put_u32(hdr + 1, (uint32_t)key_len);
    if (fwrite(hdr, 1, 5, w->fp) != 5 ||
        fwrite(key, 1, key_len, w->fp) != key_len)
        goto fail;
    put_u32(hdr, (uint32_t)value_len);
    if (fwrite(hdr, 1, 4, w->fp) != 4 ||
        fwrite(value, 1, value_len, w->fp) != value_len)
        goto fail;
    w->written++;
    return 0;
fail:
    snprintf(errstr, errstr_size, "cannot write event file '%s': %s",
             w->path, strerror(errno));
    return -1;
}

uint64_t rs_evfile_written(const struct rs_evfile_writer *w)
{
    return w->written;
}

int rs_evfile_finish(struct rs_evfile_writer *w, char *errstr,
                     size_t errstr_size)
{
    int rc = 0;

    if (fflush(w->fp) != 0 || ferror(w->fp))
        rc = -1;
    if (w->own && fclose(w->fp) != 0)
        rc = -1;
    if (rc && errstr)
        snprintf(errstr, errstr_size, "cannot write event file '%s': %s",
                 w->path, strerror(errno));
    free(w->iobuf);
    free(w->path);
    free(w);
    return rc;
}

struct rs_evfile_reader *rs_evfile_open(const char *path, char *errstr,
                                        size_t errstr_size)
{
    struct rs_evfile_reader *r;
    int own = strcmp(path, "-") != 0;
    FILE *fp = own ? fopen(path, "rb") : stdin;
    char magic[RS_EVFILE_MAGIC_LEN];

    if (!fp) {
        snprintf(errstr, errstr_size, "cannot open event file '%s': %s", path,
                 strerror(errno));
        return NULL;
    }
    r = rs_calloc(1, sizeof(*r));
    r->fp = fp;
    r->own = own;
    r->path = rs_strdup(path);
    r->iobuf = rs_malloc(IO_BUFFER);
    if (own)
        setvbuf(fp, r->iobuf, _IOFBF, IO_BUFFER);
    if (fread(magic, 1, sizeof(magic), fp) != sizeof(magic) ||
        memcmp(magic, RS_EVFILE_MAGIC, RS_EVFILE_MAGIC_LEN) != 0) {
        snprintf(errstr, errstr_size,
                 "'%s' is not a riskstream event file (it does not start "
                 "with \"RSEV1\")",
                 path);
        rs_evfile_close(r);
        return NULL;
    }
    r->offset = RS_EVFILE_MAGIC_LEN;
    return r;
}

int rs_evfile_next(struct rs_evfile_reader *r, struct rs_evrecord *rec,
                   char *errstr, size_t errstr_size)
{
    uint8_t hdr[5];
    size_t n = fread(hdr, 1, 5, r->fp);
    uint32_t key_len, value_len;
    const char *why;

    if (n == 0 && feof(r->fp))
        return 0;
    if (n != 5) {
        why = "truncated record header";
        goto corrupt;
    }
    key_len = get_u32(hdr + 1);
    if (hdr[0] >= RS_EVENT_KINDS) {
        why = "unknown kind byte";
        goto corrupt;
    }
    if (key_len > RS_EVFILE_KEY_MAX) {
        why = "key longer than the maximum";
        goto corrupt;
    }
    rs_grow((void **)&r->data, &r->cap, key_len + 4, 1);
    if (fread(r->data, 1, key_len + 4, r->fp) != key_len + 4) {
        why = "truncated key";
        goto corrupt;
    }
    value_len = get_u32(r->data + key_len);
    if (value_len > RS_EVFILE_VALUE_MAX) {
        why = "value longer than the maximum";
        goto corrupt;
    }
    rs_grow((void **)&r->data, &r->cap, (size_t)key_len + value_len, 1);
    if (fread(r->data + key_len, 1, value_len, r->fp) != value_len) {
        why = "truncated value";
        goto corrupt;
    }
    rec->kind = (enum rs_event_kind)hdr[0];
    rec->key = r->data;
    rec->key_len = key_len;
    rec->value = r->data + key_len;
    rec->value_len = value_len;
    rec->index = r->index++;
    r->offset += 5 + 4 + (uint64_t)key_len + value_len;
    return 1;
corrupt:
    snprintf(errstr, errstr_size,
             "event file '%s' is corrupt at record %llu (byte %llu): %s",
             r->path, (unsigned long long)r->index,
             (unsigned long long)r->offset, why);
    return -1;
}

void rs_evfile_close(struct rs_evfile_reader *r)
{
    if (!r)
        return;
    if (r->own)
        fclose(r->fp);
    free(r->iobuf);
    free(r->path);
    free(r->data);
    free(r);
}
