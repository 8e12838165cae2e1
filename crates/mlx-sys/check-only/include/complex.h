/* Stand-in for <complex.h> in mlx-sys's check-only mode (see stdio.h here): mlx-c's headers
 * spell complex types with the `_Complex` keyword, so nothing is needed from it. */
#ifndef LEDGE_CHECK_ONLY_COMPLEX_H
#define LEDGE_CHECK_ONLY_COMPLEX_H
#endif
