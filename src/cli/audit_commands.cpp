#include "cli/audit_commands.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <chrono>
#include <ctime>
#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>
#include <thread>

#include "cli/chain_client.hpp"
#include "cli/node_commands.hpp"
#include "ledger/audit_proofs.hpp"
#include "ledger/chain.hpp"
#include "modules/audit/audit.hpp"
#include "modules/governance/governance.hpp"
#include "node/config.hpp"
#include "services/proofs/proof_check.hpp"
#include "storage/audit_log.hpp"

namespace metanode::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct DecisionsOptions {
  ClientOptions client;
  std::uint32_t limit = 50;
  bool refused_only = false;
};

struct TailOptions {
  ClientOptions client;
  std::uint32_t limit = 20;
  std::string action;
  std::string actor;
  bool follow = false;
};

struct VerifyAuditOptions {
  ClientOptions client;  // --node (with --as) and --genesis / --home
  std::string data_dir;
  std::string config_file;
  std::uint64_t from = 0;
  bool allow_classical = false;
};

struct ReportOptions {
  ClientOptions client;
  std::string from;
  std::string to;
  std::string actor;
  std::string jurisdiction;
  std::string out;
};

struct VerifyReportOptions {
  ClientOptions client;  // --genesis / --home
  std::string dir;
};

std::string utc_time(std::int64_t unix_ms) {
  const std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:03}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                     tm.tm_min, tm.tm_sec, unix_ms % 1000);
}

int run_decisions(Io& io, DecisionsOptions opts) {
  if (auto st = prepare_signer(io, opts.client); !st.ok()) return fail(io, st.error());
  auto doc = call(opts.client, "GET", fmt::format("/v1/audit/decisions?limit={}", opts.limit));
  if (!doc.ok()) return fail(io, doc.error());
  json decisions = json::array();
  for (const json& d : (*doc)["decisions"]) {
    if (!opts.refused_only || !d.value("allowed", true)) decisions.push_back(d);
  }
  if (opts.client.json_output) {
    io.out << json{{"decisions", decisions}}.dump(2) << "\n";
    return kExitOk;
  }
  io.out << fmt::format("{} decision(s), newest first\n", decisions.size());
  if (decisions.empty()) return kExitOk;
  io.out << fmt::format("{:<23}  {:<6} {:<28} {:>6}  {:<16} {}\n", "time (UTC)", "method", "route", "status", "reason",
                        "caller");
  for (const json& d : decisions) {
    const std::string caller =
        d["identity"].is_string() ? d["identity"].get<std::string>() : "(unsigned) " + d.value("client_address", std::string());
    io.out << fmt::format("{:<23}  {:<6} {:<28} {:>6}  {:<16} {}\n", utc_time(d.value("unix_ms", std::int64_t{0})),
                          d.value("method", std::string()), d.value("route", std::string()),
                          d.value("status", 0u), d.value("reason", std::string()), caller);
  }
  return kExitOk;
}

// `metanode audit witness`: the other validators' logs this node cosigns, and what it refused.
int run_witness(Io& io, ClientOptions client) {
  if (auto st = prepare_signer(io, client); !st.ok()) return fail(io, st.error());
  auto doc = call(client, "GET", "/v1/audit/witness");
  if (!doc.ok()) return fail(io, doc.error());
  if (client.json_output) {
    io.out << doc->dump(2) << "\n";
    return kExitOk;
  }
  io.out << "witness " << doc->value("witness", std::string()) << "\n";
  io.out << fmt::format("{:<14} {:>10}  {:<23}  {}\n", "validator", "cosigned", "at (UTC)", "root");
  for (const json& l : (*doc)["logs"]) {
    io.out << fmt::format("{:<14} {:>10}  {:<23}  {}\n", l.value("validator", std::string()), l.value("size", std::uint64_t{0}),
                          utc_time(l.value("cosigned_unix_ms", std::int64_t{0})), l.value("root", std::string()));
  }
  const json& conflicts = (*doc)["conflicts"];
  if (conflicts.empty()) {
    io.out << "no conflicts: every checkpoint shown to this witness extended the one before\n";
    return kExitOk;
  }
  io.out << conflicts.size() << " conflict(s), kept as evidence (--json prints both signed notes of each):\n";
  for (const json& c : conflicts) {
    io.out << fmt::format("  {} {}: {}\n", utc_time(c.value("unix_ms", std::int64_t{0})), c.value("validator", std::string()),
                          c.value("why", std::string()));
  }
  return kExitOk;
}

std::string events_query(std::uint64_t cursor, std::uint32_t limit, const TailOptions& opts) {
  std::string q = fmt::format("/v1/audit/events?cursor={}&limit={}", cursor, limit);
  if (!opts.action.empty()) q += "&action=" + opts.action;
  if (!opts.actor.empty()) q += "&actor=" + opts.actor;
  return q;
}

void print_event(Io& io, const json& e) {
  io.out << fmt::format("{:>8}  {:<23}  {:<16} {:<10} {:<42} {}{}\n", e.value("index", std::uint64_t{0}),
                        utc_time(e.value("unix_ms", std::int64_t{0})), e.value("action", std::string()),
                        e.value("outcome", std::string()), e.value("actor", std::string()), e.value("subject", std::string()),
                        e.value("detail", std::string()).empty() ? std::string() : " (" + e.value("detail", std::string()) + ")");
}

