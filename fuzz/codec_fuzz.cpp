// libFuzzer target for the canonical codec: decoding any input must not crash, and any input a
// decoder accepts must re-encode to exactly the same bytes (one encoding per value; no trailing
// bytes). Run: scripts/fuzz.sh [seconds]
#include <cstdint>
#include <cstdlib>

#include "core/codec.hpp"
#include "crypto/hybrid.hpp"
#include "crypto/multisig.hpp"
#include "support/sample_transfer.hpp"

namespace {
template <typename T>
void check(metanode::core::ByteView input) {
  auto decoded = metanode::core::decode<T>(input);
  if (!decoded.ok()) return;
  const metanode::core::Bytes again = metanode::core::encode(*decoded);
  if (again.size() != input.size() || !std::equal(again.begin(), again.end(), input.begin())) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const metanode::core::ByteView input(data, size);
  check<metanode::testing::SampleTransfer>(input);
  check<metanode::crypto::MultisigPolicy>(input);
  check<metanode::crypto::HybridSignature>(input);
  return 0;
}
