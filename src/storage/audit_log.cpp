#include "storage/audit_log.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "core/hash.hpp"

namespace metanode::storage {
namespace {

constexpr core::Byte kEventPrefix = 'e';
constexpr core::Byte kCheckpointPrefix = 'c';
constexpr core::Byte kCosignaturePrefix = 'w';
constexpr std::size_t kCosignatureLinesBytesMax = 16 * 1024;

core::Bytes audit_key(core::Byte prefix, std::uint64_t n) {
  core::Bytes key{prefix};
  for (int shift = 56; shift >= 0; shift -= 8) key.push_back(static_cast<core::Byte>(n >> shift));
  return key;
}

std::uint64_t key_number(core::ByteView key) {
  std::uint64_t n = 0;
  for (std::size_t i = 1; i < key.size(); ++i) n = (n << 8) | key[i];
  return n;
}

core::Error corrupt(const std::string& why) {
  return core::make_error(core::ErrorCode::kStorageCorrupt,
                          "audit log: " + why + "; run `metanode audit verify --data-dir DIR` for the whole report");
}

void clamp_string(std::string& s, std::size_t max) {
  if (s.size() > max) s.resize(max);
}

}  // namespace

void AuditEvent::encode(core::Writer& w) const {
  w.u8(1);  // format version
  w.i64(unix_ms);
  w.string(action, kFieldBytesMax);
  w.string(actor, kFieldBytesMax);
  w.string(source, kFieldBytesMax);
  w.string(subject, kSubjectBytesMax);
  w.string(outcome, kFieldBytesMax);
  w.string(detail, kFieldBytesMax);
  w.u32(status);
  w.string(digest, kFieldBytesMax);
  w.vector(jurisdictions, kJurisdictionsMax, [](core::Writer& out, const std::string& j) { out.string(j, kFieldBytesMax); });
}

core::Result<AuditEvent> AuditEvent::decode(core::Reader& r) {
  MN_TRY_ASSIGN(const std::uint8_t version, r.u8());
  if (version != 1) {
    return core::make_error(core::ErrorCode::kDecodeInvalidValue, "audit event format " + std::to_string(version));
  }
  AuditEvent e;
  MN_TRY_ASSIGN(e.unix_ms, r.i64());
  MN_TRY_ASSIGN(e.action, r.string(kFieldBytesMax));
  MN_TRY_ASSIGN(e.actor, r.string(kFieldBytesMax));
  MN_TRY_ASSIGN(e.source, r.string(kFieldBytesMax));
  MN_TRY_ASSIGN(e.subject, r.string(kSubjectBytesMax));
  MN_TRY_ASSIGN(e.outcome, r.string(kFieldBytesMax));
  MN_TRY_ASSIGN(e.detail, r.string(kFieldBytesMax));
  MN_TRY_ASSIGN(e.status, r.u32());
  MN_TRY_ASSIGN(e.digest, r.string(kFieldBytesMax));
  MN_TRY_ASSIGN(e.jurisdictions, r.vector<std::string>(kJurisdictionsMax, [](core::Reader& in) {
                  return in.string(kFieldBytesMax);
                }));
  return e;
}

void AuditEvent::clamp() {
  clamp_string(action, kFieldBytesMax);
  clamp_string(actor, kFieldBytesMax);
  clamp_string(source, kFieldBytesMax);
  clamp_string(detail, kFieldBytesMax);
  clamp_string(subject, kSubjectBytesMax);
  clamp_string(outcome, kFieldBytesMax);
  clamp_string(digest, kFieldBytesMax);
  if (jurisdictions.size() > kJurisdictionsMax) jurisdictions.resize(kJurisdictionsMax);
  for (auto& j : jurisdictions) clamp_string(j, kFieldBytesMax);
}

core::Hash32 audit_leaf_hash(core::ByteView event_bytes) {
  const core::Hash32 digest = core::hash(core::Domain::AuditEvent, event_bytes);
  return merkle::leaf_hash(digest);
}

core::Status for_each_audit_event(const CueDb& db,
                                  const std::function<bool(std::uint64_t, const AuditEvent&, core::ByteView)>& visit) {
  std::uint64_t expected = 0;
  std::optional<core::Error> problem;
  MN_TRY(db.for_each_prefix(Column::kAudit, core::Bytes{kEventPrefix}, [&](core::ByteView key, core::ByteView value) {
    const std::uint64_t index = key.size() == 9 ? key_number(key) : ~std::uint64_t{0};
    if (index != expected) {
      problem = core::make_error(core::ErrorCode::kStorageCorrupt,
                                 "event " + std::to_string(expected) + " is missing (the next stored is " +
                                     (index == ~std::uint64_t{0} ? std::string("a malformed key") : std::to_string(index)) + ")");
      return false;
    }
    auto event = core::decode<AuditEvent>(value);
    if (!event.ok()) {
      problem = core::make_error(core::ErrorCode::kStorageCorrupt,
                                 "event " + std::to_string(index) + " does not decode: " + event.error().message);
      return false;
    }
    ++expected;
    return visit(index, *event, value);
  }));
  if (problem) return *problem;
  return {};
}

core::Status for_each_audit_checkpoint(const CueDb& db,
                                       const std::function<bool(std::uint64_t, std::string_view)>& visit) {
  return db.for_each_prefix(Column::kAudit, core::Bytes{kCheckpointPrefix}, [&](core::ByteView key, core::ByteView value) {
    return visit(key_number(key), std::string_view(reinterpret_cast<const char*>(value.data()), value.size()));
  });
}

AuditLog::AuditLog(CueDb& db, AuditLogOptions options) : db_(db), options_(std::move(options)) {}

core::Result<std::unique_ptr<AuditLog>> AuditLog::open(CueDb& db, AuditLogOptions options) {
  if (options.ed25519 == nullptr) return core::make_error(core::ErrorCode::kInvalidArgument, "audit log needs a signing key");
  MN_TRY(crypto::check_note_key_name(options.origin));
  std::unique_ptr<AuditLog> log(new AuditLog(db, std::move(options)));

  // Every stored event, in order, with no gap.
  std::vector<core::Hash32> leaves;
  std::int64_t last_ms = 0;
  if (auto st = for_each_audit_event(db, [&](std::uint64_t, const AuditEvent& event, core::ByteView bytes) {
        last_ms = event.unix_ms;
        leaves.push_back(audit_leaf_hash(bytes));
        return true;
      });
      !st.ok()) {
    return st.error().code == core::ErrorCode::kStorageCorrupt ? corrupt(st.error().message) : st.error();
  }
  log->tree_ = merkle::MerkleLog(leaves);
  log->durable_size_ = leaves.size();
  log->next_index_ = leaves.size();
  log->last_unix_ms_ = last_ms;

  // The newest checkpoint must be signed by this node and match the events.
  std::optional<std::pair<std::uint64_t, std::string>> newest;
  MN_TRY(for_each_audit_checkpoint(db, [&](std::uint64_t size, std::string_view note) {
    newest.emplace(size, std::string(note));
    return true;
  }));
  if (newest) {
    auto note = crypto::SignedNote::parse(newest->second);
    if (!note.ok()) return corrupt("checkpoint " + std::to_string(newest->first) + ": " + note.error().message);
    auto body = merkle::Checkpoint::parse(note->text);
    if (!body.ok()) return corrupt("checkpoint " + std::to_string(newest->first) + ": " + body.error().message);
    if (crypto::check_note_ed25519(*note, log->options_.origin, log->options_.ed25519->public_key()) !=
        crypto::NoteSignatureCheck::kValid) {
      return corrupt("checkpoint " + std::to_string(newest->first) + " does not carry this node's valid signature");
    }
    if (body->size != newest->first || body->size > log->tree_.size()) {
      return corrupt("checkpoint " + std::to_string(newest->first) + " covers " + std::to_string(body->size) +
                     " events; " + std::to_string(log->tree_.size()) + " are stored");
    }
    MN_TRY_ASSIGN(const core::Hash32 root, log->tree_.root_at(body->size));
    if (root != body->root) {
      return corrupt("the stored events do not hash to checkpoint " + std::to_string(body->size) +
                     "'s root: events were changed or removed");
    }
    log->latest_ = AuditCheckpoint{std::move(body).value(), newest->second};
  }
  log->last_checkpoint_time_ = std::chrono::steady_clock::now();
  log->writer_ = std::thread([raw = log.get()] { raw->run(); });
  return log;
}

AuditLog::~AuditLog() { stop(); }

std::int64_t AuditLog::now() const {
  if (options_.clock) return options_.clock();
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::uint64_t AuditLog::append(AuditEvent event) {
  event.clamp();
  std::lock_guard lock(mutex_);
  // Times never go backwards in the log, so a time range is one contiguous run of indices.
  event.unix_ms = std::max(event.unix_ms == 0 ? now() : event.unix_ms, last_unix_ms_);
  last_unix_ms_ = event.unix_ms;
  const std::uint64_t index = next_index_++;
  queue_.emplace_back(index, core::encode(event));
  wake_.notify_one();
  return index;
}

void AuditLog::when_durable(std::uint64_t index, std::function<void(bool)> then) {
  bool ready = false;
  bool ok = false;
  {
    std::lock_guard lock(mutex_);
    if (index < durable_size_) {
      ready = ok = true;
    } else if (fault_ || writer_done_) {
      ready = true;
    } else {
      waiting_.emplace(index, std::move(then));
    }
  }
  if (ready) then(ok);
}

core::Status AuditLog::flush() {
  std::unique_lock lock(mutex_);
  const std::uint64_t target = next_index_;
  durable_.wait(lock, [&] { return durable_size_ >= target || fault_ || writer_done_; });
  if (fault_) return *fault_;
  if (durable_size_ < target) return core::make_error(core::ErrorCode::kInternal, "audit log stopped");
  return {};
}

core::Status AuditLog::checkpoint_now() {
  std::unique_lock lock(mutex_);
  checkpoint_asked_ = true;
  wake_.notify_one();
  durable_.wait(lock, [&] { return !checkpoint_asked_ || fault_ || writer_done_; });
  if (fault_) return *fault_;
  return {};
}

void AuditLog::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    wake_.notify_one();
  }
  if (writer_.joinable()) writer_.join();
}

