/* Allocation wrappers that abort on out-of-memory (see mem.h). */
#include "riskstream/mem.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(size_t size)
{
    fprintf(stderr, "riskstream: out of memory allocating %zu bytes\n", size);
    abort();
}

void *rs_malloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p)
        oom(size);
    return p;
}

void *rs_calloc(size_t nmemb, size_t size)
{
    void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
    if (!p)
        oom(nmemb * size);
    return p;
}

void *rs_realloc(void *ptr, size_t size)
{
    void *p = realloc(ptr, size ? size : 1);
    if (!p)
        oom(size);
    return p;
}

char *rs_strdup(const char *s)
{
    return rs_strndup(s, strlen(s));
}

char *rs_strndup(const char *s, size_t n)
{
    char *p = rs_malloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void rs_grow(void **buf, size_t *cap, size_t need, size_t elem_size)
{
    size_t ncap;

    if (need <= *cap)
        return;
    ncap = *cap ? *cap : 8;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2)
            oom(SIZE_MAX);
        ncap *= 2;
    }
    if (ncap > SIZE_MAX / elem_size)
        oom(SIZE_MAX);
    *buf = rs_realloc(*buf, ncap * elem_size);
    *cap = ncap;
}

char *rs_strcpy_cut(char *dst, size_t size, const char *src)
{
    size_t n = strnlen(src, size - 1);

    memcpy(dst, src, n);
    dst[n] = '\0';
    return dst;
}
