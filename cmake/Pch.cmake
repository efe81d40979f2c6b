# Precompiled headers for the targets whose sources pull in the heavy third-party headers
# (Boost.Asio/Beast, nlohmann-json, spdlog, CLI11, GoogleTest) through the project's own headers.
# Those headers were most of the compile time of a clean tree (what CI builds, three times over);
# each target now parses them once. -DMETANODE_PCH=OFF builds without them (for example to check
# that every source still includes what it uses).
option(METANODE_PCH "Precompile the heavy third-party headers per target" ON)

# ccache caches sources compiled against a precompiled header only with these sloppiness
# settings (ccache manual, "Precompiled headers"); CMake includes the header with -include, which
# is the other half of what ccache needs.
if(METANODE_PCH AND CCACHE_PROGRAM)
  set(CMAKE_CXX_COMPILER_LAUNCHER ${CMAKE_COMMAND} -E env
      CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime ${CCACHE_PROGRAM})
endif()

set(METANODE_PCH_STD <algorithm> <cstdint> <functional> <map> <memory> <optional> <set> <string>
    <string_view> <unordered_map> <utility> <variant> <vector>)
set(METANODE_PCH_ASIO <boost/asio.hpp> <boost/asio/ssl.hpp> <boost/beast/core.hpp> <boost/beast/http.hpp>
    <boost/beast/websocket.hpp>)
set(METANODE_PCH_JSON <nlohmann/json.hpp>)
set(METANODE_PCH_LOG <spdlog/spdlog.h>)

# metanode_pch(TARGET [ASIO] [JSON] [LOG] [GTEST] [CLI]): the standard headers plus the named groups.
function(metanode_pch target)
  if(NOT METANODE_PCH)
    return()
  endif()
  cmake_parse_arguments(ARG "ASIO;JSON;LOG;GTEST;CLI" "" "" ${ARGN})
  set(headers ${METANODE_PCH_STD})
  if(ARG_ASIO)
    list(APPEND headers ${METANODE_PCH_ASIO})
  endif()
  if(ARG_JSON)
    list(APPEND headers ${METANODE_PCH_JSON})
  endif()
  if(ARG_LOG)
    list(APPEND headers ${METANODE_PCH_LOG})
  endif()
  if(ARG_GTEST)
    list(APPEND headers <gtest/gtest.h>)
  endif()
  if(ARG_CLI)
    list(APPEND headers <CLI/CLI.hpp>)
  endif()
  target_precompile_headers(${target} PRIVATE ${headers})
endfunction()
