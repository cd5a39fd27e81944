/* Logging to standard error: coloured text on a terminal, logfmt otherwise,
 * or JSON lines. The log configuration is the only global mutable state of
 * the program. Never pass a secret to these functions. */
#ifndef LDAPENROLL_LOG_H
#define LDAPENROLL_LOG_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };
enum log_format { LOG_FORMAT_AUTO, LOG_FORMAT_TEXT, LOG_FORMAT_LOGFMT, LOG_FORMAT_JSON };

struct log_field {
	const char *key;
	const char *value;
};

/* Sets the format and the most verbose level written. AUTO picks text on a
 * terminal and logfmt otherwise. */
void log_setup(enum log_format format, enum log_level level);
/* Redirects the log (tests); NULL restores stderr. */
void log_set_stream(FILE *f);
enum log_format log_format_in_use(void);
int log_enabled(enum log_level level);
/* True when standard error is a terminal and the text format is in use: the
 * place for progress bars. */
int log_is_interactive(void);

/* A progress line on a terminal ("  directory: 120/500 operations (850/s)"),
 * redrawn at most ten times a second; nothing otherwise. */
struct progress {
	const char *what, *unit;
	size_t total, done;
	struct timespec started, drawn;
	int on;
};
void progress_start(struct progress *p, const char *what, const char *unit, size_t total);
/* Counts n more done and redraws when due. */
void progress_step(struct progress *p, size_t n);
/* Draws the final state and ends the line. */
void progress_end(struct progress *p);

/* Seconds since t (CLOCK_MONOTONIC). */
double seconds_since(const struct timespec *t);

void log_printf(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A message with structured fields (logfmt key=value, JSON members, or
 * "key=value" after the message in text form). */
void log_fields(enum log_level level, const char *msg, const struct log_field *fields, size_t n);

#define log_error(...) log_printf(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_printf(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_printf(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_printf(LOG_DEBUG, __VA_ARGS__)

#endif
