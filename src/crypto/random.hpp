// Cryptographically secure randomness (libsodium), and the one place libsodium is initialised.
#pragma once

#include <span>

#include "core/bytes.hpp"

namespace metanode::crypto {

// Initialises libsodium once (thread-safe); every crypto entry point calls it.
void ensure_sodium();

void random_bytes(std::span<core::Byte> out);

template <std::size_t N>
core::ByteArray<N> random_array() {
  core::ByteArray<N> out;
  random_bytes(out);
  return out;
}

// Zeroes memory in a way the compiler may not elide.
void wipe(std::span<core::Byte> secret);

// While alive on this thread, PQClean's randombytes() draws from `stream` instead of the system
// source: deterministic key generation from a seed (FIPS 203/204 key-gen from seed) and
// known-answer tests. Requests beyond the stream are a programmer error.
class ScopedDeterministicRandom {
 public:
  explicit ScopedDeterministicRandom(core::ByteView stream);
  ~ScopedDeterministicRandom();
  ScopedDeterministicRandom(const ScopedDeterministicRandom&) = delete;
  ScopedDeterministicRandom& operator=(const ScopedDeterministicRandom&) = delete;
  // Bytes of the stream not drawn yet.
  std::size_t remaining() const;
};

}  // namespace metanode::crypto
