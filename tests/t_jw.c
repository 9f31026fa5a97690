/*
 * jw: structure, escaping, invalid UTF-8, overflow at the exact limit.
 */
#include <string.h>

#include "../src/jw.h"
#include "tap.h"

static const struct {
	const char	*in;
	size_t		 len;
	const char	*want;
} strs[] = {
	{ "plain", 5, "\"plain\"" },
	{ "q\"b\\s/", 6, "\"q\\\"b\\\\s/\"" },
	{ "\n\r\t\b\f", 5, "\"\\n\\r\\t\\b\\f\"" },
	{ "\x01\x1f\x7f", 3, "\"\\u0001\\u001f\x7f\"" },
	{ "a\0b", 3, "\"a\\u0000b\"" },
	{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14,
	    "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"" },
	/* invalid UTF-8 must not reach the output as raw bytes */
	{ "\xff", 1, "\"\\ufffd\"" },
	{ "\xc3", 1, "\"\\ufffd\"" },			/* truncated */
	{ "\xc0\xaf", 2, "\"\\ufffd\\ufffd\"" },	/* overlong '/' */
	{ "\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\"" }, /* surrogate */
	{ "\xf4\x90\x80\x80", 4,
	    "\"\\ufffd\\ufffd\\ufffd\\ufffd\"" },	/* > U+10FFFF */
	{ "\xe2\x82x", 3, "\"\\ufffd\\ufffdx\"" },
};

int
main(void)
{
	struct jw	 w;
	char		 buf[256], small[16];
	const char	*out;
	size_t		 i, len, n;

	jw_init(&w, buf, sizeof(buf));
	jw_obj_open(&w, NULL);
	jw_str(&w, "a", "x");
	jw_int(&w, "n", -42);
	jw_bool(&w, "t", true);
	jw_bool(&w, "f", false);
	jw_null(&w, "z");
	jw_arr_open(&w, "arr");
	jw_int(&w, NULL, 1);
	jw_obj_open(&w, NULL);
	jw_obj_close(&w);
	jw_str(&w, NULL, NULL);
	jw_arr_close(&w);
	jw_obj_open(&w, "o");
	jw_raw(&w, "r", "[1,2]", 5);
	jw_obj_close(&w);
	jw_obj_close(&w);
	out = jw_done(&w, &len);
	is_str(out, "{\"a\":\"x\",\"n\":-42,\"t\":true,\"f\":false,"
	    "\"z\":null,\"arr\":[1,{},null],\"o\":{\"r\":[1,2]}}",
	    "nested document");
	is_int(len, out != NULL ? strlen(out) : 0, "length");

	for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		jw_init(&w, buf, sizeof(buf));
		jw_strn(&w, NULL, strs[i].in, strs[i].len);
		is_str(jw_done(&w, NULL), strs[i].want, strs[i].want);
	}

	jw_init(&w, buf, sizeof(buf));
	jw_obj_open(&w, NULL);
	jw_str(&w, "k\"\n", "v");
	jw_obj_close(&w);
	is_str(jw_done(&w, NULL), "{\"k\\\"\\n\":\"v\"}", "keys escaped");

	/* Exactly fits: 15 bytes of text and the NUL in 16. */
	jw_init(&w, small, sizeof(small));
	jw_str(&w, NULL, "0123456789012");
	out = jw_done(&w, &n);
	ok(out != NULL && n == 15, "text of cap - 1 bytes fits");
	/* One byte over. */
	jw_init(&w, small, sizeof(small));
	jw_str(&w, NULL, "01234567890123");
	ok(jw_done(&w, &n) == NULL && n == 0, "one byte over: NULL");
	ok(small[sizeof(small) - 1] == '\0' || strlen(small) < sizeof(small),
	    "never writes past cap");
	/* An escape that does not fit whole is an overflow too. */
	jw_init(&w, small, sizeof(small));
	jw_str(&w, NULL, "0123456789012\n");
	ok(jw_done(&w, NULL) == NULL, "escape straddling the end: NULL");

	jw_init(&w, buf, sizeof(buf));
	jw_obj_open(&w, NULL);
	ok(jw_done(&w, NULL) == NULL, "unclosed object: NULL");
	jw_init(&w, buf, sizeof(buf));
	jw_obj_close(&w);
	ok(jw_done(&w, NULL) == NULL, "close without open: NULL");
	jw_init(&w, buf, sizeof(buf));
	for (i = 0; i < JW_DEPTH_MAX; i++)
		jw_arr_open(&w, NULL);
	for (i = 0; i < JW_DEPTH_MAX; i++)
		jw_arr_close(&w);
	ok(jw_done(&w, NULL) != NULL, "depth at the limit");
	jw_init(&w, buf, sizeof(buf));
	for (i = 0; i <= JW_DEPTH_MAX; i++)
		jw_arr_open(&w, NULL);
	for (i = 0; i <= JW_DEPTH_MAX; i++)
		jw_arr_close(&w);
	ok(jw_done(&w, NULL) == NULL, "depth one over: NULL");
	return done_testing();
}
