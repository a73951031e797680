#ifndef APUS_CZLIB_SHIM_H
#define APUS_CZLIB_SHIM_H

#include <zlib.h>

/* deflateInit2 is a macro; this is it as a function Swift can call. */
static inline int apus_deflate_init(z_stream *stream, int level, int window_bits) {
    return deflateInit2(stream, level, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY);
}

/* The same for a raw deflate stream with its memory level (WebSocket's permessage-deflate). */
static inline int apus_deflate_init_raw(z_stream *stream, int level, int window_bits, int mem_level) {
    return deflateInit2(stream, level, Z_DEFLATED, -window_bits, mem_level, Z_DEFAULT_STRATEGY);
}

/* inflateInit2, a macro too, for a raw deflate stream. */
static inline int apus_inflate_init_raw(z_stream *stream, int window_bits) {
    return inflateInit2(stream, -window_bits);
}

#endif
