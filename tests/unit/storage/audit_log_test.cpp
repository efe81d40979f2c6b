#include "storage/audit_log.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>

#include "unit/storage/temp_dir.hpp"

namespace metanode::storage {
namespace {

using testing::TempDir;

constexpr std::string_view kOrigin = "audit-test/mn1node/audit";

struct Keys {
  crypto::KeyPair ed = crypto::KeyPair::generate();
  crypto::MldsaKeyPair pq = crypto::MldsaKeyPair::generate();
};

std::unique_ptr<CueDb> open_db(const TempDir& tmp) {
  OpenOptions options;
  options.chain_id = "audit-test";
  auto db = CueDb::open(tmp.db(), options);
  if (!db.ok()) ADD_FAILURE() << db.error().to_string();
  return db.ok() ? std::move(db).value() : nullptr;
}

AuditLogOptions options_for(const Keys& keys, std::uint64_t every = 10) {
  AuditLogOptions o;
  o.origin = std::string(kOrigin);
  o.ed25519 = &keys.ed;
  o.mldsa = &keys.pq;
  o.checkpoint_events = every;
  o.checkpoint_interval = std::chrono::hours(1);
  return o;
}

AuditEvent event_n(int n, std::int64_t unix_ms = 0) {
  AuditEvent e;
  e.unix_ms = unix_ms == 0 ? 1'000 + n : unix_ms;
  e.action = n % 2 == 0 ? "http.request" : "block.commit";
  e.actor = "actor-" + std::to_string(n % 3);
  e.source = "127.0.0.1";
  e.subject = "GET /v1/thing/" + std::to_string(n);
  e.outcome = "allowed";
  e.detail = "public";
  e.status = 200;
  e.digest = std::string(64, 'a');
  return e;
}

TEST(AuditLog, EventsAreDurableProvenAndCheckpointedWithBothSignatures) {
  TempDir tmp;
  Keys keys;
  auto db = open_db(tmp);
  auto log = AuditLog::open(*db, options_for(keys));
  ASSERT_TRUE(log.ok()) << log.error().to_string();
  // In three group commits: a checkpoint once 10 new events are durable.
  for (int i = 0; i < 25; ++i) {
    EXPECT_EQ((*log)->append(event_n(i)), static_cast<std::uint64_t>(i));
    if (i == 9 || i == 19 || i == 24) {
      ASSERT_TRUE((*log)->flush().ok());
    }
  }
  EXPECT_EQ((*log)->size(), 25u);
  auto sizes = (*log)->checkpoint_sizes(0, 100, 100);
  ASSERT_TRUE(sizes.ok());
  EXPECT_EQ(*sizes, (std::vector<std::uint64_t>{10, 20}));
  auto latest = (*log)->latest_checkpoint();
  ASSERT_TRUE(latest.has_value());
  EXPECT_EQ(latest->body.origin, kOrigin);
  auto note = crypto::SignedNote::parse(latest->note);
  ASSERT_TRUE(note.ok());
  EXPECT_EQ(crypto::check_note_ed25519(*note, kOrigin, keys.ed.public_key()), crypto::NoteSignatureCheck::kValid);
  EXPECT_EQ(crypto::check_note_mldsa(*note, kOrigin, keys.pq.public_key()), crypto::NoteSignatureCheck::kValid);
  EXPECT_EQ(note->text, latest->body.to_text());

  // Every event of the checkpoint is proven against its root.
  for (std::uint64_t i = 0; i < latest->body.size; ++i) {
    auto stored = (*log)->event(i);
    ASSERT_TRUE(stored.ok());
    EXPECT_EQ(stored->event, event_n(static_cast<int>(i)));
    auto proof = (*log)->inclusion_proof(i, latest->body.size);
    ASSERT_TRUE(proof.ok());
    EXPECT_TRUE(merkle::verify_inclusion(audit_leaf_hash(stored->bytes), *proof, latest->body.root).ok()) << i;
  }
  // And the first checkpoint's tree is a prefix of the latest one's.
  auto first = (*log)->checkpoint_at(sizes->front());
  ASSERT_TRUE(first.ok() && first->has_value());
  auto consistency = (*log)->consistency_proof((*first)->body.size, latest->body.size);
  ASSERT_TRUE(consistency.ok());
  EXPECT_TRUE(merkle::verify_consistency(*consistency, (*first)->body.root, latest->body.root).ok());
  EXPECT_FALSE((*log)->inclusion_proof(0, 26).ok());  // beyond what is durable
}

TEST(AuditLog, WhenDurableRunsAfterTheWriteAndTimesNeverGoBack) {
  TempDir tmp;
  Keys keys;
  auto db = open_db(tmp);
  auto log = AuditLog::open(*db, options_for(keys));
  ASSERT_TRUE(log.ok());
  const std::uint64_t a = (*log)->append(event_n(0, 5'000));
  const std::uint64_t b = (*log)->append(event_n(1, 4'000));  // the clock went back
  std::promise<bool> durable;
  (*log)->when_durable(b, [&](bool ok) { durable.set_value(ok); });
  EXPECT_TRUE(durable.get_future().get());
  EXPECT_GE((*log)->size(), b + 1);
  EXPECT_EQ((*log)->event(b)->event.unix_ms, 5'000);  // not before event a
  auto first = (*log)->first_at_or_after(5'000);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*first, a);
  EXPECT_EQ(*(*log)->first_at_or_after(5'001), 2u);
}

TEST(AuditLog, ReopensWhereItWasAndAFinalCheckpointCoversEverything) {
  TempDir tmp;
  Keys keys;
  std::optional<AuditCheckpoint> before;
  {
    auto db = open_db(tmp);
    auto log = AuditLog::open(*db, options_for(keys, 1'000));
    ASSERT_TRUE(log.ok());
    for (int i = 0; i < 7; ++i) (*log)->append(event_n(i));
    (*log)->stop();  // a final checkpoint of all 7
    before = (*log)->latest_checkpoint();
  }
  ASSERT_TRUE(before.has_value());
  EXPECT_EQ(before->body.size, 7u);
  auto db = open_db(tmp);
  auto log = AuditLog::open(*db, options_for(keys, 1'000));
  ASSERT_TRUE(log.ok()) << log.error().to_string();
  EXPECT_EQ((*log)->size(), 7u);
  EXPECT_EQ((*log)->latest_checkpoint()->note, before->note);
  EXPECT_EQ((*log)->append(event_n(7)), 7u);
  ASSERT_TRUE((*log)->flush().ok());
  EXPECT_EQ((*log)->event(7)->event, event_n(7));
}

// Rewriting or removing a stored event is found at open, naming what is wrong.
TEST(AuditLog, AChangedOrMissingEventIsRefusedAtOpen) {
  for (const bool remove : {false, true}) {
    TempDir tmp;
    Keys keys;
    {
      auto db = open_db(tmp);
      auto log = AuditLog::open(*db, options_for(keys, 1'000));
      ASSERT_TRUE(log.ok());
      for (int i = 0; i < 5; ++i) (*log)->append(event_n(i));
      (*log)->stop();
      WriteBatch batch;
      const core::Bytes key{'e', 0, 0, 0, 0, 0, 0, 0, 2};
      if (remove) {
        batch.del(Column::kAudit, key);
      } else {
        AuditEvent forged = event_n(2);
        forged.outcome = "refused";
        batch.put(Column::kAudit, key, core::encode(forged));
      }
      ASSERT_TRUE(db->write(std::move(batch)).ok());
    }
    auto db = open_db(tmp);
    auto log = AuditLog::open(*db, options_for(keys, 1'000));
    ASSERT_FALSE(log.ok());
    EXPECT_EQ(log.error().code, core::ErrorCode::kStorageCorrupt);
    EXPECT_NE(log.error().message.find(remove ? "event 2 is missing" : "do not hash to checkpoint 5"), std::string::npos)
        << log.error().message;
  }
}

TEST(AuditLog, OversizedFieldsAreCutNotRefused) {
  TempDir tmp;
  Keys keys;
  auto db = open_db(tmp);
  auto log = AuditLog::open(*db, options_for(keys));
  ASSERT_TRUE(log.ok());
  AuditEvent big = event_n(0);
  big.subject = std::string(5'000, 's');
  big.jurisdictions.assign(20, "eu");
  (*log)->append(big);
  ASSERT_TRUE((*log)->flush().ok());
  auto stored = (*log)->event(0);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->event.subject.size(), AuditEvent::kSubjectBytesMax);
  EXPECT_EQ(stored->event.jurisdictions.size(), AuditEvent::kJurisdictionsMax);
}

}  // namespace
}  // namespace metanode::storage
