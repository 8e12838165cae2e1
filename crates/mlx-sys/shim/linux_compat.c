/* Symbols mlx-rs 0.33 links against that an x86_64 Linux build of mlx-c lacks.
 *
 * 1. mlx-c declares its float16/bfloat16 accessors only where the compiler has native
 *    `__fp16`/`__bf16` types (AArch64). mlx-rs calls them on every platform and reads the raw
 *    16 bits, so they are defined here over the uint16 accessors: MLX's item<T>()/data<T>()
 *    reinterpret the buffer without converting, so the bits are the float16/bfloat16 bits.
 * 2. mlx-rs seeds its random state with macOS's mach_approximate_time(); CLOCK_MONOTONIC in
 *    nanoseconds serves the same purpose (a varying seed).
 */
#include <stdint.h>
#include <time.h>

#include "mlx/c/array.h"

int mlx_array_item_float16(uint16_t* res, const mlx_array arr) {
  return mlx_array_item_uint16(res, arr);
}

int mlx_array_item_bfloat16(uint16_t* res, const mlx_array arr) {
  return mlx_array_item_uint16(res, arr);
}

const uint16_t* mlx_array_data_float16(const mlx_array arr) {
  return mlx_array_data_uint16(arr);
}

const uint16_t* mlx_array_data_bfloat16(const mlx_array arr) {
  return mlx_array_data_uint16(arr);
}

uint64_t mach_approximate_time(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}
