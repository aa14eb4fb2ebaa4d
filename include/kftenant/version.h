#pragma once

namespace kftenant {
// Set by CMake from project(VERSION ...).
#ifdef KFTENANT_VERSION
inline constexpr const char* kVersion = KFTENANT_VERSION;
#else
inline constexpr const char* kVersion = "0.0.0-dev";
#endif
}  // namespace kftenant
