/* Stand-in for <stdio.h> in mlx-sys's check-only mode (LEDGE_MLX_SYS_CHECK_ONLY=1; see
 * build.rs): the bindings are generated for a target whose C library is not on this machine
 * (macOS, from Linux). mlx-c's headers only name FILE, as a pointer; it stays opaque here.
 * Never used for a real build. */
#ifndef LEDGE_CHECK_ONLY_STDIO_H
#define LEDGE_CHECK_ONLY_STDIO_H
typedef struct __sFILE FILE;
#endif
