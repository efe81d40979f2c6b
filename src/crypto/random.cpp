#include "crypto/random.hpp"

#include <sodium.h>

#include <cassert>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace metanode::crypto {
namespace {
struct DeterministicStream {
  const core::Byte* data = nullptr;
  std::size_t size = 0;
  std::size_t offset = 0;
};
thread_local DeterministicStream* t_stream = nullptr;
thread_local DeterministicStream t_stream_storage;
}  // namespace

void ensure_sodium() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (sodium_init() < 0) {
      // Without a working random source nothing here is safe; this is not an input error.
      std::fputs("metanode: libsodium failed to initialise\n", stderr);
      std::abort();
    }
  });
}

void random_bytes(std::span<core::Byte> out) {
  ensure_sodium();
  randombytes_buf(out.data(), out.size());
}

void wipe(std::span<core::Byte> secret) { sodium_memzero(secret.data(), secret.size()); }

ScopedDeterministicRandom::ScopedDeterministicRandom(core::ByteView stream) {
  assert(t_stream == nullptr && "nested ScopedDeterministicRandom");
  t_stream_storage = DeterministicStream{stream.data(), stream.size(), 0};
  t_stream = &t_stream_storage;
}

ScopedDeterministicRandom::~ScopedDeterministicRandom() { t_stream = nullptr; }

std::size_t ScopedDeterministicRandom::remaining() const { return t_stream_storage.size - t_stream_storage.offset; }

}  // namespace metanode::crypto

// PQClean's randomness hook (common/randombytes.h declares it); PQClean's own randombytes.c is
// not compiled.
extern "C" int PQCLEAN_randombytes(std::uint8_t* output, std::size_t n) {
  using namespace metanode::crypto;
  if (t_stream != nullptr) {
    DeterministicStream& s = *t_stream;
    if (n > s.size - s.offset) {
      std::fputs("metanode: deterministic random stream exhausted\n", stderr);
      std::abort();
    }
    std::memcpy(output, s.data + s.offset, n);
    s.offset += n;
    return 0;
  }
  random_bytes(std::span<metanode::core::Byte>(output, n));
  return 0;
}
