/* One Redis connection that reconnects on next use (see redis.h). */
#include "riskstream/redis.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "riskstream/log.h"
#include "riskstream/mem.h"

struct rs_redis {
    redisContext *ctx; /* NULL while disconnected */
    char *host;
    int port;
    char *password;
    struct timeval timeout;
};

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
        redisFree(r->ctx);
        r->ctx = NULL;
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

redisReply *rs_redis_commandv(struct rs_redis *r, int argc, const char **argv,
                              const size_t *argvlen, char *errstr,
                              size_t errstr_size)
{
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

    if (!r->ctx && redis_connect(r, errstr, errstr_size))
        return NULL;
    va_start(ap, fmt);
    rep = redisvCommand(r->ctx, fmt, ap);
    va_end(ap);
    return check_reply(r, rep, errstr, errstr_size);
}
