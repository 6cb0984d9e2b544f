/* riskstream's Redis adapter against the real local Redis: write and read a
 * key, errors that name the server, reconnect after the server dropped us,
 * also in the middle of a pipeline. */
#include "support.h"

#include <string.h>

#include "riskstream/redis.h"

static struct rs_config *test_config(void)
{
    struct rs_config *c = rs_config_new();
    char errstr[256], port[16];

    snprintf(port, sizeof(port), "%d", rs_test_redis_port());
    if (rs_config_set(c, "redis.host", rs_test_redis_host(), errstr,
                      sizeof(errstr)) ||
        rs_config_set(c, "redis.port", port, errstr, sizeof(errstr)))
        fail_msg("%s", errstr);
    return c;
}

static void test_redis_write_and_read_key(void **state)
{
    struct rs_config *c;
    struct rs_redis *r;
    redisReply *rep;
    char key[128], errstr[512];
    static const char value[] = "binary\0value";

    (void)state;
    rs_test_require_redis();
    c = test_config();
    r = rs_redis_new(c, errstr, sizeof(errstr));
    if (!r)
        fail_msg("%s", errstr);
    rs_test_unique("rs-it:{t0}:c", key, sizeof(key));
    rep = rs_redis_command(r, errstr, sizeof(errstr), "SET %s %b", key, value,
                           sizeof(value));
    assert_non_null(rep);
    freeReplyObject(rep);
    rep = rs_redis_command(r, errstr, sizeof(errstr), "GET %s", key);
    assert_non_null(rep);
    assert_int_equal(rep->type, REDIS_REPLY_STRING);
    assert_int_equal(rep->len, sizeof(value));
    assert_memory_equal(rep->str, value, sizeof(value));
    freeReplyObject(rep);
    rep = rs_redis_command(r, errstr, sizeof(errstr), "DEL %s", key);
    freeReplyObject(rep);
    rs_redis_destroy(r);
    rs_config_destroy(c);
}

static void test_redis_error_reply_names_server(void **state)
{
    struct rs_config *c;
    struct rs_redis *r;
    char errstr[512] = "";
    const char *argv[] = {"NOSUCHCOMMAND"};
    size_t lens[] = {13};

    (void)state;
    rs_test_require_redis();
    c = test_config();
    r = rs_redis_new(c, errstr, sizeof(errstr));
    assert_non_null(r);
    assert_null(rs_redis_commandv(r, 1, argv, lens, errstr, sizeof(errstr)));
    assert_non_null(strstr(errstr, rs_test_redis_host()));
    assert_non_null(strstr(errstr, "unknown command"));
    rs_redis_destroy(r);
    rs_config_destroy(c);
}

/* After the server closes our connection, one command fails and the next
 * one reconnects by itself. */
/* Has the server close r's connection: r names itself, and a second
 * connection kills it by id (CLIENT KILL SKIPME no would kill the caller
 * mid-reply). */
static void kill_connection(const struct rs_config *c, struct rs_redis *r)
{
    struct rs_redis *admin;
    redisReply *rep;
    char errstr[512], name[64], filter[128];
    const char *p;

    rs_test_unique("rs-it-client", name, sizeof(name));
    rep = rs_redis_command(r, errstr, sizeof(errstr), "CLIENT SETNAME %s",
                           name);
    assert_non_null(rep);
    freeReplyObject(rep);
    admin = rs_redis_new(c, errstr, sizeof(errstr));
    assert_non_null(admin);
    rep = rs_redis_command(admin, errstr, sizeof(errstr), "CLIENT LIST");
    assert_non_null(rep);
    p = strstr(rep->str, name);
    assert_non_null(p);
    while (p > rep->str && strncmp(p, "id=", 3) != 0)
        p--;
    snprintf(filter, sizeof(filter), "%.*s", (int)strcspn(p + 3, " "),
             p + 3);
    freeReplyObject(rep);
    rep = rs_redis_command(admin, errstr, sizeof(errstr), "CLIENT KILL ID %s",
                           filter);
    assert_non_null(rep);
    assert_int_equal(rep->integer, 1);
    freeReplyObject(rep);
    rs_redis_destroy(admin);
}

