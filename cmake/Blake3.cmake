# The official BLAKE3 C implementation, shipped as sources by Debian's librust-blake3-dev.
# Compiled with its x86-64 assembly and runtime SIMD dispatch; portable code elsewhere.
file(GLOB _blake3_candidates LIST_DIRECTORIES true /usr/share/cargo/registry/blake3-*/c)
list(SORT _blake3_candidates COMPARE NATURAL ORDER DESCENDING)
list(GET _blake3_candidates 0 _blake3_default)
set(METANODE_BLAKE3_DIR "${_blake3_default}" CACHE PATH "BLAKE3 C sources")
if(NOT EXISTS "${METANODE_BLAKE3_DIR}/blake3.c")
  message(FATAL_ERROR "BLAKE3 C sources not found (install librust-blake3-dev: scripts/setup.sh)")
endif()

set(_b3 "${METANODE_BLAKE3_DIR}")
add_library(blake3 STATIC ${_b3}/blake3.c ${_b3}/blake3_dispatch.c ${_b3}/blake3_portable.c)
target_include_directories(blake3 SYSTEM PUBLIC ${_b3})
if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
  target_sources(blake3 PRIVATE
    ${_b3}/blake3_sse2_x86-64_unix.S ${_b3}/blake3_sse41_x86-64_unix.S
    ${_b3}/blake3_avx2_x86-64_unix.S ${_b3}/blake3_avx512_x86-64_unix.S)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64|arm64")
  target_sources(blake3 PRIVATE ${_b3}/blake3_neon.c)
  target_compile_definitions(blake3 PRIVATE BLAKE3_USE_NEON=1)
else()
  target_compile_definitions(blake3 PRIVATE BLAKE3_NO_SSE2 BLAKE3_NO_SSE41 BLAKE3_NO_AVX2 BLAKE3_NO_AVX512)
endif()
set_target_properties(blake3 PROPERTIES POSITION_INDEPENDENT_CODE ON)
