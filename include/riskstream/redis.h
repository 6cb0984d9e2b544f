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

#endif
