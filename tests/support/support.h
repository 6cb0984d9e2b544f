/* Helpers shared by the tests: where the source tree is, where the real
 * Kafka broker and Redis server are, and fresh names for each test.
 *
 * Integration tests must fail, not skip, when the services are missing:
 * rs_test_require_kafka()/rs_test_require_redis() fail the test with a
 * message naming the address they tried. */
#ifndef RS_TEST_SUPPORT_H
#define RS_TEST_SUPPORT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/* Path of a file in the source tree, e.g. rs_test_path("schemas/Invoice.avsc").
 * Returns a static buffer overwritten by the next call. */
const char *rs_test_path(const char *relative);

/* Reads a whole file into a NUL-terminated heap buffer (caller frees);
 * fails the test if it cannot. */
char *rs_test_read_file(const char *path, size_t *len);

/* Kafka bootstrap servers: $RS_TEST_KAFKA or 127.0.0.1:19092. */
const char *rs_test_kafka_brokers(void);

/* Redis host and port: $RS_TEST_REDIS ("host:port") or 127.0.0.1:16379. */
const char *rs_test_redis_host(void);
int rs_test_redis_port(void);

/* Fails the current test unless the broker / Redis answers within seconds. */
void rs_test_require_kafka(void);
void rs_test_require_redis(void);

/* A name unique to this process and call: "<prefix>-<pid>-<time>-<n>". */
const char *rs_test_unique(const char *prefix, char *buf, size_t size);

#endif

/* Sleeps ms milliseconds. */
void rs_test_sleep_ms(int ms);

/* --- Running the riskstream binary (integration tests) --- */

#include <sys/types.h>

/* Path of the riskstream executable under test. */
const char *rs_test_binary(void);

/* Starts `riskstream run --config path`, its stderr appended to log_path.
 * Returns the pid; fails the test if it cannot start. */
pid_t rs_test_spawn_run(const char *config_path, const char *log_path);

/* Sends sig and waits up to timeout_ms for the process to exit. Returns its
 * exit status (as from waitpid), or fails the test on timeout. */
int rs_test_stop(pid_t pid, int sig, int timeout_ms);

/* Writes a riskstream config file: the test broker and Redis, then the
 * given extra "key = value" lines. Returns path (a static buffer). */
const char *rs_test_write_config(const char *name, const char *extra);
