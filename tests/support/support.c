/* Test helpers: source paths, service addresses, unique names (support.h). */
#include "support.h"

#include <hiredis/hiredis.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include "riskstream/mem.h"

const char *rs_test_path(const char *relative)
{
    static char buf[4096];

    snprintf(buf, sizeof(buf), "%s/%s", RS_SOURCE_DIR, relative);
    return buf;
}

char *rs_test_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *data;
    long size = 0;

    if (!f)
        fail_msg("cannot open '%s'", path);
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        fail_msg("cannot size '%s'", path);
    }
    data = rs_malloc((size_t)size + 1);
    if (fread(data, 1, (size_t)size, f) != (size_t)size) {
        fclose(f);
        free(data);
        fail_msg("cannot read '%s'", path);
    }
    fclose(f);
    data[size] = '\0';
    if (len)
        *len = (size_t)size;
    return data;
}

const char *rs_test_kafka_brokers(void)
{
    const char *v = getenv("RS_TEST_KAFKA");

    return v && *v ? v : "127.0.0.1:19092";
}

static const char *redis_addr(void)
{
    const char *v = getenv("RS_TEST_REDIS");

    return v && *v ? v : "127.0.0.1:16379";
}

const char *rs_test_redis_host(void)
{
    static char host[256];
    const char *addr = redis_addr();
    const char *colon = strrchr(addr, ':');
    size_t n = colon ? (size_t)(colon - addr) : strlen(addr);

    if (n >= sizeof(host))
        n = sizeof(host) - 1;
    memcpy(host, addr, n);
    host[n] = '\0';
    return host;
}

int rs_test_redis_port(void)
{
    const char *colon = strrchr(redis_addr(), ':');

    return colon ? atoi(colon + 1) : 6379;
}

void rs_test_require_kafka(void)
{
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_t *rk;
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t err;

    if (rd_kafka_conf_set(conf, "bootstrap.servers", rs_test_kafka_brokers(),
                          errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK)
        fail_msg("bad test broker address: %s", errstr);
    rd_kafka_conf_set(conf, "log_level", "0", errstr, sizeof(errstr));
    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!rk)
        fail_msg("cannot create a Kafka client: %s", errstr);
    err = rd_kafka_metadata(rk, 0, NULL, &md, 15000);
    if (md)
        rd_kafka_metadata_destroy(md);
    rd_kafka_destroy(rk);
    if (err)
        fail_msg("the Kafka broker at '%s' did not answer: %s (start it with "
                 "deploy/local/kafka.sh start)",
                 rs_test_kafka_brokers(), rd_kafka_err2str(err));
}

void rs_test_require_redis(void)
{
    struct timeval tv = {5, 0};
    redisContext *c = redisConnectWithTimeout(rs_test_redis_host(),
                                              rs_test_redis_port(), tv);
    redisReply *r;

    if (!c || c->err) {
        const char *why = c ? c->errstr : "out of memory";

        fail_msg("Redis at '%s:%d' is not reachable: %s (start it with "
                 "deploy/local/redis.sh start)",
                 rs_test_redis_host(), rs_test_redis_port(), why);
    }
    r = redisCommand(c, "PING");
    if (!r || r->type != REDIS_REPLY_STATUS || strcmp(r->str, "PONG") != 0)
        fail_msg("Redis at '%s:%d' did not answer PING", rs_test_redis_host(),
                 rs_test_redis_port());
    freeReplyObject(r);
    redisFree(c);
}

const char *rs_test_unique(const char *prefix, char *buf, size_t size)
{
    static unsigned counter;

    snprintf(buf, size, "%s-%ld-%ld-%u", prefix, (long)getpid(),
             (long)time(NULL), counter++);
    return buf;
}

const char *rs_test_binary(void)
{
    return RS_BINARY;
}

pid_t rs_test_spawn_run(const char *config_path, const char *log_path)
{
    pid_t pid = fork();

    if (pid < 0)
        fail_msg("fork failed");
    if (pid == 0) {
        int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);

        /* A test that dies (an abort, a sanitizer report) must not leave
         * its daemon running: it would hold its group and load the machine
         * for the tests and benchmarks after it. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() == 1)
            _exit(127); /* the test died before prctl */

        if (fd >= 0) {
            dup2(fd, STDERR_FILENO);
            dup2(fd, STDOUT_FILENO);
            close(fd);
        }
        execl(RS_BINARY, "riskstream", "run", "--config", config_path,
              (char *)NULL);
        _exit(127);
    }
    return pid;
}

int rs_test_stop(pid_t pid, int sig, int timeout_ms)
{
    int status = 0;

    if (sig)
        kill(pid, sig);
    for (int waited = 0; waited <= timeout_ms; waited += 10) {
        pid_t r = waitpid(pid, &status, WNOHANG);

        if (r == pid)
            return status;
        rs_test_sleep_ms(10);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    fail_msg("riskstream (pid %ld) did not exit within %d ms", (long)pid,
             timeout_ms);
    return -1;
}

const char *rs_test_write_config(const char *name, const char *extra)
{
    static char path[512];
    FILE *f;

    snprintf(path, sizeof(path), "/tmp/%s.conf", name);
    f = fopen(path, "w");
    if (!f)
        fail_msg("cannot write '%s'", path);
    fprintf(f,
            "kafka.bootstrap.servers = %s\n"
            "redis.host = %s\n"
            "redis.port = %d\n"
            "schema.dir = %s/schemas\n"
            "%s\n",
            rs_test_kafka_brokers(), rs_test_redis_host(),
            rs_test_redis_port(), RS_SOURCE_DIR, extra);
    fclose(f);
    return path;
}

void rs_test_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}
