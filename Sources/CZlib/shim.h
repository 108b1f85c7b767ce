// zlib for gzip-compressed IDX and CSV files (Debian's zlib1g-dev).
#ifndef CIRCUITS_CZLIB_SHIM_H
#define CIRCUITS_CZLIB_SHIM_H
#include <zlib.h>
#endif
