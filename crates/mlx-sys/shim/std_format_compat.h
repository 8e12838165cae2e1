/* Force-included into every mlx-c C++ file on Linux (see build.rs).
 *
 * mlx-c 0.7.0 calls std::format in mlx/c/private/io.h only. GCC 12 (Debian 12) ships no
 * <format>; {fmt} (Debian's libfmt-dev, used header-only so nothing extra is linked) provides
 * the same function with the same format-string syntax. With a newer libstdc++ this is a no-op.
 */
#ifndef LEDGE_STD_FORMAT_COMPAT_H
#define LEDGE_STD_FORMAT_COMPAT_H
#ifdef __cplusplus
#include <version>
#ifndef __cpp_lib_format
#define FMT_HEADER_ONLY
#include <fmt/format.h>
namespace std {
using fmt::format;
}
#endif
#endif
#endif
