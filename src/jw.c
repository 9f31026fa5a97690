/*
 * A JSON writer into a fixed buffer.  Every byte goes through jw_put(),
 * which sets overflow instead of writing past cap - 1, so the buffer
 * always holds a NUL-terminated prefix of the document.
 */
#include <stdio.h>
#include <string.h>

#include "jw.h"
#include "utf8.h"

static void
jw_put(struct jw *w, const char *s, size_t n)
{
	if (w->overflow)
		return;
	if (n >= w->cap - w->len) {
		w->overflow = 1;
		return;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

static void
jw_putc(struct jw *w, char c)
{
	jw_put(w, &c, 1);
}

static void
jw_quote(struct jw *w, const char *str, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	size_t	 i, run, u;
	char	 esc[6];

	jw_putc(w, '"');
	i = 0;
	while (i < n && !w->overflow) {
		/* Copy a run of bytes that need no escape in one go. */
		for (run = i; run < n && s[run] >= 0x20 && s[run] < 0x80 &&
		    s[run] != '"' && s[run] != '\\'; run++)
			;
		if (run > i) {
			jw_put(w, str + i, run - i);
			i = run;
			continue;
		}
		switch (s[i]) {
		case '"':
			jw_put(w, "\\\"", 2);
			break;
		case '\\':
			jw_put(w, "\\\\", 2);
			break;
		case '\b':
			jw_put(w, "\\b", 2);
			break;
		case '\f':
			jw_put(w, "\\f", 2);
			break;
		case '\n':
			jw_put(w, "\\n", 2);
			break;
		case '\r':
			jw_put(w, "\\r", 2);
			break;
		case '\t':
			jw_put(w, "\\t", 2);
			break;
		default:
			if (s[i] < 0x20) {
				memcpy(esc, "\\u00", 4);
				esc[4] = hex[s[i] >> 4];
				esc[5] = hex[s[i] & 15];
				jw_put(w, esc, 6);
				break;
			}
			if ((u = utf8_decode(s + i, n - i, NULL)) == 0) {
				/* Not UTF-8: U+FFFD, never raw bytes. */
				jw_put(w, "\\ufffd", 6);
				break;
			}
			jw_put(w, str + i, u);
			i += u;
			continue;
		}
		i++;
	}
	jw_putc(w, '"');
}

/* The separator and "key": before a value. */
static void
jw_key(struct jw *w, const char *key)
{
	if (w->need_comma)
		jw_putc(w, ',');
	if (key != NULL) {
		jw_quote(w, key, strlen(key));
		jw_putc(w, ':');
	}
	w->need_comma = 1;
}

void
jw_init(struct jw *w, char *buf, size_t cap)
{
	memset(w, 0, sizeof(*w));
	w->buf = buf;
	w->cap = cap;
	if (cap == 0)
		w->overflow = 1;
	else
		buf[0] = '\0';
}

static void
jw_open(struct jw *w, const char *key, char c)
{
	jw_key(w, key);
	if (w->depth >= JW_DEPTH_MAX) {
		w->overflow = 1;
		return;
	}
	w->depth++;
	jw_putc(w, c);
	w->need_comma = 0;
}

static void
jw_close(struct jw *w, char c)
{
	if (w->depth <= 0) {
		w->overflow = 1;
		return;
	}
	w->depth--;
	jw_putc(w, c);
	w->need_comma = 1;
}

void
jw_obj_open(struct jw *w, const char *key)
{
	jw_open(w, key, '{');
}

void
jw_obj_close(struct jw *w)
{
	jw_close(w, '}');
}

void
jw_arr_open(struct jw *w, const char *key)
{
	jw_open(w, key, '[');
}

void
jw_arr_close(struct jw *w)
{
	jw_close(w, ']');
}

void
jw_strn(struct jw *w, const char *key, const char *val, size_t len)
{
	jw_key(w, key);
	if (val == NULL)
		jw_put(w, "null", 4);
	else
		jw_quote(w, val, len);
}

void
jw_str(struct jw *w, const char *key, const char *val)
{
	jw_strn(w, key, val, val != NULL ? strlen(val) : 0);
}

void
jw_int(struct jw *w, const char *key, long long val)
{
	char	 num[32];
	int	 n;

	jw_key(w, key);
	n = snprintf(num, sizeof(num), "%lld", val);
	if (n < 0 || (size_t)n >= sizeof(num)) {
		w->overflow = 1;
		return;
	}
	jw_put(w, num, (size_t)n);
}

void
jw_bool(struct jw *w, const char *key, bool val)
{
	jw_key(w, key);
	if (val)
		jw_put(w, "true", 4);
	else
		jw_put(w, "false", 5);
}

void
jw_null(struct jw *w, const char *key)
{
	jw_key(w, key);
	jw_put(w, "null", 4);
}

void
jw_raw(struct jw *w, const char *key, const char *json, size_t len)
{
	jw_key(w, key);
	jw_put(w, json, len);
}

const char *
jw_done(struct jw *w, size_t *len)
{
	if (len != NULL)
		*len = 0;
	if (w->overflow || w->depth != 0)
		return NULL;
	if (len != NULL)
		*len = w->len;
	return w->buf;
}
