/* Logging: one line per message on stderr, level checked before formatting.
 *
 * Lines look like `2026-11-23T19:40:01.123Z WARN  kafka: ...`. The level is a
 * process-wide setting (log.level in the configuration); librdkafka's log
 * callback is routed through rs_log_write so its lines look the same. */
#ifndef RS_LOG_H
#define RS_LOG_H

enum rs_log_level {
    RS_LOG_ERROR = 0,
    RS_LOG_WARN = 1,
    RS_LOG_INFO = 2,
    RS_LOG_DEBUG = 3,
};

extern enum rs_log_level rs_log_threshold;

/* Parses "error", "warn", "info" or "debug"; returns -1 for anything else. */
int rs_log_level_parse(const char *name, enum rs_log_level *out);

void rs_log_write(enum rs_log_level level, const char *subsystem,
                  const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#define rs_log(level, subsystem, ...)                                          \
    do {                                                                       \
        if ((level) <= rs_log_threshold)                                       \
            rs_log_write((level), (subsystem), __VA_ARGS__);                   \
    } while (0)

#define rs_log_error(sub, ...) rs_log(RS_LOG_ERROR, sub, __VA_ARGS__)
#define rs_log_warn(sub, ...) rs_log(RS_LOG_WARN, sub, __VA_ARGS__)
#define rs_log_info(sub, ...) rs_log(RS_LOG_INFO, sub, __VA_ARGS__)
#define rs_log_debug(sub, ...) rs_log(RS_LOG_DEBUG, sub, __VA_ARGS__)

#endif