AuditCheckpoint AuditLog::make_checkpoint_locked(std::int64_t unix_ms) const {
  AuditCheckpoint cp;
  cp.body.origin = options_.origin;
  cp.body.size = tree_.size();
  cp.body.root = tree_.root();
  cp.body.extensions.push_back(std::string(merkle::kCheckpointTimeExtension) + std::to_string(unix_ms));
  return cp;
}

void AuditLog::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    const auto due = last_checkpoint_time_ + options_.checkpoint_interval;
    wake_.wait_until(lock, due, [&] { return stopping_ || !queue_.empty() || checkpoint_asked_; });
    if (fault_) break;
    auto events = std::move(queue_);
    queue_.clear();
    const std::uint64_t last_size = latest_ ? latest_->body.size : 0;
    // The tree runs ahead of what is durable by this batch only; readers see durable_size_.
    WriteBatch batch;
    for (const auto& [index, bytes] : events) {
      batch.put(Column::kAudit, audit_key(kEventPrefix, index), bytes);
      (void)tree_.append(audit_leaf_hash(bytes));
    }
    const std::uint64_t new_size = tree_.size();
    const bool time_due = std::chrono::steady_clock::now() >= due;
    const bool make_checkpoint =
        new_size > last_size && (new_size - last_size >= options_.checkpoint_events || time_due || checkpoint_asked_ || stopping_);
    std::optional<AuditCheckpoint> checkpoint;
    if (make_checkpoint) checkpoint = make_checkpoint_locked(now());
    const bool stop_after = stopping_;
    const bool asked = checkpoint_asked_;
    lock.unlock();

    if (checkpoint) {
      crypto::SignedNote note;
      note.text = checkpoint->body.to_text();
      crypto::sign_note_ed25519(note, options_.origin, *options_.ed25519);
      if (options_.mldsa != nullptr) crypto::sign_note_mldsa(note, options_.origin, *options_.mldsa);
      checkpoint->note = note.serialize();
      batch.put(Column::kAudit, audit_key(kCheckpointPrefix, checkpoint->body.size), core::as_bytes(checkpoint->note));
    }
    core::Status written = batch.empty() ? core::Status{} : db_.write(std::move(batch), /*sync=*/true);

    std::vector<std::function<void(bool)>> ready;
    lock.lock();
    if (!written.ok()) {
      fault_ = written.error();
      spdlog::error("audit log: {}", written.error().to_string());
    } else {
      durable_size_ = new_size;
      if (checkpoint) {
        latest_ = checkpoint;
        last_checkpoint_time_ = std::chrono::steady_clock::now();
      } else if (time_due) {
        last_checkpoint_time_ = std::chrono::steady_clock::now();  // nothing new: wait another interval
      }
      if (asked) checkpoint_asked_ = false;
      auto end = waiting_.lower_bound(durable_size_);
      for (auto it = waiting_.begin(); it != end; ++it) ready.push_back(std::move(it->second));
      waiting_.erase(waiting_.begin(), end);
    }
    durable_.notify_all();
    lock.unlock();
    for (auto& then : ready) then(true);
    if (!written.ok() && options_.on_fault) options_.on_fault(written.error());
    lock.lock();
    if (written.ok() && checkpoint && on_checkpoint_) {
      auto hook = on_checkpoint_;
      lock.unlock();
      hook(*checkpoint);
      lock.lock();
    }
    if (fault_ || (stop_after && queue_.empty())) break;
  }
  writer_done_ = true;
  auto never = std::move(waiting_);
  waiting_.clear();
  durable_.notify_all();
  lock.unlock();
  for (auto& [index, then] : never) then(false);
}

