#include "merkle/checkpoint.hpp"

#include <gtest/gtest.h>

namespace metanode::merkle {
namespace {

TEST(Checkpoint, TextFormRoundTripsWithItsTime) {
  Checkpoint c;
  c.origin = "devnet/mn1abc/audit";
  c.size = 1234;
  c.root.fill(0x5a);
  c.extensions.push_back("metanode-time 1700000000000");
  const std::string text = c.to_text();
  EXPECT_EQ(text, "devnet/mn1abc/audit\n1234\nWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlo=\nmetanode-time 1700000000000\n");
  auto parsed = Checkpoint::parse(text);
  ASSERT_TRUE(parsed.ok()) << parsed.error().to_string();
  EXPECT_EQ(*parsed, c);
  EXPECT_EQ(parsed->unix_ms(), 1700000000000);
}

TEST(Checkpoint, MalformedBodiesAreRefused) {
  for (const char* text : {"origin\n12\n", "\n12\nWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlo=\n",
                           "o\n012\nWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlo=\n",
                           "o\n-1\nWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlo=\n", "o\n12\nWlpa\n",
                           "o\n12\nWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlo=\n\n",
                           "o\n12\nWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlo="}) {
    EXPECT_FALSE(Checkpoint::parse(text).ok()) << text;
  }
}

}  // namespace
}  // namespace metanode::merkle
