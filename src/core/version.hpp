// The version of metanode: the project's VERSION in CMakeLists.txt (passed as METANODE_VERSION).
#pragma once

#include <string_view>

#ifndef METANODE_VERSION
#error "METANODE_VERSION is set by CMake (metanode_core's compile definitions)"
#endif

namespace metanode::core {
inline constexpr std::string_view kVersion = METANODE_VERSION;
}  // namespace metanode::core