std::uint64_t AuditLog::size() const {
  std::lock_guard lock(mutex_);
  return durable_size_;
}

std::optional<AuditCheckpoint> AuditLog::latest_checkpoint() const {
  std::lock_guard lock(mutex_);
  return latest_;
}

core::Result<std::optional<AuditCheckpoint>> AuditLog::checkpoint_at(std::uint64_t size) const {
  MN_TRY_ASSIGN(auto stored, db_.get(Column::kAudit, audit_key(kCheckpointPrefix, size)));
  if (!stored) return std::optional<AuditCheckpoint>{};
  std::string note(stored->begin(), stored->end());
  auto parsed = crypto::SignedNote::parse(note);
  if (!parsed.ok()) return corrupt("checkpoint " + std::to_string(size) + ": " + parsed.error().message);
  auto body = merkle::Checkpoint::parse(parsed->text);
  if (!body.ok()) return corrupt("checkpoint " + std::to_string(size) + ": " + body.error().message);
  return std::optional<AuditCheckpoint>{AuditCheckpoint{std::move(body).value(), std::move(note)}};
}

core::Result<std::vector<std::uint64_t>> AuditLog::checkpoint_sizes(std::uint64_t from, std::uint64_t to,
                                                                   std::size_t limit) const {
  std::vector<std::uint64_t> sizes;
  if (limit == 0 || from > to) return sizes;
  MN_TRY(db_.for_each(Column::kAudit, audit_key(kCheckpointPrefix, from), [&](core::ByteView key, core::ByteView) {
    if (key.size() != 9 || key[0] != kCheckpointPrefix) return false;
    const std::uint64_t size = key_number(key);
    if (size > to) return false;
    sizes.push_back(size);
    return sizes.size() < limit;
  }));
  return sizes;
}

