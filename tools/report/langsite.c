/* The call site among language frames (see langsite.h). */
#define _GNU_SOURCE
#include "langsite.h"

#include <string.h>

static bool starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static const char *base_name(const char *path)
{
	const char *b = strrchr(path, '/');

	return b ? b + 1 : path;
}

bool lang_frame_is_runtime(json_t *frame)
{
	const char *lang = json_string_value(json_object_get(frame, "lang"));
	const char *fn = json_string_value(json_object_get(frame, "function"));
	const char *file = json_string_value(json_object_get(frame, "file"));

	if (!lang)
		return false;
	if (strcmp(lang, "java") == 0) {
		static const char *const jdk[] = {"java.", "javax.", "sun.", "jdk.", "com.sun."};

		for (size_t i = 0; fn && i < sizeof jdk / sizeof jdk[0]; i++)
			if (starts(fn, jdk[i]))
				return true;
		return false;
	}
	if (!file)
		return false;
	if (strcmp(lang, "python") == 0)
		/* the standard library, not what pip installed */
		return starts(file, "<frozen ") ||
		       (strstr(file, "/lib/python") && !strstr(file, "-packages/"));
	if (strcmp(lang, "ruby") == 0)
		return starts(file, "<internal:") ||
		       (strstr(file, "/lib/ruby/") && !strstr(file, "/gems/"));
	return false;
}

/* The socket module's own wrappers: a close is always made through them. */
static bool is_socket_wrapper(json_t *frame)
{
	const char *file = json_string_value(json_object_get(frame, "file"));
	const char *b = file ? base_name(file) : "";

	return strcmp(b, "socket.py") == 0 || strcmp(b, "ssl.py") == 0 ||
	       strcmp(b, "socket.rb") == 0 || strcmp(b, "openssl.rb") == 0;
}

long lang_call_site(json_t *frames)
{
	size_t i, n = json_array_size(frames);

	if (n == 0)
		return -1;
	for (i = 0; i < n; i++)
		if (!lang_frame_is_runtime(json_array_get(frames, i)))
			return (long)i;
	for (i = 0; i < n; i++)
		if (!is_socket_wrapper(json_array_get(frames, i)))
			return (long)i;
	return 0;
}
