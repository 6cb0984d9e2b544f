/* The state store's shared parts: destroying a store, releasing a meta.
 *
 * Each implementation (store_redis.c, store_memory.c) fills a struct
 * rs_store with its table of operations; callers only ever go through the
 * inline wrappers in store.h, so the engine cannot tell which one it has. */
#include "riskstream/store.h"

#include <stdlib.h>
#include <string.h>

void rs_store_destroy(struct rs_store *s)
{
    if (!s)
        return;
    s->ops->destroy(s->self);
    free(s);
}

void rs_store_meta_release(struct rs_task_meta *meta)
{
    if (!meta)
        return;
    for (size_t i = 0; i < meta->outbox_count; i++) {
        free(meta->outbox[i].key);
        free(meta->outbox[i].value);
    }
    free(meta->outbox);
    memset(meta, 0, sizeof(*meta));
}
