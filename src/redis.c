/* One Redis connection that reconnects on next use (see redis.h). */
#include "riskstream/redis.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "riskstream/buf.h"
#include "riskstream/log.h"
#include "riskstream/mem.h"

struct rs_redis {
    redisContext *ctx; /* NULL while disconnected */
    char *host;
    int port;
    char *password;
    struct timeval timeout;
    size_t pending;     /* replies of appended commands not read yet */
    struct rs_buf out;  /* appended commands not handed to hiredis yet */
};

/* Bytes of appended commands buffered before they are written out without
 * waiting for replies (keeps hiredis' output buffer, which it shifts after
 * every partial write, small). */
#define RS_REDIS_WRITE_CHUNK (1024 * 1024)

/* Forgets the connection after a failure; the next use reconnects. */
static void redis_drop(struct rs_redis *r)
{
    if (r->ctx)
        redisFree(r->ctx);
    r->ctx = NULL;
    r->pending = 0;
    rs_buf_reset(&r->out);
}

static int redis_connect(struct rs_redis *r, char *errstr, size_t errstr_size)
{
    redisContext *c = redisConnectWithTimeout(r->host, r->port, r->timeout);

    if (!c || c->err) {
        snprintf(errstr, errstr_size, "cannot connect to redis '%s:%d': %s",
                 r->host, r->port, c ? c->errstr : "out of memory");
        if (c)
            redisFree(c);
        return -1;
    }
    if (redisSetTimeout(c, r->timeout) != REDIS_OK) {
        snprintf(errstr, errstr_size, "cannot set timeout on redis '%s:%d'",
                 r->host, r->port);
        redisFree(c);
        return -1;
    }
    if (*r->password) {
        redisReply *rep = redisCommand(c, "AUTH %s", r->password);

        if (!rep || rep->type == REDIS_REPLY_ERROR) {
            snprintf(errstr, errstr_size, "redis '%s:%d' refused AUTH: %s",
                     r->host, r->port,
                     rep ? rep->str : c->errstr);
            if (rep)
                freeReplyObject(rep);
            redisFree(c);
            return -1;
        }
        freeReplyObject(rep);
    }
    r->ctx = c;
    return 0;
}

struct rs_redis *rs_redis_new(const struct rs_config *conf, char *errstr,
                              size_t errstr_size)
{
    struct rs_redis *r = rs_calloc(1, sizeof(*r));

    r->host = rs_strdup(conf->redis_host);
    r->port = (int)conf->redis_port;
    r->password = rs_strdup(conf->redis_password);
    r->timeout.tv_sec = conf->redis_timeout_ms / 1000;
    r->timeout.tv_usec = (conf->redis_timeout_ms % 1000) * 1000;
    rs_buf_init(&r->out, 0);
    if (redis_connect(r, errstr, errstr_size)) {
        rs_redis_destroy(r);
        return NULL;
    }
    return r;
}

void rs_redis_destroy(struct rs_redis *r)
{
    if (!r)
        return;
    if (r->ctx)
        redisFree(r->ctx);
    free(r->host);
    free(r->password);
    rs_buf_release(&r->out);
    free(r);
}

/* Turns a reply into the adapter's contract: NULL on connection failure
 * (dropping the context) or on a Redis error reply. */
static redisReply *check_reply(struct rs_redis *r, redisReply *rep,
                               char *errstr, size_t errstr_size)
{
    if (!rep) {
        snprintf(errstr, errstr_size, "redis '%s:%d': %s", r->host, r->port,
                 r->ctx->errstr[0] ? r->ctx->errstr : "connection lost");
        rs_log_warn("redis", "%s; reconnecting on next use", errstr);
        redis_drop(r);
        return NULL;
    }
    if (rep->type == REDIS_REPLY_ERROR) {
        snprintf(errstr, errstr_size, "redis '%s:%d': %s", r->host, r->port,
                 rep->str);
        freeReplyObject(rep);
        return NULL;
    }
    return rep;
}

/* A plain command must not read a queued pipeline reply as its own. */
static void drop_if_pending(struct rs_redis *r)
{
    if (r->pending) {
        rs_log_warn("redis", "redis '%s:%d': %zu pipelined replies were not "
                             "read; reconnecting",
                    r->host, r->port, r->pending);
        redis_drop(r);
    }
}

redisReply *rs_redis_commandv(struct rs_redis *r, int argc, const char **argv,
                              const size_t *argvlen, char *errstr,
                              size_t errstr_size)
{
    drop_if_pending(r);
    if (!r->ctx && redis_connect(r, errstr, errstr_size))
        return NULL;
    return check_reply(r, redisCommandArgv(r->ctx, argc, argv, argvlen),
                       errstr, errstr_size);
}

