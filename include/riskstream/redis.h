/* Redis adapter: one connection with reconnect-on-next-use.
 *
 * hiredis 0.14 leaves a context unusable after an I/O error or timeout, so a
 * failed command frees the context and the next command connects again (and
 * sends AUTH again). The failed command's effect is unknown to the caller:
 * whatever it wrote must be safe to repeat (riskstream's flush is, because it
 * checks the task's applied offsets and epoch).
 *
 * Ownership: rs_redis_new() returns a handle freed by rs_redis_destroy().
 * Replies are hiredis replies, freed by the caller with freeReplyObject(). */
#ifndef RS_REDIS_H
#define RS_REDIS_H

#include <hiredis/hiredis.h>
#include <stddef.h>

#include "riskstream/config.h"

struct rs_redis;

/* Connects to redis.host:redis.port (AUTH with redis.password when set).
 * Returns NULL with errstr naming the address and the reason. */
struct rs_redis *rs_redis_new(const struct rs_config *conf, char *errstr,
                              size_t errstr_size);
void rs_redis_destroy(struct rs_redis *r);

/* Runs one command given as argv (binary-safe). Returns the reply, or NULL
 * with errstr when the connection failed or the reply is a Redis error
 * (the error text is in errstr). */
redisReply *rs_redis_commandv(struct rs_redis *r, int argc, const char **argv,
                              const size_t *argvlen, char *errstr,
                              size_t errstr_size);

/* printf-style convenience over redisCommand (%s, %b, %lld ...). Same
 * contract as rs_redis_commandv. */
redisReply *rs_redis_command(struct rs_redis *r, char *errstr,
                             size_t errstr_size, const char *fmt, ...);

/* Pipelining: many commands, one round trip.
 *
 *   rs_redis_connect(r)              connect now if disconnected
 *   rs_redis_append_argv(r, ...) x N queue (binary-safe argv)
 *   rs_redis_get_reply(r, ...)   x N one reply per queued command, in order
 *
 * Appending never connects: a pipeline that relies on connection state
 * (WATCH, MULTI) must not silently continue on a new connection, so after
 * the connection was lost every append fails until rs_redis_connect() or a
 * plain command connects again. Large pipelines are written out while they
 * are being appended (above about 1 MB buffered) without waiting for
 * replies, which Redis holds for us; the caller still reads every reply.
 *
 * rs_redis_get_reply() has rs_redis_commandv()'s contract: NULL with errstr
 * on a connection failure (the connection and every queued reply are
 * dropped; further calls fail at once) or on a Redis error reply (the
 * pipeline goes on: read the remaining replies). A plain command issued
 * while replies are still queued drops the connection first, so replies
 * can never be paired with the wrong command. */
int rs_redis_connect(struct rs_redis *r, char *errstr, size_t errstr_size);
int rs_redis_connected(const struct rs_redis *r);
int rs_redis_append_argv(struct rs_redis *r, int argc, const char **argv,
                         const size_t *argvlen, char *errstr,
                         size_t errstr_size);
redisReply *rs_redis_get_reply(struct rs_redis *r, char *errstr,
                               size_t errstr_size);

#endif
