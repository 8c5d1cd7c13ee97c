/* Unquoted values: org.json's JSONObject.stringToValue(). true, false and
 * null in any letter case, numbers, and everything else a string. */
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/internal.h"

static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static locale_t c_locale;

static void c_locale_init(void)
{
	c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
}

/* Numbers are read with '.' whatever the process's locale says. */
static double strtod_c(const char *s, char **end)
{
	pthread_once(&c_locale_once, c_locale_init);
	if (c_locale)
		return strtod_l(s, end, c_locale);
	return strtod(s, end);
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* JSON's number grammar; a leading zero before more digits is not a number
 * (org.json keeps "012" a string). */
static bool number_scan(const unsigned char *s, size_t n, bool *ret_integral)
{
	size_t i = 0;
	bool integral = true;

	if (i < n && s[i] == '-')
		i++;
	if (i >= n || !is_digit(s[i]))
		return false;
	if (s[i] == '0' && i + 1 < n && is_digit(s[i + 1]))
		return false;
	while (i < n && is_digit(s[i]))
		i++;
	if (i < n && s[i] == '.') {
		i++;
		if (i >= n || !is_digit(s[i]))
			return false;
		while (i < n && is_digit(s[i]))
			i++;
		integral = false;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i >= n || !is_digit(s[i]))
			return false;
		while (i < n && is_digit(s[i]))
			i++;
		integral = false;
	}
	*ret_integral = integral;
	return i == n;
}

static bool int64_parse(const unsigned char *s, size_t n, int64_t *ret)
{
	bool neg = s[0] == '-';
	uint64_t v = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;

	for (size_t i = neg; i < n; i++) {
		unsigned d = s[i] - '0';

		if (v > (limit - d) / 10)
			return false;
		v = v * 10 + d;
	}
	if (neg)
		*ret = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
	else
		*ret = (int64_t)v;
	return true;
}

/* org.json's stringToValue() for unquoted text s[0..n), n > 0. */
int pjson_scalar_parse(const char *text, size_t n, struct json_object **ret)
{
	const unsigned char *s = (const unsigned char *)text;
	struct json_object *o;
	bool integral;

	if (n > INT_MAX)
		return -EINVAL;
	if (pjson_ascii_caseeq(text, n, "true") || pjson_ascii_caseeq(text, n, "false")) {
		o = json_object_new_boolean(s[0] == 't' || s[0] == 'T');
		if (!o)
			return -ENOMEM;
		*ret = o;
		return 0;
	}
	if (pjson_ascii_caseeq(text, n, "null")) {
		*ret = NULL;
		return 0;
	}
	if (number_scan(s, n, &integral)) {
		_cleanup_free_ char *copy = NULL;
		int64_t i;
		double d;

		/* org.json makes "-0" a Double. */
		if (integral && !(n == 2 && s[0] == '-' && s[1] == '0') && int64_parse(s, n, &i)) {
			o = json_object_new_int64(i);
			if (!o)
				return -ENOMEM;
			*ret = o;
			return 0;
		}
		copy = strndup(text, n);
		if (!copy)
			return -ENOMEM;
		d = strtod_c(copy, NULL);
		if (isfinite(d)) {
			o = json_object_new_double(d);
			if (!o)
				return -ENOMEM;
			*ret = o;
			return 0;
		}
		/* Too large for a double: keep the text, as a string. */
	}
	o = json_object_new_string_len(text, (int)n);
	if (!o)
		return -ENOMEM;
	*ret = o;
	return 0;
}