int run_tail(Io& io, TailOptions opts) {
  if (auto st = prepare_signer(io, opts.client); !st.ok()) return fail(io, st.error());
  // The log's size first (an empty page past the end), then the last `limit` events.
  auto head = call(opts.client, "GET", events_query(~std::uint64_t{0}, 1, opts));
  if (!head.ok()) return fail(io, head.error());
  const std::uint64_t size = head->value("log_size", std::uint64_t{0});
  std::uint64_t cursor = size > opts.limit && opts.action.empty() && opts.actor.empty() ? size - opts.limit : 0;
  // With a filter, page from the start and keep the last `limit` matches.
  json shown = json::array();
  json checkpoint;  // what the shown events' proofs are to
  for (;;) {
    auto page = call(opts.client, "GET", events_query(cursor, 500, opts));
    if (!page.ok()) return fail(io, page.error());
    checkpoint = (*page)["checkpoint"];
    for (const json& e : (*page)["events"]) shown.push_back(e);
    while (shown.size() > opts.limit) shown.erase(shown.begin());
    if ((*page)["next_cursor"].is_null()) {
      cursor = page->value("log_size", size);
      break;
    }
    cursor = (*page)["next_cursor"].get<std::uint64_t>();
  }
  if (opts.client.json_output && !opts.follow) {
    io.out << json{{"events", shown}, {"log_size", cursor}, {"checkpoint", checkpoint}}.dump(2) << "\n";
    return kExitOk;
  }
  io.out << fmt::format("{:>8}  {:<23}  {:<16} {:<10} {:<42} {}\n", "index", "time (UTC)", "action", "outcome", "actor",
                        "subject");
  for (const json& e : shown) print_event(io, e);
  io.out << std::flush;
  while (opts.follow) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    auto page = call(opts.client, "GET", events_query(cursor, 500, opts));
    if (!page.ok()) return fail(io, page.error());
    for (const json& e : (*page)["events"]) print_event(io, e);
    io.out << std::flush;
    cursor = (*page)["next_cursor"].is_null() ? page->value("log_size", cursor) : (*page)["next_cursor"].get<std::uint64_t>();
  }
  return kExitOk;
}

core::Error wrong(const std::string& what) { return core::make_error(core::ErrorCode::kProofInvalid, what); }

// A GET /v1/state/{module}/{key} answer checked against a certified header, and that it is the
// entry asked for (and, when given, at that height): its value bytes, or nullopt when proven absent.
core::Result<std::optional<core::Bytes>> proven_entry(const json& answer, std::string_view module, core::ByteView key,
                                                      std::optional<std::uint64_t> height, const ledger::Genesis& genesis) {
  MN_TRY(services::verify_state_answer(answer, genesis));
  if (answer.value("module", std::string()) != module || answer.value("key", std::string()) != core::to_hex(key) ||
      (height && answer.value("height", std::uint64_t{0}) != *height)) {
    return wrong("the answer is for another state entry" + (height ? " or height than " + std::to_string(*height) : std::string()));
  }
  if (!answer.value("exists", false)) return std::optional<core::Bytes>{};
  MN_TRY_ASSIGN(core::Bytes value, core::from_hex(answer.value("value_hex", std::string())));
  return std::optional<core::Bytes>{std::move(value)};
}

struct VerifySummary {
  std::string origin;
  std::string validator;
  std::uint64_t events = 0;
  std::uint64_t checkpoints = 0;
  bool post_quantum = true;
  std::string anchor;                  // what the chain's anchor showed
  std::uint64_t witnessed_size = 0;    // the newest checkpoint with enough witness cosignatures
  std::vector<std::string> witnessed_by;
  std::uint64_t newest_size = 0;
  bool validator_log = true;  // false: a log the genesis registers (BPCI's), which no validator witnesses
};

void print_summary(Io& io, const VerifySummary& s, std::uint64_t from, std::size_t witnesses_needed) {
  io.out << fmt::format(
      "audit log {} ({}) checks: {} event(s) from index {} each in its checkpoint, {} signed checkpoint(s) ({}), each "
      "consistent with the one before\n",
      s.origin, s.validator, s.events, from, s.checkpoints, s.post_quantum ? "Ed25519 and ML-DSA-65" : "Ed25519 only");
  io.out << s.anchor << "\n";
  if (!s.validator_log) {
    io.out << "witnesses: none (" << s.validator
           << " is not a validator: validators cosign each other's logs; its anchor on chain pins its history)\n";
    return;
  }
  if (witnesses_needed == 0) {
    io.out << "witnesses: none (a single-validator chain has no other validator to cosign)\n";
    return;
  }
  std::string names;
  for (const auto& n : s.witnessed_by) names += (names.empty() ? "" : ", ") + n;
  io.out << fmt::format("witnessed: checkpoint {} cosigned by {} of the other validators ({}; {} needed)\n",
                        s.witnessed_size, s.witnessed_by.size(), names, witnesses_needed);
  if (s.witnessed_size < s.newest_size) {
    io.out << fmt::format("  the {} event(s) after it are signed by the node but not cosigned yet\n",
                          s.newest_size - s.witnessed_size);
  }
}

// The key of the genesis validator, or of the log the genesis registers, whose audit log has this
// origin (the checkpoint was checked against it already).
crypto::PublicKey log_owner(const ledger::Genesis& genesis, const std::string& origin) {
  for (const auto& v : genesis.validators) {
    if (ledger::audit_origin(genesis.chain_id, v.ed25519_public_key) == origin) return v.ed25519_public_key;
  }
  auto logs = ledger::registered_audit_logs(genesis);
  for (const auto& log : logs.ok() ? *logs : std::vector<ledger::AuditLogKey>{}) {
    if (ledger::audit_origin(genesis.chain_id, log.ed25519_public_key) == origin) return log.ed25519_public_key;
  }
  return {};
}

// A checkpoint's witness cosignatures (the note served as "cosigned_note", or the note plus the
// stored lines offline): every line of a validator must verify; the newest checkpoint with enough
// of them is the witnessed one.
core::Status check_cosigned(const std::string& note, const std::string& cosigned, std::uint64_t size,
                            const ledger::Genesis& genesis, bool require_pq, VerifySummary& summary) {
  if (cosigned.empty()) return {};
  if (cosigned.compare(0, note.size(), note) != 0) {
    return wrong("checkpoint " + std::to_string(size) + ": the cosigned note is not its note with lines added");
  }
  auto names = ledger::check_audit_cosignatures(cosigned, genesis, require_pq);
  if (!names.ok()) return wrong("checkpoint " + std::to_string(size) + ": " + names.error().message);
  const std::size_t needed = ledger::audit_witnesses_needed(genesis);
  if (needed > 0 && names->size() >= needed) {
    summary.witnessed_size = size;
    summary.witnessed_by = std::move(names).value();
  }
  return {};
}

