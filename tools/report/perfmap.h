/* Names of JIT-compiled code from perf map files: /tmp/perf-PID.map, which
 * a runtime writes when asked (node --perf-basic-prof, the JVM with a
 * perf-map agent or -XX:+DumpPerfMapAtExit, python3.12 -X perf).  A frame
 * of a record's backtrace that lies in no module (anonymous executable
 * memory: JIT code) is named from the map of the record's process. */
#ifndef REPORT_PERFMAP_H
#define REPORT_PERFMAP_H

#include <stdbool.h>
#include <stdint.h>

/* Where the maps are (default /tmp), kept by reference. */
void perfmap_dir(const char *dir);

/* The name of the code at ip in process pid, and where it starts; NULL if
 * no map of pid has it.  The name lives until perfmap_close(). */
const char *perfmap_name(long pid, uint64_t ip, uint64_t *start);

void perfmap_close(void);

#endif