/* The next plain command makes a new connection and is answered. */
static void assert_reconnected(struct rs_redis *r)
{
    char errstr[512];
    redisReply *rep = rs_redis_command(r, errstr, sizeof(errstr), "PING");

    if (!rep)
        fail_msg("no reconnect: %s", errstr);
    assert_string_equal(rep->str, "PONG");
    freeReplyObject(rep);
}

static void test_redis_reconnects_after_drop(void **state)
{
    struct rs_config *c;
    struct rs_redis *r;
    redisReply *rep;
    char errstr[512];

    (void)state;
    rs_test_require_redis();
    c = test_config();
    r = rs_redis_new(c, errstr, sizeof(errstr));
    assert_non_null(r);
    kill_connection(c, r);
    rep = rs_redis_command(r, errstr, sizeof(errstr), "PING");
    assert_null(rep); /* the dropped connection */
    assert_reconnected(r);
    rs_redis_destroy(r);
    rs_config_destroy(c);
}

/* A flush of several megabytes written to a connection the server has
 * closed (Redis restarted, or killed the client): an error that names
 * the server, not the process killed by SIGPIPE at the second write;
 * then a reconnect. */
static void test_redis_pipeline_to_dropped_connection(void **state)
{
    struct rs_config *c;
    struct rs_redis *r;
    redisReply *rep;
    char errstr[512] = "", key[128], want[160];
    static char value[3 * 1024 * 1024];
    const char *argv[3];
    size_t lens[3];
    int failed = 0;

    (void)state;
    rs_test_require_redis();
    c = test_config();
    r = rs_redis_new(c, errstr, sizeof(errstr));
    assert_non_null(r);
    kill_connection(c, r);
    rs_test_unique("rs-it:{t0}:big", key, sizeof(key));
    memset(value, 'x', sizeof(value));
    argv[0] = "SET";
    lens[0] = 3;
    argv[1] = key;
    lens[1] = strlen(key);
    argv[2] = value;
    lens[2] = sizeof(value);
    for (int i = 0; i < 4 && !failed; i++)
        failed = rs_redis_append_argv(r, 3, argv, lens, errstr,
                                      sizeof(errstr)) != 0;
    if (!failed) {
        rep = rs_redis_get_reply(r, errstr, sizeof(errstr));
        assert_null(rep);
    }
    snprintf(want, sizeof(want), "redis '%s:%d'", rs_test_redis_host(),
             rs_test_redis_port());
    assert_non_null(strstr(errstr, want));
    assert_false(rs_redis_connected(r));
    assert_reconnected(r);
    rep = rs_redis_command(r, errstr, sizeof(errstr), "DEL %s", key);
    freeReplyObject(rep);
    rs_redis_destroy(r);
    rs_config_destroy(c);
}

static void test_redis_unreachable_names_address(void **state)
{
    struct rs_config *c = rs_config_new();
    char errstr[512] = "";

    (void)state;
    /* Port 1 on loopback: nothing listens there. */
    assert_int_equal(rs_config_set(c, "redis.port", "1", errstr,
                                   sizeof(errstr)), 0);
    assert_null(rs_redis_new(c, errstr, sizeof(errstr)));
    assert_non_null(strstr(errstr, "cannot connect to redis '127.0.0.1:1'"));
    rs_config_destroy(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_redis_write_and_read_key),
        cmocka_unit_test(test_redis_error_reply_names_server),
        cmocka_unit_test(test_redis_reconnects_after_drop),
        cmocka_unit_test(test_redis_pipeline_to_dropped_connection),
        cmocka_unit_test(test_redis_unreachable_names_address),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
