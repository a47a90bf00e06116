// cJSON, the JSON parser and printer (Debian: libcjson-dev; libmosquitto depends on it too).
#ifndef PRINTER_AGENT_CJSON_SHIM_H
#define PRINTER_AGENT_CJSON_SHIM_H
#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>

/// Writes `value` (finite) into `buffer` (at least 32 bytes) with the fewest significant
/// digits that read back to exactly the same double (the shortest round-trip form);
/// returns `buffer`. cJSON's own printer accepts 15 digits whenever its relative comparison
/// calls them close enough, which can lose the last bit (8.888888888888889e19 came back one
/// ULP off); 17 digits always round-trip an IEEE double. Reports carry few numbers, so
/// trying each precision in turn costs nothing that matters.
static inline const char *agent_json_format_double(double value, char *buffer, size_t size) {
    for (int digits = 1; digits < 17; digits++) {
        snprintf(buffer, size, "%.*g", digits, value);
        if (strtod(buffer, NULL) == value) return buffer;
    }
    snprintf(buffer, size, "%.17g", value);
    return buffer;
}
#endif
