// CBLAS and LAPACKE as one C module. Debian's OpenBLAS ships cblas.h under the openblas-pthread include
// directory (found through pkg-config "openblas"); lapacke.h comes from liblapacke-dev.
#ifndef CIRCUITS_CBLAS_SHIM_H
#define CIRCUITS_CBLAS_SHIM_H
#include <cblas.h>
#include <lapacke.h>
#endif
