/* riskstream's Redis adapter against the real local Redis: write and read a
 * key, errors that name the server, reconnect after the server dropped us. */
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
static void test_redis_reconnects_after_drop(void **state)
{
    struct rs_config *c;
    struct rs_redis *r;
    redisReply *rep;
    char errstr[512];
    char name[64];

    (void)state;
    rs_test_require_redis();
    c = test_config();
    r = rs_redis_new(c, errstr, sizeof(errstr));
    assert_non_null(r);
    rs_test_unique("rs-it-client", name, sizeof(name));
    rep = rs_redis_command(r, errstr, sizeof(errstr), "CLIENT SETNAME %s",
                           name);
    assert_non_null(rep);
    freeReplyObject(rep);
    /* CLIENT KILL SKIPME no would kill us mid-reply; kill by name from a
     * second connection instead. */
    {
        struct rs_redis *admin = rs_redis_new(c, errstr, sizeof(errstr));
        char filter[128];

        assert_non_null(admin);
        rep = rs_redis_command(admin, errstr, sizeof(errstr), "CLIENT LIST");
        assert_non_null(rep);
        assert_non_null(strstr(rep->str, name));
        {
            const char *p = strstr(rep->str, name);
            const char *id;

            while (p > rep->str && strncmp(p, "id=", 3) != 0)
                p--;
            id = p + 3;
            snprintf(filter, sizeof(filter), "%.*s",
                     (int)strcspn(id, " "), id);
        }
        freeReplyObject(rep);
        rep = rs_redis_command(admin, errstr, sizeof(errstr),
                               "CLIENT KILL ID %s", filter);
        assert_non_null(rep);
        assert_int_equal(rep->integer, 1);
        freeReplyObject(rep);
        rs_redis_destroy(admin);
    }
    rep = rs_redis_command(r, errstr, sizeof(errstr), "PING");
    assert_null(rep); /* the dropped connection */
    rep = rs_redis_command(r, errstr, sizeof(errstr), "PING");
    assert_non_null(rep); /* reconnected */
    assert_string_equal(rep->str, "PONG");
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
        cmocka_unit_test(test_redis_unreachable_names_address),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
