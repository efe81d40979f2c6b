#include "storage/write_batch.hpp"

#include <gtest/gtest.h>

namespace metanode::storage {
namespace {

TEST(WriteBatch, RecordsOperationsInOrderWithSizes) {
  WriteBatch batch;
  EXPECT_TRUE(batch.empty());
  batch.put(Column::kBlocks, core::as_bytes("k1"), core::as_bytes("value"));
  batch.del(Column::kReceipts, core::as_bytes("k2"));
  ASSERT_EQ(batch.count(), 2u);
  EXPECT_FALSE(batch.empty());
  EXPECT_EQ(batch.size_bytes(), 2 + 5 + 2 + 2 * kBatchOpOverheadBytes);

  const auto& put = batch.op(0);
  EXPECT_EQ(put.kind, WriteBatch::OpKind::kPut);
  EXPECT_EQ(put.column, Column::kBlocks);
  EXPECT_EQ(core::as_chars(batch.key_of(put)), "k1");
  EXPECT_EQ(core::as_chars(batch.value_of(put)), "value");
  const auto& del = batch.op(1);
  EXPECT_EQ(del.kind, WriteBatch::OpKind::kDelete);
  EXPECT_EQ(del.column, Column::kReceipts);
  EXPECT_EQ(core::as_chars(batch.key_of(del)), "k2");
}

TEST(WriteBatch, PutNodeGoesToStateNodesUnderItsHash) {
  WriteBatch batch;
  core::Hash32 id{};
  id.fill(0x5a);
  const core::Bytes encoded = {1, 2, 3};
  merkle::NodeWriter& writer = batch;
  writer.put_node(id, encoded);
  ASSERT_EQ(batch.count(), 1u);
  EXPECT_EQ(batch.op(0).column, Column::kStateNodes);
  EXPECT_EQ(core::to_hex(batch.key_of(batch.op(0))), core::to_hex(id));
  EXPECT_EQ(core::to_hex(batch.value_of(batch.op(0))), "010203");
}

TEST(WriteBatch, StopsAtItsLimitAndSaysSo) {
  const std::size_t limit = 1000;
  WriteBatch batch(limit);
  const core::Bytes value(100, 0x11);
  std::size_t accepted = 0;
  for (int i = 0; i < 20; ++i) {
    batch.put(Column::kAudit, core::as_bytes("key"), value);
    if (!batch.over_limit()) ++accepted;
  }
  EXPECT_TRUE(batch.over_limit());
  EXPECT_FALSE(batch.empty());
  EXPECT_EQ(batch.count(), accepted);
  EXPECT_EQ(accepted, limit / (3 + 100 + kBatchOpOverheadBytes));
  EXPECT_LE(batch.size_bytes(), limit);
}

TEST(WriteBatch, ExactlyAtTheLimitIsAccepted) {
  const core::Bytes value(100 - 3 - kBatchOpOverheadBytes, 0x22);
  WriteBatch batch(100);
  batch.put(Column::kBlocks, core::as_bytes("key"), value);
  EXPECT_FALSE(batch.over_limit());
  EXPECT_EQ(batch.size_bytes(), 100u);
  batch.del(Column::kBlocks, {});
  EXPECT_TRUE(batch.over_limit());
}

}  // namespace
}  // namespace metanode::storage
