#ifndef APUS_CZLIB_SHIM_H
#define APUS_CZLIB_SHIM_H

#include <zlib.h>

/* deflateInit2 is a macro; this is it as a function Swift can call. */
static inline int apus_deflate_init(z_stream *stream, int level, int window_bits) {
    return deflateInit2(stream, level, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY);
}

#endif