core::Result<StoredAuditEvent> AuditLog::event(std::uint64_t index) const {
  if (index >= size()) {
    return core::make_error(core::ErrorCode::kNotFound, "audit event " + std::to_string(index) + " does not exist (" +
                                                            std::to_string(size()) + " events)");
  }
  MN_TRY_ASSIGN(auto stored, db_.get(Column::kAudit, audit_key(kEventPrefix, index)));
  if (!stored) return corrupt("event " + std::to_string(index) + " is missing");
  auto event = core::decode<AuditEvent>(*stored);
  if (!event.ok()) return corrupt("event " + std::to_string(index) + " does not decode: " + event.error().message);
  return StoredAuditEvent{index, std::move(event).value(), std::move(*stored)};
}

core::Result<std::uint64_t> AuditLog::first_at_or_after(std::int64_t unix_ms) const {
  std::uint64_t lo = 0;
  std::uint64_t hi = size();
  while (lo < hi) {
    const std::uint64_t mid = lo + (hi - lo) / 2;
    MN_TRY_ASSIGN(const StoredAuditEvent e, event(mid));
    if (e.event.unix_ms < unix_ms) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

core::Result<merkle::InclusionProof> AuditLog::inclusion_proof(std::uint64_t index, std::uint64_t tree_size) const {
  std::lock_guard lock(mutex_);
  if (tree_size > durable_size_) {
    return core::make_error(core::ErrorCode::kInvalidArgument, "tree size " + std::to_string(tree_size) + " exceeds the log's " +
                                                                   std::to_string(durable_size_) + " events");
  }
  return tree_.inclusion_proof(index, tree_size);
}

core::Result<merkle::ConsistencyProof> AuditLog::consistency_proof(std::uint64_t old_size, std::uint64_t new_size) const {
  std::lock_guard lock(mutex_);
  if (new_size > durable_size_) {
    return core::make_error(core::ErrorCode::kInvalidArgument, "tree size " + std::to_string(new_size) + " exceeds the log's " +
                                                                   std::to_string(durable_size_) + " events");
  }
  return tree_.consistency_proof(old_size, new_size);
}

core::Result<core::Hash32> AuditLog::root_at(std::uint64_t tree_size) const {
  std::lock_guard lock(mutex_);
  if (tree_size > durable_size_) {
    return core::make_error(core::ErrorCode::kInvalidArgument, "tree size " + std::to_string(tree_size) + " exceeds the log's " +
                                                                   std::to_string(durable_size_) + " events");
  }
  return tree_.root_at(tree_size);
}

core::Status AuditLog::add_cosignature(std::uint64_t size, const crypto::Address& witness, std::string_view lines) {
  if (lines.size() > kCosignatureLinesBytesMax) {
    return core::make_error(core::ErrorCode::kInvalidArgument, "cosignature lines over " +
                                                                   std::to_string(kCosignatureLinesBytesMax) + " bytes");
  }
  core::Bytes key = audit_key(kCosignaturePrefix, size);
  key.insert(key.end(), witness.bytes.begin(), witness.bytes.end());
  WriteBatch batch;
  batch.put(Column::kAudit, key, core::as_bytes(lines));
  return db_.write(std::move(batch), /*sync=*/true);
}

core::Result<std::string> audit_cosignature_lines(const CueDb& db, std::uint64_t size) {
  std::string lines;
  MN_TRY(db.for_each_prefix(Column::kAudit, audit_key(kCosignaturePrefix, size), [&](core::ByteView, core::ByteView value) {
    lines.append(value.begin(), value.end());
    return true;
  }));
  return lines;
}

core::Result<std::string> AuditLog::cosignature_lines(std::uint64_t size) const { return audit_cosignature_lines(db_, size); }

void AuditLog::set_on_checkpoint(std::function<void(const AuditCheckpoint&)> hook) {
  std::lock_guard lock(mutex_);
  on_checkpoint_ = std::move(hook);
}

}  // namespace metanode::storage
