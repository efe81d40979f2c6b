#include "core/hash.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>

namespace metanode::core {
namespace {

namespace fs = std::filesystem;

std::string run_and_capture(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  ::pclose(pipe);
  return out;
}

Bytes random_bytes(std::mt19937_64& rng, std::size_t n) {
  Bytes out(n);
  for (auto& b : out) b = static_cast<Byte>(rng());
  return out;
}

TEST(Hash, DomainContextsFollowTheRegistry) {
  EXPECT_EQ(domain_context(Domain::Tx), "metanode/v1/tx");
  EXPECT_EQ(domain_context(Domain::BlockHeader), "metanode/v1/block-header");
  EXPECT_EQ(domain_context(Domain::MerkleNode), "metanode/v1/merkle-node");
  std::set<std::string_view> seen;
  for (std::size_t i = 0; i < kDomainCount; ++i) {
    EXPECT_TRUE(seen.insert(domain_context(static_cast<Domain>(i))).second);
  }
}

TEST(Hash, DomainsSeparate) {
  const Bytes data = {1, 2, 3};
  EXPECT_NE(hash(Domain::Tx, data), hash(Domain::BlockHeader, data));
  EXPECT_NE(hash(Domain::MerkleLeaf, data), hash(Domain::MerkleNode, data));
  EXPECT_EQ(hash(Domain::Tx, data), hash(Domain::Tx, data));
}

TEST(Hash, PairAndIncrementalMatchOneShot) {
  std::mt19937_64 rng(7);
  for (std::size_t size : {0u, 1u, 64u, 1024u, 3000u, 70000u}) {
    const Bytes data = random_bytes(rng, size);
    const Hash32 expected = hash(Domain::AuditEvent, data);
    for (std::size_t split : {std::size_t{0}, size / 3, size}) {
      EXPECT_EQ(hash(Domain::AuditEvent, ByteView(data).first(split), ByteView(data).subspan(split)), expected);
      Hasher h(Domain::AuditEvent);
      h.update(ByteView(data).first(split)).update(ByteView(data).subspan(split));
      EXPECT_EQ(h.finalize(), expected);
    }
  }
}

// Cross-check against Debian's independent b3sum (Rust implementation) in derive-key mode.
TEST(Hash, MatchesB3sumDeriveKeyOnManySizes) {
  if (std::system("command -v b3sum >/dev/null 2>&1") != 0) GTEST_SKIP() << "b3sum not installed (scripts/setup.sh installs it)";
  const fs::path dir = fs::temp_directory_path() / ("metanode-b3-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::mt19937_64 rng(20261124);
  const std::vector<std::size_t> sizes = {0,    1,    2,    63,   64,    65,    127,   128,       1023,
                                          1024, 1025, 2047, 2048, 2049,  4096,  8193,  16384,     31 * 1024 + 5,
                                          65536, 65537, 100000, 1 << 20, (1 << 20) + 3};
  const std::vector<Domain> domains = {Domain::Tx, Domain::MerkleLeaf, Domain::MerkleNode, Domain::BlockHeader,
                                       Domain::Vote, Domain::Address};
  std::size_t checked = 0;
  for (Domain domain : domains) {
    std::ostringstream files;
    std::vector<Hash32> ours;
    for (std::size_t i = 0; i < sizes.size(); ++i) {
      const Bytes data = random_bytes(rng, sizes[i]);
      const fs::path file = dir / (std::to_string(i) + ".bin");
      std::ofstream(file, std::ios::binary).write(reinterpret_cast<const char*>(data.data()),
                                                  static_cast<std::streamsize>(data.size()));
      files << " '" << file.string() << "'";
      ours.push_back(hash(domain, data));
    }
    const std::string output = run_and_capture("b3sum --no-mmap --no-names --derive-key '" +
                                               std::string(domain_context(domain)) + "'" + files.str());
    std::istringstream lines(output);
    for (std::size_t i = 0; i < sizes.size(); ++i) {
      std::string line;
      ASSERT_TRUE(std::getline(lines, line)) << "b3sum printed too few lines: " << output;
      EXPECT_EQ(line, to_hex(ours[i])) << "size " << sizes[i] << " domain " << domain_name(domain);
      ++checked;
    }
  }
  fs::remove_all(dir);
  EXPECT_EQ(checked, sizes.size() * domains.size());
}

}  // namespace
}  // namespace metanode::core
