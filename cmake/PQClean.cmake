# PQClean's ML-DSA-65 (FIPS 204) and ML-KEM-768 (FIPS 203) `clean` implementations, from the
# npm package pqclean (fetched and integrity-checked by scripts/setup.sh). randombytes() is
# supplied by src/crypto/pq_random.cpp (libsodium), so PQClean's own randombytes.c is not built.
set(_pq "${METANODE_PQCLEAN_DIR}")
if(NOT EXISTS "${_pq}/crypto_sign/ml-dsa-65/clean/sign.c")
  message(FATAL_ERROR "PQClean sources not found at ${_pq}: run scripts/setup.sh")
endif()
file(GLOB _mldsa "${_pq}/crypto_sign/ml-dsa-65/clean/*.c")
file(GLOB _mlkem "${_pq}/crypto_kem/ml-kem-768/clean/*.c")

add_library(pqclean_common STATIC ${_pq}/common/fips202.c)
target_include_directories(pqclean_common PUBLIC ${_pq}/common)

add_library(pqclean_mldsa65 STATIC ${_mldsa})
target_include_directories(pqclean_mldsa65 PRIVATE ${_pq}/crypto_sign/ml-dsa-65/clean)
target_include_directories(pqclean_mldsa65 SYSTEM INTERFACE ${_pq})
target_link_libraries(pqclean_mldsa65 PUBLIC pqclean_common)

add_library(pqclean_mlkem768 STATIC ${_mlkem})
target_include_directories(pqclean_mlkem768 PRIVATE ${_pq}/crypto_kem/ml-kem-768/clean)
target_include_directories(pqclean_mlkem768 SYSTEM INTERFACE ${_pq})
target_link_libraries(pqclean_mlkem768 PUBLIC pqclean_common)

foreach(t pqclean_common pqclean_mldsa65 pqclean_mlkem768)
  set_target_properties(${t} PROPERTIES POSITION_INDEPENDENT_CODE ON C_STANDARD 99)
endforeach()