redisReply *rs_redis_command(struct rs_redis *r, char *errstr,
                             size_t errstr_size, const char *fmt, ...)
{
    va_list ap;
    redisReply *rep;

    drop_if_pending(r);
    if (!r->ctx && redis_connect(r, errstr, errstr_size))
        return NULL;
    va_start(ap, fmt);
    rep = redisvCommand(r->ctx, fmt, ap);
    va_end(ap);
    return check_reply(r, rep, errstr, errstr_size);
}

int rs_redis_connect(struct rs_redis *r, char *errstr, size_t errstr_size)
{
    drop_if_pending(r);
    if (r->ctx)
        return 0;
    return redis_connect(r, errstr, errstr_size);
}

int rs_redis_connected(const struct rs_redis *r)
{
    return r->ctx != NULL;
}

/* Appends "<c><n>\r\n" (a RESP length line). */
static void put_length(struct rs_buf *b, char c, size_t n)
{
    char tmp[24];
    size_t i = sizeof(tmp);

    tmp[--i] = '\n';
    tmp[--i] = '\r';
    do {
        tmp[--i] = (char)('0' + n % 10);
        n /= 10;
    } while (n);
    tmp[--i] = c;
    rs_buf_append(b, tmp + i, sizeof(tmp) - i);
}

/* Writes the formatted commands out, without waiting for replies. Here,
 * not through hiredis: handing them to hiredis copied every byte of a
 * flush once more into its buffer, and hiredis 0.14 writes with write(),
 * so that a second write to a connection the server has closed (Redis
 * restarted, or the client killed, during a flush of several megabytes)
 * raised SIGPIPE and killed the process (hiredis issue #1229). send()
 * with MSG_NOSIGNAL fails with EPIPE instead: the connection is dropped
 * and made again at the next use, like after any other error. hiredis
 * reads the replies; its own buffer is empty here, as every command
 * written through it was written whole before its reply was read. */
static int send_formatted(struct rs_redis *r, char *errstr,
                          size_t errstr_size)
{
    const char *p = (const char *)r->out.data;
    size_t left = r->out.len;

    while (left) {
        ssize_t n = send(r->ctx->fd, p, left, MSG_NOSIGNAL);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            snprintf(errstr, errstr_size, "redis '%s:%d': %s", r->host,
                     r->port,
                     n == 0 ? "connection closed"
                     : errno == EAGAIN || errno == EWOULDBLOCK
                         ? "timed out writing (redis.timeout.ms)"
                         : strerror(errno));
            rs_log_warn("redis", "%s; reconnecting on next use", errstr);
            redis_drop(r);
            return -1;
        }
        p += n;
        left -= (size_t)n;
    }
    rs_buf_reset(&r->out);
    return 0;
}

int rs_redis_append_argv(struct rs_redis *r, int argc, const char **argv,
                         const size_t *argvlen, char *errstr,
                         size_t errstr_size)
{
    if (!r->ctx) {
        snprintf(errstr, errstr_size, "redis '%s:%d': not connected",
                 r->host, r->port);
        return -1;
    }
    /* RESP formatted here: hiredis 0.14's formatter (sdscatfmt per
     * argument) made appending a 50,000-customer flush about 1.6 times
     * slower. */
    put_length(&r->out, '*', (size_t)argc);
    for (int i = 0; i < argc; i++) {
        put_length(&r->out, '$', argvlen[i]);
        rs_buf_append(&r->out, argv[i], argvlen[i]);
        rs_buf_append(&r->out, "\r\n", 2);
    }
    r->pending++;
    if (r->out.len >= RS_REDIS_WRITE_CHUNK)
        return send_formatted(r, errstr, errstr_size);
    return 0;
}

redisReply *rs_redis_get_reply(struct rs_redis *r, char *errstr,
                               size_t errstr_size)
{
    void *rep = NULL;

    if (!r->ctx || !r->pending) {
        snprintf(errstr, errstr_size, "redis '%s:%d': %s", r->host, r->port,
                 r->ctx ? "no reply is pending" : "connection lost");
        return NULL;
    }
    if (r->out.len && send_formatted(r, errstr, errstr_size))
        return NULL;
    if (redisGetReply(r->ctx, &rep) != REDIS_OK)
        rep = NULL;
    r->pending--;
    return check_reply(r, rep, errstr, errstr_size);
}
