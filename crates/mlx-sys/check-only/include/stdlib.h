/* Stand-in for <stdlib.h> in mlx-sys's check-only mode (see stdio.h here): mlx-c's headers
 * use only size_t from it, which the compiler's own <stddef.h> declares. */
#ifndef LEDGE_CHECK_ONLY_STDLIB_H
#define LEDGE_CHECK_ONLY_STDLIB_H
#include <stddef.h>
#endif
