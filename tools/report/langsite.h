/* Which frame of a record's lang_backtrace (Python, Ruby, Java frames,
 * innermost first) is the program's call site: the line an operator fixes. */
#ifndef REPORT_LANGSITE_H
#define REPORT_LANGSITE_H

#include <jansson.h>
#include <stdbool.h>

/* True if the frame is the runtime's own library (Python's standard
 * library, Ruby's, the JDK's classes), not the program's code. */
bool lang_frame_is_runtime(json_t *frame);

/* The index of the call site among FRAMES (a JSON array of frame
 * objects): the innermost frame that is not the runtime's own library;
 * when all are (python3 -m http.server), the innermost that is not the
 * socket module's own wrapper; else 0.  -1 for an empty array. */
long lang_call_site(json_t *frames);

#endif
