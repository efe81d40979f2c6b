// ML-DSA-65 and ML-KEM-768 cross-checked against an independent implementation
// (@noble/post-quantum under Node, pinned by tests/interop/package-lock.json): the same seeds
// give byte-identical keys, each side accepts the other's signatures and ciphertexts, and
// tampered ones are accepted by neither.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "crypto/mldsa.hpp"
#include "crypto/mlkem.hpp"
#include "crypto/random.hpp"

namespace metanode::crypto {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

template <std::size_t N>
core::ByteArray<N> array_of(const std::string& hex) {
  auto r = core::array_from_hex<N>(hex);
  EXPECT_TRUE(r.ok()) << hex.substr(0, 40);
  return r.ok() ? *r : core::ByteArray<N>{};
}

TEST(PqInterop, PqcleanAndNobleAgree) {
  const fs::path dir = METANODE_INTEROP_DIR;
  ASSERT_TRUE(fs::exists(dir / "node_modules/@noble/post-quantum"))
      << "run scripts/setup.sh: it installs the pinned @noble/post-quantum into " << dir;
  ASSERT_EQ(std::system("command -v node >/dev/null 2>&1"), 0) << "node is required (scripts/setup.sh installs it)";

  constexpr int kCases = 6;
  std::vector<MldsaKeyPair> dsa;
  std::vector<MlkemKeyPair> kem;
  std::vector<core::Bytes> messages;
  std::vector<MlkemEncapsulation> encs;
  json input = json::array();
  for (int i = 0; i < kCases; ++i) {
    const auto dsa_seed = random_array<32>();
    const auto kem_seed = random_array<64>();
    const auto kem_m = random_array<32>();
    core::Bytes msg(static_cast<std::size_t>(1 + i * 97));
    random_bytes(msg);
    dsa.push_back(MldsaKeyPair::from_seed(dsa_seed));
    kem.push_back(MlkemKeyPair::from_seed(kem_seed));
    encs.push_back(mlkem_encapsulate_with(kem.back().public_key(), kem_m));
    messages.push_back(msg);
    input.push_back({{"dsa_seed", core::to_hex(dsa_seed)},
                     {"msg", core::to_hex(msg)},
                     {"cpp_dsa_pk", core::to_hex(dsa.back().public_key().bytes)},
                     {"cpp_dsa_sig", core::to_hex(dsa.back().sign_raw(msg).bytes)},
                     {"kem_seed", core::to_hex(kem_seed)},
                     {"kem_m", core::to_hex(kem_m)},
                     {"cpp_kem_pk", core::to_hex(kem.back().public_key().bytes)},
                     {"cpp_kem_ct", core::to_hex(encs.back().ciphertext.bytes)}});
  }
  const fs::path in_file = fs::temp_directory_path() / ("metanode-pq-in-" + std::to_string(::getpid()) + ".json");
  std::ofstream(in_file) << input.dump();
  const std::string command = "cd '" + dir.string() + "' && node pq_interop.mjs < '" + in_file.string() + "'";
  std::string output;
  FILE* pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  char buf[65536];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) output.append(buf, n);
  ASSERT_EQ(::pclose(pipe), 0) << "node failed: " << output.substr(0, 400);
  fs::remove(in_file);
  const json results = json::parse(output);
  ASSERT_EQ(results.size(), static_cast<std::size_t>(kCases));

  for (int i = 0; i < kCases; ++i) {
    const json& r = results[static_cast<std::size_t>(i)];
    SCOPED_TRACE("case " + std::to_string(i));
    // ML-DSA-65: identical keys from one seed.
    EXPECT_EQ(r["dsa_pk"].get<std::string>(), core::to_hex(dsa[i].public_key().bytes));
    // noble accepts PQClean's signature and refuses tampered signature, message and key.
    EXPECT_TRUE(r["verifies_cpp_sig"].get<bool>());
    EXPECT_FALSE(r["verifies_tampered_sig"].get<bool>());
    EXPECT_FALSE(r["verifies_tampered_msg"].get<bool>());
    EXPECT_FALSE(r["verifies_tampered_key"].get<bool>());
    // PQClean accepts noble's signatures (hedged and deterministic) and refuses tampered ones.
    const auto hedged = array_of<kMldsaSignatureBytes>(r["dsa_sig_hedged"].get<std::string>());
    const auto det = array_of<kMldsaSignatureBytes>(r["dsa_sig_deterministic"].get<std::string>());
    EXPECT_TRUE(mldsa_verify_raw(dsa[i].public_key(), messages[i], hedged));
    EXPECT_TRUE(mldsa_verify_raw(dsa[i].public_key(), messages[i], det));
    auto tampered = hedged;
    tampered[200] ^= 0x10;
    EXPECT_FALSE(mldsa_verify_raw(dsa[i].public_key(), messages[i], tampered));
    core::Bytes other_msg = messages[i];
    other_msg[0] ^= 1;
    EXPECT_FALSE(mldsa_verify_raw(dsa[i].public_key(), other_msg, hedged));
    // The deterministic variant (rnd = 0) is byte-identical in both.
    EXPECT_EQ(core::to_hex(dsa[i].sign_raw_with(messages[i], core::ByteArray<32>{}).bytes),
              r["dsa_sig_deterministic"].get<std::string>());

    // ML-KEM-768: identical keys and encapsulation; each decapsulates the other's ciphertext.
    EXPECT_EQ(r["kem_pk"].get<std::string>(), core::to_hex(kem[i].public_key().bytes));
    EXPECT_EQ(r["kem_ct_deterministic"].get<std::string>(), core::to_hex(encs[i].ciphertext.bytes));
    EXPECT_EQ(r["kem_ss_deterministic"].get<std::string>(), core::to_hex(encs[i].shared_secret));
    EXPECT_EQ(r["kem_ss_of_cpp_ct"].get<std::string>(), core::to_hex(encs[i].shared_secret));
    EXPECT_NE(r["kem_ss_of_tampered_cpp_ct"].get<std::string>(), core::to_hex(encs[i].shared_secret));
    MlkemCiphertext noble_ct{array_of<kMlkemCiphertextBytes>(r["kem_ct_random"].get<std::string>())};
    EXPECT_EQ(core::to_hex(kem[i].decapsulate(noble_ct)), r["kem_ss_random"].get<std::string>());
    noble_ct.bytes[7] ^= 1;
    EXPECT_NE(core::to_hex(kem[i].decapsulate(noble_ct)), r["kem_ss_random"].get<std::string>());
  }
}

}  // namespace
}  // namespace metanode::crypto
