// XTMP framing: frames survive any split of the byte stream, batches decode in order, and
// oversized, short, unknown or garbage frames end the link before anything large is buffered.
#include <gtest/gtest.h>

#include "net/frame.hpp"

namespace metanode::net {
namespace {

core::Bytes bytes_of(std::initializer_list<int> v) {
  core::Bytes out;
  for (int b : v) out.push_back(static_cast<core::Byte>(b));
  return out;
}

TEST(Frame, BatchOfFramesDecodesInOrderWhateverTheReadSizes) {
  core::Bytes wire;
  std::vector<Frame> sent;
  for (std::uint32_t i = 0; i < 50; ++i) {
    Frame f{i % 2 ? FrameType::kConsensus : FrameType::kTxGossip, i * 7, core::Bytes(i * 13, static_cast<core::Byte>(i))};
    append_frame(wire, f.type, f.stream, f.payload);
    sent.push_back(f);
  }
  for (std::size_t chunk : {1u, 2u, 3u, 9u, 64u, 4096u}) {
    FrameReader reader;
    std::vector<Frame> got;
    for (std::size_t off = 0; off < wire.size(); off += chunk) {
      reader.feed(core::ByteView(wire.data() + off, std::min(chunk, wire.size() - off)));
      for (;;) {
        auto next = reader.next();
        ASSERT_TRUE(next.ok()) << next.error().to_string();
        if (!*next) break;
        got.push_back(std::move(**next));
      }
    }
    EXPECT_EQ(got, sent) << "chunk " << chunk;
    EXPECT_EQ(reader.buffered_bytes(), 0u);
  }
}

TEST(Frame, OversizedFrameIsRefusedFromItsHeaderAlone) {
  FrameReader reader(1024);
  // Announces 1 GiB: refused after 5 bytes, nothing of it is buffered.
  reader.feed(bytes_of({0x00, 0x00, 0x00, 0x40, 3}));
  auto next = reader.next();
  ASSERT_FALSE(next.ok());
  EXPECT_EQ(next.error().code, core::ErrorCode::kDecodeOverLimit);
  reader.feed(core::Bytes(100, 0));
  EXPECT_FALSE(reader.next().ok());  // the failure is final
}

TEST(Frame, ShortUnknownAndGarbageFramesEndTheLink) {
  {
    FrameReader reader;
    reader.feed(bytes_of({4, 0, 0, 0, 3, 0, 0, 0}));  // body shorter than type + stream
    EXPECT_EQ(reader.next().error().code, core::ErrorCode::kDecodeInvalidValue);
  }
  {
    FrameReader reader;
    reader.feed(bytes_of({5, 0, 0, 0, 99, 0, 0, 0, 0}));  // unknown type
    EXPECT_EQ(reader.next().error().code, core::ErrorCode::kDecodeInvalidValue);
  }
  {
    FrameReader reader;
    reader.feed(bytes_of({'G', 'E', 'T', ' ', '/', ' ', 'H', 'T', 'T', 'P'}));  // not XTMP at all
    EXPECT_FALSE(reader.next().ok());
  }
  {
    FrameReader reader;
    reader.feed(bytes_of({9, 0, 0}));  // incomplete header: wait for more
    auto next = reader.next();
    ASSERT_TRUE(next.ok());
    EXPECT_FALSE(*next);
  }
}

TEST(Frame, EmptyPayloadAndLargestAllowedFrame) {
  core::Bytes wire;
  append_frame(wire, FrameType::kPing, 0, {});
  EXPECT_EQ(wire.size(), kFrameHeaderBytes);
  const core::Bytes big(1000 - kFrameBodyMinBytes, 0xAB);
  append_frame(wire, FrameType::kResponse, 0xFFFFFFFF, big);
  FrameReader reader(1000);
  reader.feed(wire);
  auto ping = reader.next();
  ASSERT_TRUE(ping.ok() && *ping);
  EXPECT_EQ((*ping)->type, FrameType::kPing);
  auto response = reader.next();
  ASSERT_TRUE(response.ok() && *response);
  EXPECT_EQ((*response)->stream, 0xFFFFFFFFu);
  EXPECT_EQ((*response)->payload, big);
}

}  // namespace
}  // namespace metanode::net

namespace metanode::net {
namespace {

// Every prefix of a valid stream is either "need more" or frames: never a read past the bytes
// fed (this found an out-of-bounds read of the type byte under ASan).
TEST(Frame, EveryPrefixIsSafe) {
  core::Bytes wire;
  append_frame(wire, FrameType::kConsensus, 3, core::Bytes{1, 2, 3});
  for (std::size_t cut = 0; cut <= wire.size(); ++cut) {
    FrameReader reader;
    reader.feed(core::ByteView(wire.data(), cut));
    auto next = reader.next();
    ASSERT_TRUE(next.ok()) << cut;
    EXPECT_EQ(next->has_value(), cut == wire.size()) << cut;
  }
}

}  // namespace
}  // namespace metanode::net
