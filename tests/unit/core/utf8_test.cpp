// Strict UTF-8: what the memo and every text field that enters must be.
#include <gtest/gtest.h>

#include <string>

#include "core/utf8.hpp"

namespace metanode::core {
namespace {

TEST(Utf8, AcceptsWellFormedText) {
  for (const std::string& text : {std::string(), std::string("plain ascii"), std::string("h\xc3\xa9llo"),
                                  std::string("\xe2\x82\xac 100"), std::string("\xf0\x9f\x98\x80"),
                                  std::string("\xf4\x8f\xbf\xbf"), std::string("nul \0 inside", 12)}) {
    EXPECT_TRUE(is_valid_utf8(text)) << text;
  }
}

TEST(Utf8, RefusesEveryMalformedShape) {
  const std::string bad[] = {
      "\x80",              // a continuation byte first
      "\xc3",              // truncated
      "caf\xc3",           // truncated at the end
      "\xc3\x28",          // bad continuation
      "\xc0\xaf",          // overlong '/'
      "\xe0\x80\xaf",      // overlong, three bytes
      "\xf0\x80\x80\xaf",  // overlong, four bytes
      "\xed\xa0\x80",      // a UTF-16 surrogate
      "\xf4\x90\x80\x80",  // above U+10FFFF
      "\xf8\x88\x80\x80\x80",
      "\xff",
  };
  for (const auto& text : bad) EXPECT_FALSE(is_valid_utf8(text)) << testing::PrintToString(text);
}

}  // namespace
}  // namespace metanode::core
