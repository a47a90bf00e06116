// cJSON, the JSON parser and printer (Debian: libcjson-dev; libmosquitto depends on it too).
#ifndef PRINTER_AGENT_CJSON_SHIM_H
#define PRINTER_AGENT_CJSON_SHIM_H
#include <cJSON.h>
#endif
