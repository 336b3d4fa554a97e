/* Unit tests of the report's call site among language frames. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>

#include "langsite.h"

static long site_of(const char *json)
{
	json_t *frames = json_loads(json, 0, NULL);
	long at;

	assert_non_null(frames);
	at = lang_call_site(frames);
	json_decref(frames);
	return at;
}

static void test_program_frame(void **state)
{
	(void)state;
	/* Python: the standard library's socket.py, then the program */
	assert_int_equal(site_of("[{\"lang\":\"python\",\"function\":\"_real_close\",\"file\":\"/usr/lib/python3.11/socket.py\",\"line\":497},"
				 "{\"lang\":\"python\",\"function\":\"close\",\"file\":\"/usr/lib/python3.11/socket.py\",\"line\":503},"
				 "{\"lang\":\"python\",\"function\":\"answer\",\"file\":\"/srv/app.py\",\"line\":5}]"),
			 2);
	/* what pip installed is not the runtime's */
	assert_int_equal(site_of("[{\"lang\":\"python\",\"function\":\"close\",\"file\":\"/usr/local/lib/python3.11/dist-packages/web/x.py\",\"line\":1}]"),
			 0);
	/* Java: the JDK's classes */
	assert_int_equal(site_of("[{\"lang\":\"java\",\"function\":\"sun.nio.ch.FileDispatcherImpl.close0\"},"
				 "{\"lang\":\"java\",\"function\":\"java.net.Socket.close\",\"file\":\"Socket.java\",\"line\":1575},"
				 "{\"lang\":\"java\",\"function\":\"SeedServer.answerAndClose\",\"file\":\"SeedServer.java\",\"line\":19}]"),
			 2);
	/* Ruby: <internal:...> and the standard library, not gems */
	assert_int_equal(site_of("[{\"lang\":\"ruby\",\"function\":\"close\",\"file\":\"<internal:io>\",\"line\":1},"
				 "{\"lang\":\"ruby\",\"function\":\"call\",\"file\":\"/var/lib/gems/3.1.0/gems/puma/x.rb\",\"line\":2}]"),
			 1);
}

/* All frames the runtime's (python3 -m http.server): the first that is not
 * the socket module's own wrapper. */
static void test_all_runtime(void **state)
{
	(void)state;
	assert_int_equal(site_of("[{\"lang\":\"python\",\"function\":\"_real_close\",\"file\":\"/usr/lib/python3.11/socket.py\",\"line\":497},"
				 "{\"lang\":\"python\",\"function\":\"close_request\",\"file\":\"/usr/lib/python3.11/socketserver.py\",\"line\":509}]"),
			 1);
	assert_int_equal(site_of("[{\"lang\":\"java\",\"function\":\"java.net.Socket.close\"}]"), 0);
	assert_int_equal(site_of("[]"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_program_frame),
		cmocka_unit_test(test_all_runtime),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
