#include "agent/base/log.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/base/buf.h"
#include "agent/base/json.h"

static struct {
	enum log_format format;
	enum log_level level;
	int color;
	FILE *stream;
} cfg = {LOG_FORMAT_LOGFMT, LOG_INFO, 0, NULL};

static const char *const level_names[] = {"error", "warning", "info", "debug"};
static const char *const level_colors[] = {"\033[1;31m", "\033[1;33m", "\033[1;34m", "\033[2m"};

static FILE *out(void)
{
	return cfg.stream ? cfg.stream : stderr;
}

void log_setup(enum log_format format, enum log_level level)
{
	int tty = isatty(fileno(out()));

	if (format == LOG_FORMAT_AUTO)
		format = tty ? LOG_FORMAT_TEXT : LOG_FORMAT_LOGFMT;
	cfg.format = format;
	cfg.level = level;
	cfg.color = tty && format == LOG_FORMAT_TEXT && !getenv("NO_COLOR");
}

void log_set_stream(FILE *f)
{
	cfg.stream = f;
	cfg.color = 0;
}

enum log_format log_format_in_use(void)
{
	return cfg.format;
}

int log_enabled(enum log_level level)
{
	return level <= cfg.level;
}

int log_is_interactive(void)
{
	return cfg.format == LOG_FORMAT_TEXT && isatty(fileno(out()));
}

double seconds_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) + (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

/* m:ss, or h:mm:ss. */
static void clock_text(char *out, size_t size, double secs)
{
	unsigned long s = secs < 0 ? 0 : (unsigned long)(secs + 0.5);

	if (s >= 3600)
		snprintf(out, size, "%lu:%02lu:%02lu", s / 3600, s / 60 % 60, s % 60);
	else
		snprintf(out, size, "%lu:%02lu", s / 60, s % 60);
}

/* "  directory [#########...............]  38%  7600/20000 actions  1320/s  ETA 0:09" */
static void progress_draw(struct progress *p, int final)
{
	enum { WIDTH = 24 };
	char bar[WIDTH + 1], when[32];
	size_t filled, pct, i;
	double t, rate;

	if (!p->on || (!final && seconds_since(&p->drawn) < 0.1))
		return;
	clock_gettime(CLOCK_MONOTONIC, &p->drawn);
	t = seconds_since(&p->started);
	rate = t > 0 ? (double)p->done / t : 0.0;
	pct = p->total ? (p->done >= p->total ? 100 : p->done * 100 / p->total) : 100;
	filled = pct * WIDTH / 100;
	for (i = 0; i < WIDTH; i++)
		bar[i] = i < filled ? '#' : '.';
	bar[WIDTH] = '\0';
	if (final) {
		clock_text(when, sizeof when, t);
		memmove(when + 3, when, strlen(when) + 1);
		memcpy(when, "in ", 3);
	} else if (t >= 1 && rate > 0 && p->done < p->total) {
		clock_text(when + 4, sizeof when - 4, (double)(p->total - p->done) / rate);
		memcpy(when, "ETA ", 4);
	} else {
		snprintf(when, sizeof when, "ETA -:--");
	}
	fprintf(out(), "\r  %-9s [%s] %3zu%%  %zu/%zu %s  %.0f/s  %s%s", p->what, bar, pct, p->done, p->total, p->unit,
		rate, when, final ? "\n" : "   ");
	fflush(out());
}

void progress_start(struct progress *p, const char *what, const char *unit, size_t total)
{
	p->what = what;
	p->unit = unit;
	p->total = total;
	p->done = 0;
	p->on = log_is_interactive() && total > 0;
	clock_gettime(CLOCK_MONOTONIC, &p->started);
	p->drawn = p->started;
}

void progress_step(struct progress *p, size_t n)
{
	p->done += n;
	progress_draw(p, 0);
}

void progress_end(struct progress *p)
{
	progress_draw(p, 1);
}

static void add_time(struct buf *b)
{
	char ts[32];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
	buf_adds(b, ts);
}

/* logfmt: a value is quoted when it is empty or holds a space, '=', '"' or
 * a control character; inside quotes '"' and '\' are escaped. */
static void add_logfmt_value(struct buf *b, const char *v)
{
	const char *p;
	int quote = !*v;

	for (p = v; *p && !quote; p++)
		if (*p == ' ' || *p == '=' || *p == '"' || (unsigned char)*p < 0x20)
			quote = 1;
	if (!quote) {
		buf_adds(b, v);
		return;
	}
	buf_addc(b, '"');
	for (p = v; *p; p++) {
		if (*p == '"' || *p == '\\')
			buf_addc(b, '\\'), buf_addc(b, *p);
		else if (*p == '\n')
			buf_adds(b, "\\n");
		else if (*p == '\r')
			buf_adds(b, "\\r");
		else if (*p == '\t')
			buf_adds(b, "\\t");
		else if ((unsigned char)*p < 0x20)
			buf_printf(b, "\\u%04x", (unsigned)*p);
		else
			buf_addc(b, *p);
	}
	buf_addc(b, '"');
}

void log_fields(enum log_level level, const char *msg, const struct log_field *f, size_t n)
{
	struct buf b = BUF_INIT;
	size_t i;

	if (!log_enabled(level))
		return;
	switch (cfg.format) {
	case LOG_FORMAT_JSON:
		buf_adds(&b, "{\"time\":\"");
		add_time(&b);
		buf_printf(&b, "\",\"level\":\"%s\",\"msg\":", level_names[level]);
		json_add_string(&b, msg);
		for (i = 0; i < n; i++) {
			buf_addc(&b, ',');
			json_add_string(&b, f[i].key);
			buf_addc(&b, ':');
			json_add_string(&b, f[i].value ? f[i].value : "");
		}
		buf_adds(&b, "}\n");
		break;
	case LOG_FORMAT_TEXT:
	case LOG_FORMAT_AUTO:
		if (level == LOG_INFO)
			buf_adds(&b, "ldapenroll: ");
		else if (cfg.color)
			buf_printf(&b, "ldapenroll: %s%s\033[0m: ", level_colors[level], level_names[level]);
		else
			buf_printf(&b, "ldapenroll: %s: ", level_names[level]);
		buf_adds(&b, msg);
		for (i = 0; i < n; i++) {
			buf_printf(&b, " %s=", f[i].key);
			add_logfmt_value(&b, f[i].value ? f[i].value : "");
		}
		buf_addc(&b, '\n');
		break;
	case LOG_FORMAT_LOGFMT:
		buf_adds(&b, "time=");
		add_time(&b);
		buf_printf(&b, " level=%s msg=", level_names[level]);
		add_logfmt_value(&b, msg);
		for (i = 0; i < n; i++) {
			buf_printf(&b, " %s=", f[i].key);
			add_logfmt_value(&b, f[i].value ? f[i].value : "");
		}
		buf_addc(&b, '\n');
		break;
	}
	fwrite(buf_str(&b), 1, b.len, out());
	fflush(out());
	buf_release(&b);
}

void log_printf(enum log_level level, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	log_fields(level, buf_str(&b), NULL, 0);
	buf_release(&b);
}