core::Status require_witnessed(const VerifySummary& summary, const ledger::Genesis& genesis) {
  const std::size_t needed = ledger::audit_witnesses_needed(genesis);
  if (needed == 0 || !summary.validator_log || !summary.witnessed_by.empty()) return {};
  return wrong("no checkpoint of this log is cosigned by " + std::to_string(needed) +
               " other validators: nothing shows that the log it serves is the one others were shown "
               "(a log is witnessed within seconds of its first checkpoint on a running chain)");
}

// The log against its node's newest anchor on chain. `contains` checks that the log holds the
// anchored tree (kNotFound when the log has fewer events than the anchor).
core::Status check_anchor(const std::optional<modules::AnchorRecord>& anchor, std::uint64_t newest_size,
                          const std::function<core::Status(const modules::AnchorRecord&)>& contains, std::string where,
                          VerifySummary& summary) {
  if (!anchor) {
    summary.anchor = "anchored on chain: not yet (" + where + ")";
    return {};
  }
  if (auto st = contains(*anchor); st.ok()) {
  } else if (st.error().code == core::ErrorCode::kNotFound) {
    return wrong(fmt::format("the chain anchors {} events of this log (block {}) but it has no checkpoint of them "
                             "(newest checked: {}): events were removed",
                             anchor->size, anchor->height, newest_size));
  } else {
    return wrong(fmt::format("the log's first {} events are not the ones anchored on chain at block {}: its history was "
                             "rewritten ({})",
                             anchor->size, anchor->height, st.error().message));
  }
  summary.anchor = fmt::format("anchored on chain: {} events at block {} ({} anchor(s); {}), contained in the log",
                               anchor->size, anchor->height, anchor->count, where);
  return {};
}

