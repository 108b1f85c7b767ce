// FFTW 3 in single precision (Debian's libfftw3-dev): the FFT-interpolated t-SNE repulsion convolves
// its interpolation grid with the kernel through real-to-complex 2-D transforms.
#ifndef CIRCUITS_CFFTW_SHIM_H
#define CIRCUITS_CFFTW_SHIM_H
#include <fftw3.h>
#endif
