/* Event files: what is written is read back, and a damaged file is
 * reported with the record and byte where it breaks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "riskstream/evfile.h"

static void temp_path(char *path, size_t size)
{
    snprintf(path, size, "/tmp/rs-evfile-%d.rsev", (int)getpid());
}

static void test_evfile_round_trip(void **state)
{
    char path[64], err[256];
    struct rs_evfile_writer *w;
    struct rs_evfile_reader *r;
    struct rs_evrecord rec;
    uint8_t big[5000];

    (void)state;
    temp_path(path, sizeof(path));
    memset(big, 0xab, sizeof(big));
    w = rs_evfile_create(path, err, sizeof(err));
    assert_non_null(w);
    assert_int_equal(rs_evfile_write(w, RS_EVENT_PAYMENT, "C1", 2, "\0v1", 3,
                                     err, sizeof(err)),
                     0);
    assert_int_equal(rs_evfile_write(w, RS_EVENT_COMM, "", 0, big,
                                     sizeof(big), err, sizeof(err)),
                     0);
    assert_int_equal(rs_evfile_write(w, (enum rs_event_kind)7, "C", 1, "x", 1,
                                     err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "kind 7"));
    assert_int_equal(rs_evfile_written(w), 2);
    assert_int_equal(rs_evfile_finish(w, err, sizeof(err)), 0);

    r = rs_evfile_open(path, err, sizeof(err));
    assert_non_null(r);
    assert_int_equal(rs_evfile_next(r, &rec, err, sizeof(err)), 1);
    assert_int_equal(rec.kind, RS_EVENT_PAYMENT);
    assert_int_equal(rec.key_len, 2);
    assert_memory_equal(rec.key, "C1", 2);
    assert_int_equal(rec.value_len, 3);
    assert_memory_equal(rec.value, "\0v1", 3);
    assert_int_equal(rs_evfile_next(r, &rec, err, sizeof(err)), 1);
    assert_int_equal(rec.kind, RS_EVENT_COMM);
    assert_int_equal(rec.index, 1);
    assert_int_equal(rec.key_len, 0);
    assert_int_equal(rec.value_len, sizeof(big));
    assert_memory_equal(rec.value, big, sizeof(big));
    assert_int_equal(rs_evfile_next(r, &rec, err, sizeof(err)), 0);
    rs_evfile_close(r);
    unlink(path);
}

static void test_evfile_truncated_and_foreign(void **state)
{
    char path[64], err[256];
    struct rs_evfile_writer *w;
    struct rs_evfile_reader *r;
    struct rs_evrecord rec;
    FILE *fp;
    long size;

    (void)state;
    temp_path(path, sizeof(path));
    w = rs_evfile_create(path, err, sizeof(err));
    assert_non_null(w);
    assert_int_equal(rs_evfile_write(w, RS_EVENT_INVOICE, "C1", 2, "abcdef",
                                     6, err, sizeof(err)),
                     0);
    assert_int_equal(rs_evfile_write(w, RS_EVENT_INVOICE, "C2", 2, "ghijkl",
                                     6, err, sizeof(err)),
                     0);
    assert_int_equal(rs_evfile_finish(w, err, sizeof(err)), 0);
    fp = fopen(path, "r+b");
    fseek(fp, 0, SEEK_END);
    size = ftell(fp);
    fclose(fp);
    assert_int_equal(truncate(path, size - 2), 0);

    r = rs_evfile_open(path, err, sizeof(err));
    assert_non_null(r);
    assert_int_equal(rs_evfile_next(r, &rec, err, sizeof(err)), 1);
    assert_int_equal(rs_evfile_next(r, &rec, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "record 1"));
    assert_non_null(strstr(err, "truncated value"));
    rs_evfile_close(r);

    fp = fopen(path, "wb");
    fputs("invoice,customer\n", fp);
    fclose(fp);
    assert_null(rs_evfile_open(path, err, sizeof(err)));
    assert_non_null(strstr(err, "not a riskstream event file"));
    unlink(path);
    assert_null(rs_evfile_open(path, err, sizeof(err)));
    assert_non_null(strstr(err, "cannot open event file"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_evfile_round_trip),
        cmocka_unit_test(test_evfile_truncated_and_foreign),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
