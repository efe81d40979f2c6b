#include "core/result.hpp"

#include <gtest/gtest.h>

#include <memory>

namespace metanode::core {
namespace {

Result<int> parse_positive(int v) {
  if (v <= 0) return make_error(ErrorCode::kInvalidArgument, "not positive: " + std::to_string(v));
  return v;
}

Result<int> doubled(int v) {
  MN_TRY_ASSIGN(int x, parse_positive(v));
  return 2 * x;
}

Status check(int v) {
  MN_TRY(parse_positive(v));
  return {};
}

TEST(Result, HoldsValueOrError) {
  auto ok = parse_positive(3);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 3);
  auto bad = parse_positive(-1);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad.error().to_string(), "invalid_argument: not positive: -1");
}

TEST(Result, TryMacrosPropagate) {
  EXPECT_EQ(*doubled(4), 8);
  EXPECT_EQ(doubled(0).error().message, "not positive: 0");
  EXPECT_TRUE(check(1).ok());
  EXPECT_EQ(check(-5).error().code, ErrorCode::kInvalidArgument);
}

TEST(Result, MoveOnlyValues) {
  Result<std::unique_ptr<int>> r(std::make_unique<int>(7));
  std::unique_ptr<int> p = std::move(r).value();
  EXPECT_EQ(*p, 7);
}

TEST(Result, ErrorCodesAreStable) {
  // These numbers and names are part of the API: changing one breaks clients.
  EXPECT_EQ(static_cast<int>(ErrorCode::kDecodeTruncated), 10);
  EXPECT_EQ(error_code_name(ErrorCode::kDecodeTruncated), "decode_truncated");
  EXPECT_EQ(static_cast<int>(ErrorCode::kDecodeTrailingBytes), 12);
  EXPECT_EQ(error_code_name(ErrorCode::kWrongPassphrase), "wrong_passphrase");
  EXPECT_EQ(static_cast<int>(ErrorCode::kBadSignature), 30);
}

}  // namespace
}  // namespace metanode::core
