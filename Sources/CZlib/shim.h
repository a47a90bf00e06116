// zlib (Debian: zlib1g-dev): raw deflate and CRC-32, to take the G-code out of a .gcode.3mf
// (a ZIP archive). The init functions are macros that pass the library's version and the
// stream's size, which Swift cannot call; these wrappers do.
#ifndef PRINTER_AGENT_CZLIB_SHIM_H
#define PRINTER_AGENT_CZLIB_SHIM_H
#include <zlib.h>

/// inflateInit2 for raw deflate data (no zlib or gzip header): what a ZIP entry holds.
static inline int agent_inflate_init_raw(z_stream *stream) { return inflateInit2(stream, -15); }

#endif