// Every checkpoint from --from on (signatures, consistency with the one before), then every event
// from the first checkpoint's size on against the newest checkpoint.
int verify_node(Io& io, VerifyAuditOptions& opts, const ledger::Genesis& genesis) {
  if (auto st = prepare_signer(io, opts.client); !st.ok()) return fail(io, st.error());
  std::vector<std::uint64_t> sizes;
  for (std::uint64_t from = opts.from;;) {
    auto page = call(opts.client, "GET", fmt::format("/v1/audit/checkpoints?from={}&limit=1000", from));
    if (!page.ok()) return fail(io, page.error());
    const json& got = (*page)["sizes"];
    for (const json& s : got) sizes.push_back(s.get<std::uint64_t>());
    if (got.size() < 1000) break;
    from = sizes.back() + 1;
  }
  if (sizes.empty()) return fail(io, wrong("the node has no checkpoint at or after size " + std::to_string(opts.from)));
  VerifySummary summary;
  std::optional<ledger::CheckedCheckpoint> previous;
  for (const std::uint64_t size : sizes) {
    auto doc = call(opts.client, "GET", fmt::format("/v1/audit/checkpoints/{}", size));
    if (!doc.ok()) return fail(io, doc.error());
    auto checked = ledger::check_audit_checkpoint(doc->value("note", std::string()), genesis, !opts.allow_classical);
    if (!checked.ok()) return fail(io, wrong("checkpoint " + std::to_string(size) + ": " + checked.error().message));
    if (checked->body.size != size) return fail(io, wrong("the note served as checkpoint " + std::to_string(size) + " is of size " + std::to_string(checked->body.size)));
    summary.post_quantum = summary.post_quantum && checked->post_quantum;
    if (auto st = check_cosigned(doc->value("note", std::string()), doc->value("cosigned_note", std::string()), size,
                                 genesis, !opts.allow_classical, summary);
        !st.ok()) {
      return fail(io, st.error());
    }
    if (previous) {
      if (checked->body.origin != previous->body.origin) return fail(io, wrong("checkpoint " + std::to_string(size) + " is of another log: " + checked->body.origin));
      auto c = call(opts.client, "GET", fmt::format("/v1/audit/consistency?from={}&to={}", previous->body.size, size));
      if (!c.ok()) return fail(io, c.error());
      auto proof = services::consistency_proof_from_json(*c);
      if (!proof.ok()) return fail(io, proof.error());
      if (auto st = ledger::check_audit_consistency(*proof, previous->body, checked->body); !st.ok()) return fail(io, st.error());
    }
    previous = std::move(checked).value();
    ++summary.checkpoints;
  }
  summary.origin = previous->body.origin;
  summary.validator = previous->validator;
  summary.validator_log = previous->validator_log;
  const merkle::Checkpoint& newest = previous->body;
  // Every event the newest checkpoint covers, from --from on: contiguous, each in it.
  std::uint64_t expected = opts.from;
  std::int64_t last_ms = 0;
  for (std::uint64_t cursor = opts.from; cursor < newest.size;) {
    auto page = call(opts.client, "GET", fmt::format("/v1/audit/events?cursor={}&limit=500&tree_size={}", cursor, newest.size));
    if (!page.ok()) return fail(io, page.error());
    for (const json& e : (*page)["events"]) {
      const std::uint64_t index = e.value("index", std::uint64_t{0});
      if (index >= newest.size) break;
      if (index != expected) return fail(io, wrong("event " + std::to_string(expected) + " is missing from the node's answer"));
      auto bytes = core::from_hex(e.value("bytes", std::string()));
      if (!bytes.ok()) return fail(io, wrong("event " + std::to_string(index) + ": bytes are not hex"));
      auto decoded = core::decode<storage::AuditEvent>(*bytes);
      if (!decoded.ok()) return fail(io, wrong("event " + std::to_string(index) + " does not decode"));
      if (decoded->action != e.value("action", std::string()) || decoded->actor != e.value("actor", std::string()) ||
          decoded->unix_ms != e.value("unix_ms", std::int64_t{0})) {
        return fail(io, wrong("event " + std::to_string(index) + ": the JSON fields differ from the signed bytes"));
      }
      if (decoded->unix_ms < last_ms) return fail(io, wrong("event " + std::to_string(index) + " is older than the one before"));
      last_ms = decoded->unix_ms;
      const json& p = e["proof"];
      if (!p.is_object()) return fail(io, wrong("event " + std::to_string(index) + " comes without a proof"));
      auto parsed = services::inclusion_proof_from_json(p);
      if (!parsed.ok()) return fail(io, parsed.error());
      const merkle::InclusionProof& proof = *parsed;
      if (proof.index != index) return fail(io, wrong("event " + std::to_string(index) + "'s proof is for index " + std::to_string(proof.index)));
      if (auto st = ledger::check_audit_inclusion(*bytes, proof, newest); !st.ok()) return fail(io, st.error());
      ++expected;
      ++summary.events;
      if (summary.events % 10'000 == 0) io.out << fmt::format("  {} events checked…\n", summary.events) << std::flush;
    }
    if ((*page)["next_cursor"].is_null()) break;
    cursor = (*page)["next_cursor"].get<std::uint64_t>();
  }
  if (expected < newest.size) return fail(io, wrong("events " + std::to_string(expected) + " and later are missing from the node's answer"));
  summary.newest_size = newest.size;

  // The node's anchor, from the chain's state with its proof to a certified header.
  const crypto::Address address = crypto::Address::from_public_key(log_owner(genesis, newest.origin));
  // At the newest certified block: the head's certificate may still be being gathered.
  auto answer = call(opts.client, "GET", "/v1/state/audit/anchor:" + address.to_string() + "?height=certified");
  if (!answer.ok()) return fail(io, answer.error());
  auto entry = proven_entry(*answer, modules::kAuditModule, modules::audit_anchor_key(address), std::nullopt, genesis);
  if (!entry.ok()) return fail(io, wrong("the node's answer for its anchor on chain: " + entry.error().message));
  std::optional<modules::AnchorRecord> anchor;
  if (*entry) {
    auto record = core::decode<modules::AnchorRecord>(**entry);
    if (!record.ok()) return fail(io, wrong("the anchor on chain does not decode: " + record.error().message));
    anchor = *record;
  }
  auto contains = [&](const modules::AnchorRecord& a) -> core::Status {
    merkle::Checkpoint anchored = newest;
    anchored.size = a.size;
    anchored.root = a.root;
    if (a.size == newest.size) {
      return a.root == newest.root ? core::Status{} : wrong("another root at the same size");
    }
    if (a.size < newest.size) {
      auto c = call(opts.client, "GET", fmt::format("/v1/audit/consistency?from={}&to={}", a.size, newest.size));
      if (!c.ok()) return c.error();
      auto proof = services::consistency_proof_from_json(*c);
      if (!proof.ok()) return proof.error();
      return ledger::check_audit_consistency(*proof, anchored, newest);
    }
    // Anchored after the checkpoints above were read: its checkpoint, signed and extending them.
    auto doc = call(opts.client, "GET", fmt::format("/v1/audit/checkpoints/{}", a.size));
    if (!doc.ok()) return core::make_error(core::ErrorCode::kNotFound, doc.error().message);
    auto later = ledger::check_audit_checkpoint(doc->value("note", std::string()), genesis, !opts.allow_classical);
    if (!later.ok()) return later.error();
    if (later->body.size != a.size || later->body.root != a.root) return wrong("its checkpoint of that size has another root");
    auto c = call(opts.client, "GET", fmt::format("/v1/audit/consistency?from={}&to={}", newest.size, a.size));
    if (!c.ok()) return c.error();
    auto proof = services::consistency_proof_from_json(*c);
    if (!proof.ok()) return proof.error();
    return ledger::check_audit_consistency(*proof, newest, later->body);
  };
  const std::string where = "proven at block " + std::to_string(answer->value("height", std::uint64_t{0}));
  if (auto st = check_anchor(anchor, newest.size, contains, where, summary); !st.ok()) return fail(io, st.error());
  if (auto st = require_witnessed(summary, genesis); !st.ok()) return fail(io, st.error());
  print_summary(io, summary, opts.from, ledger::audit_witnesses_needed(genesis));
  return kExitOk;
}

// Offline: the audit column of a stopped node's data directory, against the genesis.
int verify_data_dir(Io& io, const VerifyAuditOptions& opts, const fs::path& data, const ledger::Genesis& genesis) {
  if (auto holder = data_dir_holder(data)) {
    return fail(io, core::make_error(core::ErrorCode::kInvalidArgument,
                                     "data directory " + data.string() + " is in use by process " + std::to_string(*holder) +
                                         ": stop the node first, or check it while it runs with --node URL"));
  }
  storage::OpenOptions open;
  open.chain_id = genesis.chain_id;
  open.create_if_missing = false;
  open.read_only = true;
  auto db = storage::CueDb::open(data, open);
  if (!db.ok()) return fail(io, db.error());
  io.out << "reading the audit log in " << data.string() << "…" << std::endl;
  std::vector<core::Hash32> leaves;
  std::optional<core::Error> problem;
  auto st = storage::for_each_audit_event(**db, [&](std::uint64_t, const storage::AuditEvent&, core::ByteView bytes) {
    leaves.push_back(storage::audit_leaf_hash(bytes));
    return true;
  });
  if (!st.ok()) return fail(io, wrong(st.error().message + " in the audit column"));
  const merkle::MerkleLog tree(leaves);
  VerifySummary summary;
  summary.events = leaves.size();
  std::optional<ledger::CheckedCheckpoint> previous;
  st = storage::for_each_audit_checkpoint(**db, [&](std::uint64_t, std::string_view note) {
    auto checked = ledger::check_audit_checkpoint(note, genesis, !opts.allow_classical);
    if (!checked.ok()) {
      problem = checked.error();
      return false;
    }
    const std::uint64_t size = checked->body.size;
    auto root = size <= tree.size() ? tree.root_at(size) : core::Result<core::Hash32>(wrong(""));
    if (!root.ok() || *root != checked->body.root) {
      const std::uint64_t from = previous ? previous->body.size : 0;
      problem = wrong(size > tree.size()
                          ? "checkpoint " + std::to_string(size) + " is signed but only " + std::to_string(tree.size()) + " events are stored: events were removed"
                          : "the stored events do not hash to the signed root of checkpoint " + std::to_string(size) +
                                ": an event in " + std::to_string(from) + "-" + std::to_string(size - 1) +
                                " was changed or removed (checkpoint " + std::to_string(from) + " still matches)");
      return false;
    }
    summary.post_quantum = summary.post_quantum && checked->post_quantum;
    auto lines = storage::audit_cosignature_lines(**db, size);
    if (!lines.ok()) {
      problem = lines.error();
      return false;
    }
    if (auto cs = check_cosigned(std::string(note), lines->empty() ? "" : std::string(note) + *lines, size, genesis,
                                 !opts.allow_classical, summary);
        !cs.ok()) {
      problem = cs.error();
      return false;
    }
    ++summary.checkpoints;
    previous = std::move(checked).value();
    return true;
  });
  if (!st.ok()) return fail(io, st.error());
  if (problem) return fail(io, *problem);
  if (!previous) return fail(io, wrong("no checkpoint stored: nothing signed to check the events against"));
  summary.origin = previous->body.origin;
  summary.validator = previous->validator;
  summary.validator_log = previous->validator_log;
  summary.newest_size = previous->body.size;
  // The anchor in the state of the chain stored beside the log (its head).
  auto head = ledger::read_chain_head(**db);
  if (!head.ok()) return fail(io, head.error());
  std::optional<modules::AnchorRecord> anchor;
  std::string where = "no chain in this data directory";
  if (*head) {
    const ledger::StateAtRoot state(**db, (*head)->state_root);
    auto read = modules::read_anchor(state, crypto::Address::from_public_key(log_owner(genesis, previous->body.origin)));
    if (!read.ok()) return fail(io, read.error());
    anchor = *read;
    where = "in the stored chain's state at height " + std::to_string((*head)->height);
  }
  auto contains = [&](const modules::AnchorRecord& a) -> core::Status {
    if (a.size > tree.size()) return core::make_error(core::ErrorCode::kNotFound, "fewer events stored");
    auto root = tree.root_at(a.size);
    if (!root.ok()) return root.error();
    return *root == a.root ? core::Status{} : wrong("the stored events hash to another root");
  };
  if (auto cs = check_anchor(anchor, previous->body.size, contains, where, summary); !cs.ok()) return fail(io, cs.error());
  if (auto cs = require_witnessed(summary, genesis); !cs.ok()) return fail(io, cs.error());
  print_summary(io, summary, 0, ledger::audit_witnesses_needed(genesis));
  if (previous->body.size < tree.size()) {
    io.out << fmt::format("{} event(s) after the newest checkpoint are not signed yet\n", tree.size() - previous->body.size);
  }
  return kExitOk;
}


// A time as unix milliseconds, or as UTC "YYYY-MM-DDTHH:MM:SSZ".
core::Result<std::int64_t> parse_time(const std::string& text, const char* what) {
  if (!text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return static_cast<std::int64_t>(std::stoll(text));
  }
  std::tm tm{};
  const char* end = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  if (end == nullptr || *end != '\0') {
    return core::make_error(core::ErrorCode::kInvalidArgument,
                            std::string(what) + " '" + text + "' is neither unix milliseconds nor YYYY-MM-DDTHH:MM:SSZ");
  }
  return static_cast<std::int64_t>(timegm(&tm)) * 1000;
}

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string out = "\"";
  for (const char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// The CSV forms of a report, written from the signed bytes (events) and the proven transactions
// only, so verify-report can rebuild them and compare byte for byte.
std::string events_csv(const std::vector<storage::AuditEvent>& events, const std::vector<std::uint64_t>& indices) {
  std::string out = "index,time_utc,unix_ms,action,actor,source,subject,outcome,detail,status,digest,jurisdictions\n";
  for (std::size_t i = 0; i < events.size(); ++i) {
    const auto& e = events[i];
    std::string tags;
    for (const auto& j : e.jurisdictions) tags += (tags.empty() ? "" : ";") + j;
    out += std::to_string(indices[i]) + "," + utc_time(e.unix_ms) + "," + std::to_string(e.unix_ms) + "," + csv_field(e.action) +
           "," + csv_field(e.actor) + "," + csv_field(e.source) + "," + csv_field(e.subject) + "," + csv_field(e.outcome) + "," +
           csv_field(e.detail) + "," + std::to_string(e.status) + "," + e.digest + "," + csv_field(tags) + "\n";
  }
  return out;
}

// The sender's jurisdiction tags at the transaction's height, from a GET
// /v1/state/gov/jurisdiction:SENDER?height=H answer checked against a certified header.
core::Result<std::vector<std::string>> proven_jurisdictions(const json& answer, const std::string& sender,
                                                            std::uint64_t height, const ledger::Genesis& genesis) {
  MN_TRY_ASSIGN(const crypto::Address address, crypto::Address::parse(sender));
  MN_TRY_ASSIGN(const auto value, proven_entry(answer, modules::kGovModule, modules::gov_jurisdiction_key(address), height, genesis));
  if (!value) return std::vector<std::string>{};
  return modules::decode_jurisdictions(*value);
}

// Each transaction of a report with its sender's tags as proven ("jurisdictions").
std::string transactions_csv(const json& transactions) {
  std::string out = "hash,height,time_utc,sender,module,kind,status,jurisdictions\n";
  for (const json& t : transactions) {
    const json& a = t["answer"];
    const json& tx = a["tx"];
    const json& payload = tx.value("payload", json::object());
    std::string tags;
    for (const json& j : t.value("jurisdictions", json::array())) tags += (tags.empty() ? "" : ";") + j.get<std::string>();
    out += t.value("hash", std::string()) + "," + std::to_string(a.value("height", std::uint64_t{0})) + "," +
           utc_time(a["block"]["header"].value("timestamp_unix_ms", std::int64_t{0})) + "," + tx.value("sender", std::string()) +
           "," + csv_field(payload.value("module", std::string())) + "," + csv_field(payload.value("kind", std::string())) + "," +
           a["receipt"].value("status", std::string()) + "," + csv_field(tags) + "\n";
  }
  return out;
}

core::Status write_text(const fs::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) return core::make_error(core::ErrorCode::kIo, "cannot write " + file.string());
  return {};
}

// `metanode audit report`: the events in [from, to] matching the filters, each with its proof to
// the newest checkpoint, and (with --actor) the transactions that address sent in that time, each
// with its proof to a certified header; as JSON (report.json, what verify-report checks), CSV and
// the checkpoint note.
int run_report(Io& io, ReportOptions opts) {
  auto from = parse_time(opts.from, "--from");
  auto to = parse_time(opts.to, "--to");
  if (!from.ok()) return fail(io, from.error());
  if (!to.ok()) return fail(io, to.error());
  if (*to < *from) return fail(io, core::make_error(core::ErrorCode::kInvalidArgument, "--to is before --from"));
  if (auto st = prepare_signer(io, opts.client); !st.ok()) return fail(io, st.error());
  auto checkpoint = call(opts.client, "GET", "/v1/audit/checkpoint");
  if (!checkpoint.ok()) return fail(io, checkpoint.error());
  const std::uint64_t size = checkpoint->value("size", std::uint64_t{0});
  std::string filters = fmt::format("&from_ms={}&to_ms={}&tree_size={}", *from, *to, size);
  if (!opts.actor.empty()) filters += "&actor=" + opts.actor;
  if (!opts.jurisdiction.empty()) filters += "&jurisdiction=" + opts.jurisdiction;
  json events = json::array();
  std::uint64_t unsigned_yet = 0;
  for (std::optional<std::uint64_t> cursor;;) {
    auto page = call(opts.client, "GET", "/v1/audit/events?limit=500" + filters + (cursor ? fmt::format("&cursor={}", *cursor) : ""));
    if (!page.ok()) return fail(io, page.error());
    for (const json& e : (*page)["events"]) {
      if (e["proof"].is_null()) {
        ++unsigned_yet;
      } else {
        events.push_back(e);
      }
    }
    if ((*page)["next_cursor"].is_null()) break;
    cursor = (*page)["next_cursor"].get<std::uint64_t>();
  }
  json transactions = json::array();
  if (!opts.actor.empty()) {
    // The transactions' jurisdictions are checked before they are written (--genesis or --home).
    auto genesis = trusted_genesis(opts.client);
    if (!genesis.ok()) return fail(io, genesis.error());
    auto latest = call(opts.client, "GET", "/v1/blocks/latest");
    if (!latest.ok()) return fail(io, latest.error());
    const std::uint64_t head = (*latest)["header"].value("height", std::uint64_t{0});
    const auto time_of = [&](std::uint64_t h) -> core::Result<std::int64_t> {
      MN_TRY_ASSIGN(const json block, call(opts.client, "GET", fmt::format("/v1/blocks/{}", h)));
      return block["header"].value("timestamp_unix_ms", std::int64_t{0});
    };
    std::uint64_t lo = 1;
    std::uint64_t hi = head + 1;
    while (lo < hi) {  // the first block at or after --from
      const std::uint64_t mid = lo + (hi - lo) / 2;
      auto t = time_of(mid);
      if (!t.ok()) return fail(io, t.error());
      if (*t < *from) lo = mid + 1; else hi = mid;
    }
    for (std::uint64_t h = lo; h <= head; ++h) {
      auto block = call(opts.client, "GET", fmt::format("/v1/blocks/{}?full=true", h));
      if (!block.ok()) return fail(io, block.error());
      if ((*block)["header"].value("timestamp_unix_ms", std::int64_t{0}) > *to) break;
      for (const json& tx : (*block)["txs"]) {
        if (tx.value("sender", std::string()) != opts.actor) continue;
        const std::string hash = tx.value("hash", std::string());
        auto answer = call(opts.client, "GET", "/v1/txs/" + hash);
        if (!answer.ok()) return fail(io, answer.error());
        // The sender's jurisdictions when it was included, proven like the transaction.
        const std::uint64_t height = answer->value("height", std::uint64_t{0});
        auto tags_answer = call(opts.client, "GET", fmt::format("/v1/state/gov/jurisdiction:{}?height={}", opts.actor, height));
        if (!tags_answer.ok()) return fail(io, tags_answer.error());
        auto tags = proven_jurisdictions(*tags_answer, opts.actor, height, *genesis);
        if (!tags.ok()) return fail(io, tags.error());
        if (!opts.jurisdiction.empty() && std::find(tags->begin(), tags->end(), opts.jurisdiction) == tags->end()) continue;
        transactions.push_back({{"hash", hash}, {"answer", *answer}, {"jurisdictions_answer", *tags_answer},
                                {"jurisdictions", *tags}});
      }
      if ((h - lo) % 1000 == 999) io.out << fmt::format("  {} blocks scanned…\n", h - lo + 1) << std::flush;
    }
  }
  const fs::path out(opts.out);
  std::error_code ec;
  fs::create_directories(out, ec);
  if (ec) return fail(io, core::make_error(core::ErrorCode::kIo, "cannot create " + out.string() + ": " + ec.message()));
  const json report = {{"from_ms", *from}, {"to_ms", *to}, {"actor", opts.actor}, {"jurisdiction", opts.jurisdiction},
                       {"checkpoint", *checkpoint}, {"events", events}, {"transactions", transactions}};
  std::vector<storage::AuditEvent> decoded;
  std::vector<std::uint64_t> indices;
  for (const json& e : events) {
    auto bytes = core::from_hex(e.value("bytes", std::string()));
    auto event = bytes.ok() ? core::decode<storage::AuditEvent>(*bytes) : core::Result<storage::AuditEvent>(bytes.error());
    if (!event.ok()) return fail(io, core::make_error(core::ErrorCode::kProofInvalid, "the node sent an event that does not decode"));
    decoded.push_back(std::move(event).value());
    indices.push_back(e.value("index", std::uint64_t{0}));
  }
  for (const auto& [name, text] : std::vector<std::pair<std::string, std::string>>{
           {"report.json", report.dump(1)}, {"events.csv", events_csv(decoded, indices)},
           {"transactions.csv", transactions_csv(transactions)}, {"checkpoint.note", checkpoint->value("note", std::string())}}) {
    if (auto st = write_text(out / name, text); !st.ok()) return fail(io, st.error());
  }
  io.out << fmt::format("report in {}: {} event(s) and {} transaction(s) from {} to {}, proven against checkpoint {} of {}{}\n",
                        out.string(), events.size(), transactions.size(), utc_time(*from), utc_time(*to), size,
                        checkpoint->value("origin", std::string()),
                        unsigned_yet ? fmt::format(" ({} newer event(s) left out: not in a checkpoint yet)", unsigned_yet) : "");
  io.out << "check it with: metanode audit verify-report " << out.string() << " --genesis GENESIS.json\n";
  return kExitOk;
}

// `metanode audit verify-report DIR`: the checkpoint's signatures by the genesis validator it
// names, every event's inclusion and its place in the report's filters, every transaction's proof
// against a certified header, and the CSV files rebuilt from what was proven, byte for byte.
int run_verify_report(Io& io, const VerifyReportOptions& opts) {
  const fs::path dir(opts.dir);
  std::ifstream in(dir / "report.json");
  const json report = json::parse(in, nullptr, false);
  const auto bad = [&](const std::string& why) { return fail(io, core::make_error(core::ErrorCode::kProofInvalid, why)); };
  if (report.is_discarded() || !report.is_object()) return bad((dir / "report.json").string() + " is missing or not JSON");
  auto genesis = trusted_genesis(opts.client);
  if (!genesis.ok()) return fail(io, genesis.error());
  auto checked = ledger::check_audit_checkpoint(report["checkpoint"].value("note", std::string()), *genesis);
  if (!checked.ok()) return bad("the report's checkpoint: " + checked.error().message);
  const std::int64_t from = report.value("from_ms", std::int64_t{0});
  const std::int64_t to = report.value("to_ms", std::int64_t{0});
  const std::string actor = report.value("actor", std::string());
  const std::string jurisdiction = report.value("jurisdiction", std::string());
  std::vector<storage::AuditEvent> events;
  std::vector<std::uint64_t> indices;
  for (const json& e : report["events"]) {
    const std::uint64_t index = e.value("index", std::uint64_t{0});
    auto bytes = core::from_hex(e.value("bytes", std::string()));
    if (!bytes.ok()) return bad("event " + std::to_string(index) + ": bytes are not hex");
    const json& p = e["proof"];
    auto parsed = services::inclusion_proof_from_json(p);
    if (!parsed.ok()) return fail(io, parsed.error());
    const merkle::InclusionProof& proof = *parsed;
    if (proof.index != index) return bad("event " + std::to_string(index) + "'s proof is for index " + std::to_string(proof.index));
    if (auto st = ledger::check_audit_inclusion(*bytes, proof, checked->body); !st.ok()) return fail(io, st.error());
    auto event = core::decode<storage::AuditEvent>(*bytes).value();
    if (event.unix_ms < from || event.unix_ms > to) return bad("event " + std::to_string(index) + " is outside the report's time range");
    if (!actor.empty() && event.actor != actor) return bad("event " + std::to_string(index) + " is of another actor");
    if (!jurisdiction.empty() && std::find(event.jurisdictions.begin(), event.jurisdictions.end(), jurisdiction) == event.jurisdictions.end()) {
      return bad("event " + std::to_string(index) + " is not tagged " + jurisdiction);
    }
    events.push_back(std::move(event));
    indices.push_back(index);
  }
  json proven_transactions = json::array();  // what transactions.csv is rebuilt from
  for (const json& t : report["transactions"]) {
    auto hash = core::array_from_hex<32>(t.value("hash", std::string()));
    if (!hash.ok()) return bad("a transaction hash is not 32 bytes of hex");
    auto proven = services::verify_tx_answer(t["answer"], *hash, *genesis);
    if (!proven.ok()) return bad("transaction " + t.value("hash", std::string()) + ": " + proven.error().message);
    const auto time = t["answer"]["block"]["header"].value("timestamp_unix_ms", std::int64_t{0});
    if (time < from || time > to) return bad("transaction " + t.value("hash", std::string()) + " is outside the time range");
    if (t["answer"]["tx"].value("sender", std::string()) != actor) return bad("transaction " + t.value("hash", std::string()) + " is of another sender");
    auto tags = proven_jurisdictions(t.value("jurisdictions_answer", json()), actor, t["answer"].value("height", std::uint64_t{0}),
                                     *genesis);
    if (!tags.ok()) return bad("transaction " + t.value("hash", std::string()) + "'s jurisdictions: " + tags.error().message);
    if (!jurisdiction.empty() && std::find(tags->begin(), tags->end(), jurisdiction) == tags->end()) {
      return bad("transaction " + t.value("hash", std::string()) + "'s sender was not tagged " + jurisdiction);
    }
    proven_transactions.push_back({{"hash", t["hash"]}, {"answer", t["answer"]}, {"jurisdictions", *tags}});
  }
  const auto same_file = [&](const std::string& name, const std::string& expected) {
    std::ifstream file(dir / name, std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    if (text == expected) return true;
    std::size_t line = 1;
    for (std::size_t i = 0; i < std::min(text.size(), expected.size()) && text[i] == expected[i]; ++i) line += text[i] == '\n';
    bad(name + " differs from what the report proves, from line " + std::to_string(line));
    return false;
  };
  if (!same_file("events.csv", events_csv(events, indices))) return kExitFailed;
  if (!same_file("transactions.csv", transactions_csv(proven_transactions))) return kExitFailed;
  if (!same_file("checkpoint.note", report["checkpoint"].value("note", std::string()))) return kExitFailed;
  io.out << fmt::format("report verified: {} event(s) in checkpoint {} of {} ({}, Ed25519 and ML-DSA-65), {} transaction(s) in "
                        "certified blocks, from {} to {}; events.csv and transactions.csv match them\n",
                        events.size(), checked->body.size, checked->body.origin, checked->validator,
                        report["transactions"].size(), utc_time(from), utc_time(to));
  return kExitOk;
}

int run_verify_audit(Io& io, VerifyAuditOptions opts) {
  fs::path data;
  if (!opts.config_file.empty()) {
    auto config = node::NodeConfig::load(opts.config_file);
    if (!config.ok()) return fail(io, config.error());
    if (opts.client.genesis_file.empty()) opts.client.genesis_file = config->resolve(config->genesis_file).string();
    data = config->resolve(config->data_dir);
  } else if (!opts.data_dir.empty()) {
    data = opts.data_dir;
  }
  auto genesis = trusted_genesis(opts.client);
  if (!genesis.ok()) return fail(io, genesis.error());
  if (!data.empty()) return verify_data_dir(io, opts, data, *genesis);
  return verify_node(io, opts, *genesis);
}

}  // namespace

void add_audit_commands(CLI::App& app, Io& io, std::function<int()>& dispatch) {
  CLI::App* audit = app.add_subcommand(
      "audit", "The node's audit trail: a signed Merkle log of every request decision, block, governance action and "
               "lifecycle event (needs --as KEY with the auditor or admin role)");
  audit->require_subcommand(1);

  auto d = std::make_shared<DecisionsOptions>();
  CLI::App* decisions = audit->add_subcommand(
      "decisions", "The node's latest Cage decisions (who called what, allowed or why refused), newest first");
  add_client_options(decisions, d->client);
  decisions->add_option("--limit", d->limit, "How many (1-1000)")->capture_default_str()->check(CLI::Range(1, 1000));
  decisions->add_flag("--refused", d->refused_only, "Only refusals");
  decisions->callback([&io, &dispatch, d] { dispatch = [&io, d] { return run_decisions(io, *d); }; });

  auto t = std::make_shared<TailOptions>();
  CLI::App* tail = audit->add_subcommand("tail", "The newest audit events, oldest first (--follow keeps printing new ones)");
  add_client_options(tail, t->client);
  tail->add_option("--limit", t->limit, "How many (1-10000)")->capture_default_str()->check(CLI::Range(1, 10'000));
  tail->add_option("--action", t->action, "Only this action (http.request, block.commit, governance.*, node.start, ...)");
  tail->add_option("--actor", t->actor, "Only this actor (an address, or a client IP for unsigned requests)");
  tail->add_flag("--follow,-f", t->follow, "Keep printing new events (Ctrl-C stops)");
  tail->callback([&io, &dispatch, t] { dispatch = [&io, t] { return run_tail(io, *t); }; });

  auto w = std::make_shared<ClientOptions>();
  CLI::App* witness = audit->add_subcommand(
      "witness", "What this validator witnesses of the other validators' audit logs (the newest checkpoint it cosigned "
                 "of each) and the checkpoints it refused because they did not extend the one before");
  add_client_options(witness, *w);
  witness->callback([&io, &dispatch, w] { dispatch = [&io, w] { return run_witness(io, *w); }; });

  auto v = std::make_shared<VerifyAuditOptions>();
  CLI::App* verify = audit->add_subcommand(
      "verify",
      "Re-check a node's whole audit log against the genesis alone: every checkpoint's Ed25519 and ML-DSA-65 signature "
      "by the validator it names, each checkpoint's consistency with the one before, every event's inclusion, the "
      "node's anchor on chain (the log must contain it) and the other validators' witness cosignatures (f + 1 needed); "
      "names the first thing that is wrong. Over HTTP (--node URL --as KEY) or offline (--config FILE, or --data-dir DIR "
      "--genesis FILE, on a stopped node). BPCI's own log: --node http://HOST:8080/bpci, or --data-dir BPCI_DATA/db "
      "(a log the genesis registers in modules.audit.logs: anchored, not witnessed)");
  add_client_options(verify, v->client);
  verify->add_option("--data-dir", v->data_dir, "A stopped node's data directory (needs --genesis or --home)");
  verify->add_option("--genesis", v->client.genesis_file, "The genesis to check against (default: --home's)");
  verify->add_option("--config", v->config_file, "A stopped node's config.toml (its data directory and genesis)");
  verify->add_option("--from", v->from, "Start at this checkpoint size (events before it are not re-checked)");
  verify->add_flag("--allow-classical", v->allow_classical,
                   "Accept checkpoints without an ML-DSA-65 line (a node started without its keystore's ML-DSA key)");
  verify->callback([&io, &dispatch, v] { dispatch = [&io, v] { return run_verify_audit(io, *v); }; });

  auto r = std::make_shared<ReportOptions>();
  CLI::App* report = audit->add_subcommand(
      "report", "A regulatory report: the audit events from --from to --to matching --actor and --jurisdiction, each "
                "with its proof to the newest signed checkpoint, and (with --actor) the transactions that address "
                "sent, each with its proof to a certified block; written to --out as report.json, events.csv, "
                "transactions.csv and checkpoint.note");
  add_client_options(report, r->client);
  report->add_option("--from", r->from, "Start: unix ms or YYYY-MM-DDTHH:MM:SSZ")->required();
  report->add_option("--to", r->to, "End (inclusive): unix ms or YYYY-MM-DDTHH:MM:SSZ")->required();
  report->add_option("--actor", r->actor, "Only this actor (an mn1 address, or a client IP)");
  report->add_option("--jurisdiction", r->jurisdiction, "Only events tagged with this jurisdiction (and, with --actor, transactions whose sender was tagged with it when they were included)");
  report->add_option("--out", r->out, "The report's directory (created)")->required();
  report->callback([&io, &dispatch, r] { dispatch = [&io, r] { return run_report(io, *r); }; });

  auto vr = std::make_shared<VerifyReportOptions>();
  CLI::App* verify_report = audit->add_subcommand(
      "verify-report", "Check a report offline with the genesis alone: the checkpoint's signatures, every event's "
                       "inclusion and filters, every transaction's proof, and the CSV files against what is proven");
  verify_report->add_option("dir", vr->dir, "The report's directory")->required();
  verify_report->add_option("--genesis", vr->client.genesis_file, "The genesis to check against");
  verify_report->add_option("--home", vr->client.home, "A node home whose config names the genesis");
  verify_report->callback([&io, &dispatch, vr] { dispatch = [&io, vr] { return run_verify_report(io, *vr); }; });
}

}  // namespace metanode::cli
