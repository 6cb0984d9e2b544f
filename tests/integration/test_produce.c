/* `riskstream produce` on the real broker: an imported event file's records
 * land on their kind's topic, byte for byte, keyed by customer, each
 * customer on one partition number across the topics; a broker that
 * cannot be reached makes it fail with a message, not hang. */
#include "pipeline.h"
#include "support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "riskstream/evfile.h"

#define IBM_HEADER                                                             \
    "countryCode,customerID,PaperlessDate,invoiceNumber,InvoiceDate,DueDate,"  \
    "InvoiceAmount,Disputed,SettledDate,PaperlessBill,DaysToSettle,DaysLate"

/* Runs a shell command; returns its exit status and its output (stdout
 * and stderr) in out. */
static int run(const char *cmd, char *out, size_t size)
{
    char full[4096];
    FILE *p;
    size_t n;
    int status;

    snprintf(full, sizeof(full), "%s 2>&1", cmd);
    p = popen(full, "r");
    assert_non_null(p);
    n = fread(out, 1, size - 1, p);
    out[n] = '\0';
    status = pclose(p);
    if (!WIFEXITED(status))
        fail_msg("'%s' did not exit: %d", cmd, status);
    return WEXITSTATUS(status);
}

struct file_record {
    int kind;
    char key[64];
    unsigned char value[1024];
    size_t len;
    int found;
};

static size_t load(const char *path, struct file_record *out, size_t max)
{
    char err[256];
    struct rs_evfile_reader *r = rs_evfile_open(path, err, sizeof(err));
    struct rs_evrecord rec;
    size_t n = 0;

    if (!r)
        fail_msg("%s", err);
    while (rs_evfile_next(r, &rec, err, sizeof(err)) == 1) {
        assert_true(n < max && rec.value_len <= sizeof(out[n].value));
        out[n].kind = rec.kind;
        snprintf(out[n].key, sizeof(out[n].key), "%.*s", (int)rec.key_len,
                 (const char *)rec.key);
        memcpy(out[n].value, rec.value, rec.value_len);
        out[n].len = rec.value_len;
        out[n].found = 0;
        n++;
    }
    rs_evfile_close(r);
    return n;
}

static void test_produce_imported_file_reaches_its_topics(void **state)
{
    struct rs_pipe p;
    char csv[256], events[256], cmd[2048], out[4096];
    struct file_record recs[32];
    size_t nrec, total = 0;
    const int want[RS_EVENT_KINDS] = {4, 4, 0, 2};
    /* partition of each customer, -1 until seen */
    const char *customers[] = {"0379-NEVHP", "8976-AMJEO", "5148-SYKLB"};
    int part[3] = {-1, -1, -1};
    FILE *fp;

    (void)state;
    rs_pipe_init(&p, "produce", 3);
    snprintf(csv, sizeof(csv), "/tmp/%s.csv", p.name);
    snprintf(events, sizeof(events), "/tmp/%s.rsev", p.name);
    fp = fopen(csv, "w");
    assert_non_null(fp);
    fputs(IBM_HEADER "\r\n"
          "391,0379-NEVHP,4/6/2013,0000611365,1/2/2013,2/1/2013,55.94,No,"
          "1/15/2013,Paper,13,0\r\n"
          "406,8976-AMJEO,3/3/2012,0007900770,1/26/2013,2/25/2013,61.74,Yes,"
          "3/3/2013,Electronic,36,6\r\n"
          "818,5148-SYKLB,8/28/2013,0018104516,1/27/2012,2/26/2012,94,No,"
          "2/22/2012,Paper,26,0\r\n"
          "391,0379-NEVHP,4/6/2013,0000611366,2/2/2013,3/4/2013,12.00,No,"
          "3/20/2013,Paper,46,16\r\n",
          fp);
    fclose(fp);

    snprintf(cmd, sizeof(cmd),
             "%s import --mapping %s/tools/mappings/ibm-accounts-receivable.map"
             " --csv %s --out %s --schemas %s/schemas",
             rs_test_binary(), RS_SOURCE_DIR, csv, events, RS_SOURCE_DIR);
    if (run(cmd, out, sizeof(out)) != 0)
        fail_msg("import failed: %s", out);
    assert_non_null(strstr(out, "imported 4 rows into 10 events, 0 bad rows"));
    nrec = load(events, recs, 32);
    assert_int_equal(nrec, 10);

    snprintf(cmd, sizeof(cmd), "%s produce %s -c %s", rs_test_binary(),
             events, rs_pipe_config(&p, NULL));
    if (run(cmd, out, sizeof(out)) != 0)
        fail_msg("produce failed: %s", out);
    assert_string_equal(out, "produced 10 records\n");

    for (int k = 0; k < RS_EVENT_KINDS; k++) {
        struct rs_record *got;
        size_t n = rs_pipe_read(&p, k, (size_t)want[k] + 1, 3000, &got);

        assert_int_equal(n, want[k]);
        for (size_t i = 0; i < n; i++) {
            size_t j;
            int c;

            /* The same bytes under the same key as in the file. */
            for (j = 0; j < nrec; j++)
                if (!recs[j].found && recs[j].kind == k &&
                    strcmp(recs[j].key, got[i].key) == 0 &&
                    recs[j].len == got[i].len &&
                    memcmp(recs[j].value, got[i].value, got[i].len) == 0)
                    break;
            if (j == nrec)
                fail_msg("record with key '%s' on topic %s is not in the "
                         "event file",
                         got[i].key, p.topics[k]);
            recs[j].found = 1;
            total++;
            /* One partition number per customer across the topics. */
            for (c = 0; c < 3 && strcmp(customers[c], got[i].key); c++)
                ;
            assert_true(c < 3);
            if (part[c] < 0)
                part[c] = got[i].partition;
            assert_int_equal(part[c], got[i].partition);
        }
        rs_pipe_records_free(got, n);
    }
    assert_int_equal(total, nrec);

    /* A broker that cannot be reached: a clear failure, exit 1. */
    snprintf(cmd, sizeof(cmd),
             "%s produce %s -c %s -s kafka.bootstrap.servers=127.0.0.1:1",
             rs_test_binary(), events, rs_pipe_config(&p, NULL));
    assert_int_equal(run(cmd, out, sizeof(out)), 1);
    assert_non_null(strstr(out, "riskstream produce: "));
    assert_non_null(strstr(out, p.topics[0]));
    assert_null(strstr(out, "produced"));

    /* No file named: a usage error. */
    snprintf(cmd, sizeof(cmd), "%s produce", rs_test_binary());
    assert_int_equal(run(cmd, out, sizeof(out)), 2);

    unlink(csv);
    unlink(events);
    rs_pipe_release(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_produce_imported_file_reaches_its_topics),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
