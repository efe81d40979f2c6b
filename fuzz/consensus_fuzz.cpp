// libFuzzer target for the consensus wire: IBFT and HotStuff message decoders must not crash and
// must re-encode whatever they accept to exactly the same bytes; and the engines themselves must
// take any bytes from any validator without crashing (they are fed every input, so state built by
// earlier inputs is exercised too). Run: scripts/fuzz.sh [seconds]
#include <cstdint>
#include <cstdlib>
#include <memory>

#include "consensus/hotstuff/hotstuff_engine.hpp"
#include "consensus/hotstuff/messages.hpp"
#include "consensus/ibft/ibft_engine.hpp"
#include "consensus/ibft/messages.hpp"

namespace {
using namespace metanode;
using namespace metanode::consensus;

template <typename Decode, typename Encode>
void round_trip(core::ByteView input, Decode decode, Encode encode) {
  auto decoded = decode(input);
  if (!decoded.ok()) return;
  const core::Bytes again = encode(*decoded);
  if (again.size() != input.size() || !std::equal(again.begin(), again.end(), input.begin())) std::abort();
}

EngineConfig config() {
  std::vector<crypto::PublicKey> keys;
  std::shared_ptr<const crypto::KeyPair> self;
  for (int i = 0; i < 4; ++i) {
    crypto::Seed seed{};
    seed[0] = static_cast<core::Byte>(i + 1);
    auto key = std::make_shared<const crypto::KeyPair>(crypto::KeyPair::from_seed(seed));
    keys.push_back(key->public_key());
    if (i == 2) self = key;
  }
  return EngineConfig{core::Hash32{}, ValidatorSet::create(keys).value(), 2, self,
                      std::make_shared<CachingVerifier>(), TimerPolicy{100, 800}, UnsafeForTesting{}};
}

template <typename E>
E& engine() {
  static E* e = [] {
    auto* created = new E(config());
    Actions out;
    EngineStart start;
    start.committed = genesis_block(core::Hash32{});
    created->start(start, out);
    return created;
  }();
  return *e;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const core::ByteView input(data, size);
  round_trip(input, ibft::decode_message, ibft::encode_message);
  round_trip(input, hotstuff::decode_message, hotstuff::encode_message);
  round_trip(input, [](core::ByteView b) { return core::decode<ibft::SafetyState>(b); },
             [](const ibft::SafetyState& s) { return core::encode(s); });
  round_trip(input, [](core::ByteView b) { return core::decode<hotstuff::SafetyState>(b); },
             [](const hotstuff::SafetyState& s) { return core::encode(s); });
  if (size > 0) {
    static std::uint64_t now = 0;
    now += 7;
    Actions out;
    const auto from = static_cast<ValidatorIndex>(data[0] % 5);  // 4 is not a validator
    (void)engine<ibft::IbftEngine>().on_message(from, input.subspan(1), now, out);
    (void)engine<hotstuff::HotStuffEngine>().on_message(from, input.subspan(1), now, out);
    engine<ibft::IbftEngine>().on_tick(now, out);
    engine<hotstuff::HotStuffEngine>().on_tick(now, out);
  }
  return 0;
}
