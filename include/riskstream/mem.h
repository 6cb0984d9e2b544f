/* Allocation wrappers: every heap allocation in riskstream goes through here.
 *
 * Running out of memory is not an error a stream processor can recover from
 * record by record, so these abort with a message instead of returning NULL;
 * callers never check. Free with plain free(). */
#ifndef RS_MEM_H
#define RS_MEM_H

#include <stddef.h>

void *rs_malloc(size_t size);
void *rs_calloc(size_t nmemb, size_t size);
void *rs_realloc(void *ptr, size_t size);
char *rs_strdup(const char *s);
char *rs_strndup(const char *s, size_t n);

/* Grows *buf (of *cap elements of elem_size) to hold at least need elements,
 * doubling. Aborts on overflow or out of memory. */
void rs_grow(void **buf, size_t *cap, size_t need, size_t elem_size);

/* Copies src into dst of size bytes (size > 0), cut to fit, always
 * NUL-terminated; what snprintf(dst, size, "%s", src) does, without the
 * format machinery (a hot spot on the event path). Returns dst. */
char *rs_strcpy_cut(char *dst, size_t size, const char *src);

#endif
