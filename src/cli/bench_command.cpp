#include "cli/bench_command.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <fmt/format.h>

#include <signal.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <nlohmann/json.hpp>
#include <ostream>
#include <random>
#include <thread>
#include <unordered_map>

#include "cli/json_u64.hpp"
#include "core/arith.hpp"
#include "services/ledger/ledger_json.hpp"
#include "services/ledger/ledger_service.hpp"
#include "api/http/http_client.hpp"
#include "cli/request_signer.hpp"
#include "cli/node_commands.hpp"
#include "cli/passphrase.hpp"
#include "crypto/keystore.hpp"
#include "crypto/random.hpp"
#include "mempool/auction_mempool.hpp"
#include "node/config.hpp"
#include "modules/bank.hpp"

namespace metanode::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

struct BenchOptions {
  std::string home;
  std::string node_url;
  std::string nodes;     // comma-separated API URLs: submissions go round-robin across them
  std::string devnet;    // a `metanode up` directory: home = DIR/node0, nodes = every node's API
  std::string report;    // JSON file: every transfer with whether and where it was reported committed
  std::string from = "dev";
  std::size_t txs = 20'000;
  std::size_t senders = 200;
  std::size_t concurrency = 4;
  std::size_t batch = 100;
  double rate_tps = 0;  // 0: as fast as possible
  std::uint32_t timeout_s = 120;
  bool json_output = false;
  // Failover: SIGKILL these validators of the --devnet (indices, comma-separated) `kill_at_s`
  // seconds into the load, and report latency and commit gaps before and after.
  std::string kill_validators;
  double kill_at_s = 0;
};

// The validators to kill and when, resolved before the load starts.
struct FaultPlan {
  std::vector<std::size_t> indices;
  std::vector<pid_t> pids;
  double at_s = 0;
};

core::Error bench_error(std::string why) { return core::make_error(core::ErrorCode::kInvalidArgument, std::move(why)); }
core::Error io_error(std::string why) { return core::make_error(core::ErrorCode::kIo, std::move(why)); }

core::Result<json> get_json(HttpConnection& conn, const std::string& target) {
  MN_TRY_ASSIGN(HttpReply reply, conn.request("GET", target));
  json doc = json::parse(reply.body, nullptr, false);
  if (reply.status != 200 || doc.is_discarded()) {
    return core::make_error(core::ErrorCode::kIo, "GET " + target + " answered " + std::to_string(reply.status) + ": " +
                                                      reply.body.substr(0, 200));
  }
  return doc;
}

// u32 count, then each transaction as u32 length + bytes (see services::kBatchTxsMax).
std::string encode_batch(const std::vector<core::Bytes>& encoded, std::size_t from, std::size_t to) {
  core::Writer w;
  w.u32(static_cast<std::uint32_t>(to - from));
  for (std::size_t i = from; i < to; ++i) w.bytes(encoded[i], ledger::kTxBytesMax);
  const core::Bytes& bytes = w.data();
  return std::string(bytes.begin(), bytes.end());
}

struct Percentiles {
  double p50 = 0, p99 = 0, max = 0;
};

Percentiles percentiles(std::vector<double> values) {
  Percentiles p;
  if (values.empty()) return p;
  std::sort(values.begin(), values.end());
  auto at = [&](double q) { return values[std::min(values.size() - 1, static_cast<std::size_t>(q * static_cast<double>(values.size())))]; };
  p.p50 = at(0.50);
  p.p99 = at(0.99);
  p.max = values.back();
  return p;
}

// Where the load goes: `url` is followed for commits (and funds the senders), `submit_urls` take
// the batches round-robin.
struct Targets {
  std::string url;
  std::vector<std::string> submit_urls;
};

core::Result<Targets> resolve_targets(BenchOptions& opts) {
  Targets t;
  if (!opts.devnet.empty()) {
    if (opts.home.empty()) opts.home = (fs::path(opts.devnet) / "node0").string();
    for (std::size_t i = 0; fs::exists(fs::path(opts.devnet) / ("node" + std::to_string(i)) / "config.toml"); ++i) {
      MN_TRY_ASSIGN(auto config, node::NodeConfig::load(fs::path(opts.devnet) / ("node" + std::to_string(i)) / "config.toml"));
      t.submit_urls.push_back("http://" + config.listen_address + ":" + std::to_string(config.ledger_port()));
    }
    if (t.submit_urls.empty()) return core::make_error(core::ErrorCode::kNotFound, "no node0/config.toml under " + opts.devnet);
  }
  if (opts.home.empty()) return bench_error("give --home (the funding key's home) or --devnet");
  for (std::size_t start = 0; start < opts.nodes.size();) {
    const std::size_t comma = std::min(opts.nodes.find(',', start), opts.nodes.size());
    if (comma > start) t.submit_urls.push_back(opts.nodes.substr(start, comma - start));
    start = comma + 1;
  }
  t.url = opts.node_url;
  if (t.url.empty() && !t.submit_urls.empty()) t.url = t.submit_urls.front();
  if (t.url.empty()) {
    MN_TRY_ASSIGN(auto config, node::NodeConfig::load(fs::path(opts.home) / "config.toml"));
    t.url = "http://" + config.listen_address + ":" + std::to_string(config.ledger_port());
  }
  if (t.submit_urls.empty()) t.submit_urls.push_back(t.url);
  return t;
}

// The funding key (dev) from the home's key store.
core::Result<crypto::KeyPair> unlock_funder(Io& io, const BenchOptions& opts) {
  PassphraseSource source;
  if (fs::exists(fs::path(opts.home) / "passphrase")) source.file = (fs::path(opts.home) / "passphrase").string();
  MN_TRY_ASSIGN(auto passphrase, read_passphrase(source, io, false));
  crypto::Keystore store(fs::path(opts.home) / "keys");
  MN_TRY_ASSIGN(auto secrets, store.unlock(opts.from, passphrase));
  return secrets.ed25519();
}

struct ChainFacts {
  std::string chain_id;
  core::Hash32 genesis_digest{};  // what the transfers' signatures bind
  std::uint64_t max_fee = 0;  // what every bench transfer offers: far above the base fee
};

core::Result<ChainFacts> read_chain(HttpConnection& control) {
  MN_TRY_ASSIGN(json health, get_json(control, "/health"));
  MN_TRY_ASSIGN(json mempool_status, get_json(control, "/v1/mempool?levels=0"));
  ChainFacts facts;
  facts.chain_id = health["chain_id"].get<std::string>();
  auto digest = core::array_from_hex<32>(health.value("genesis_digest", std::string()));
  if (!digest.ok()) return io_error("the node's /health has no genesis_digest");
  facts.genesis_digest = *digest;
  facts.max_fee = core::saturating_add(core::saturating_mul(4, u64_of(mempool_status["base_fee"])), 1'000);
  return facts;
}

// Waits until the account at `url` has used every nonce below `nonce_end`.
core::Status wait_for_nonce(HttpConnection& conn, const crypto::Address& account, std::uint64_t nonce_end,
                            Clock::time_point deadline, const std::string& what) {
  while (true) {
    auto doc = get_json(conn, "/v1/accounts/" + account.to_string());
    if (doc.ok() && u64_of((*doc)["nonce"]) >= nonce_end) return {};
    if (Clock::now() > deadline) return io_error(what + " did not apply the funding transfers in time");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

// One transfer from the funder to each sender, enough for its share of the load; waits until
// every node that takes submissions has applied them (or its first transfers would be refused
// for want of balance).
core::Status fund_senders(HttpConnection& control, const crypto::KeyPair& funder, const ChainFacts& chain,
                          const std::vector<crypto::KeyPair>& senders, std::size_t per_sender, const Targets& targets,
                          std::uint32_t timeout_s) {
  const crypto::Address funder_address = crypto::Address::from_public_key(funder.public_key());
  MN_TRY_ASSIGN(json funder_account, get_json(control, "/v1/accounts/" + funder_address.to_string()));
  std::uint64_t nonce = u64_of(funder_account["next_nonce"]);
  const std::uint64_t nonce_end = nonce + senders.size();
  std::vector<core::Bytes> funding;
  for (const auto& s : senders) {
    ledger::Transaction tx;
    tx.chain_id = chain.chain_id;
    tx.nonce = nonce++;
    tx.max_fee = chain.max_fee;
    tx.bid = 1;
    tx.payload = modules::transfer_payload(crypto::Address::from_public_key(s.public_key()),
                                           static_cast<std::uint64_t>(per_sender) * (chain.max_fee + 10));
    tx.sign_single(funder, chain.genesis_digest);
    funding.push_back(core::encode(tx));
  }
  for (std::size_t from = 0; from < funding.size(); from += services::kBatchTxsMax) {
    const std::size_t to = std::min(funding.size(), from + services::kBatchTxsMax);
    MN_TRY_ASSIGN(auto reply, control.request("POST", "/v1/txs/batch", encode_batch(funding, from, to), "application/octet-stream"));
    const json doc = json::parse(reply.body, nullptr, false);
    if (reply.status != 202 || doc.is_discarded() || !doc["rejected"].empty()) {
      return io_error("funding refused: " + reply.body.substr(0, 300));
    }
  }
  const auto deadline = Clock::now() + std::chrono::seconds(timeout_s);
  MN_TRY(wait_for_nonce(control, funder_address, nonce_end, deadline, targets.url));
  for (const auto& node_url : targets.submit_urls) {
    auto conn = HttpConnection::connect(node_url, std::chrono::seconds(10));
    if (!conn.ok()) continue;  // a node that is down gets no batches until it is back
    MN_TRY(wait_for_nonce(**conn, funder_address, nonce_end, deadline, node_url));
  }
  return {};
}

struct SignedLoad {
  std::vector<core::Bytes> encoded;
  std::vector<core::Hash32> hashes;
};

// Signs everything in advance, on every core; ordered round by round so each batch carries
// consecutive nonces of many senders.
SignedLoad sign_transfers(Io& io, const ChainFacts& chain, const std::vector<crypto::KeyPair>& senders,
                          std::size_t per_sender, std::size_t txs) {
  SignedLoad load;
  load.encoded.resize(per_sender * senders.size());
  load.hashes.resize(load.encoded.size());
  const auto started = Clock::now();
  const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::thread> workers;
  for (unsigned t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      std::mt19937_64 rng(t + 1);
      for (std::size_t i = t; i < load.encoded.size(); i += threads) {
        ledger::Transaction tx;
        tx.chain_id = chain.chain_id;
        tx.nonce = i / senders.size();
        tx.max_fee = chain.max_fee;
        tx.bid = 1 + rng() % 100;
        crypto::Address to;
        const std::uint64_t recipient = rng() % 10'000;
        for (int b = 0; b < 8; ++b) to.bytes[static_cast<std::size_t>(b)] = static_cast<core::Byte>(recipient >> (8 * b));
        to.bytes[31] = 0xbe;
        tx.payload = modules::transfer_payload(to, 1 + rng() % 5);
        tx.sign_single(senders[i % senders.size()], chain.genesis_digest);
        load.hashes[i] = tx.hash();
        load.encoded[i] = core::encode(tx);
      }
    });
  }
  for (auto& w : workers) w.join();
  io.out << fmt::format("bench: signed {} transfers in {:.2f} s\n", load.encoded.size(),
                        std::chrono::duration<double>(Clock::now() - started).count())
         << std::flush;
  load.encoded.resize(txs);
  load.hashes.resize(txs);
  return load;
}

// When each transfer was submitted, accepted, and seen committed (and at what height).
struct Tracking {
  explicit Tracking(const std::vector<core::Hash32>& hashes)
      : submitted_at(hashes.size()), committed_at(hashes.size()), committed_height(hashes.size(), 0),
        committed(hashes.size(), 0), accepted(hashes.size(), 0) {
    index_of.reserve(hashes.size());
    for (std::size_t i = 0; i < hashes.size(); ++i) index_of[hashes[i]] = i;
  }
  std::unordered_map<core::Hash32, std::size_t, mempool::Hash32Hasher> index_of;
  std::vector<Clock::time_point> submitted_at;
  std::vector<Clock::time_point> committed_at;
  std::vector<std::uint64_t> committed_height;
  std::vector<char> committed;
  std::vector<char> accepted;
  std::atomic<std::size_t> committed_count{0};
  std::atomic<std::size_t> rejected_count{0};
  // When each block was seen committed (the follower's thread writes, report() reads after it stopped).
  std::vector<Clock::time_point> block_seen_at;
  std::mutex rejection_mutex;
  std::string first_rejection;

  void reject(std::size_t count, const std::string& why) {
    rejected_count += count;
    std::lock_guard lock(rejection_mutex);
    if (first_rejection.empty()) first_rejection = why;
  }
};

// Follows commits on its own thread: the event stream announces blocks; their tx hashes come
// from the API. Follows node after node: when the one followed goes down, the next one takes
// over, and the blocks announced meanwhile are read from the API (every height after the last
// one seen).
class CommitFollower {
 public:
  CommitFollower(Tracking& tracking, std::vector<std::string> urls, std::uint64_t start_height, std::uint32_t timeout_s)
      : tracking_(tracking), urls_(std::move(urls)), seen_height_(start_height), timeout_s_(timeout_s) {}
  void start() { thread_ = std::thread([this] { run(); }); }
  // Ends the thread (a blocked read is shut down) and returns the error that stopped it, if any.
  std::optional<std::string> stop() {
    done_ = true;
    if (const int fd = socket_.load(); fd >= 0) ::shutdown(fd, SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
    return failed_ ? std::optional<std::string>(error_) : std::nullopt;
  }
  bool failed() const { return failed_; }

 private:
  void run() {
    const auto give_up = Clock::now() + std::chrono::seconds(timeout_s_ + 600);
    for (std::size_t k = 0; !done_; k = (k + 1) % urls_.size()) {
      try {
        follow(urls_[k]);
      } catch (const std::exception& e) {
        socket_ = -1;
        if (done_) break;
        if (urls_.size() == 1 || Clock::now() > give_up) {
          error_ = e.what();
          failed_ = true;
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
      }
    }
  }

  void follow(const std::string& url) {
    namespace beast = boost::beast;
    namespace websocket = beast::websocket;
    const auto endpoint = split_url(url);
    if (!endpoint.ok()) throw std::runtime_error(endpoint.error().to_string());
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::resolver resolver(ioc);
    websocket::stream<beast::tcp_stream> ws(ioc);
    beast::get_lowest_layer(ws).connect(resolver.resolve(endpoint->first, endpoint->second));
    ws.handshake(endpoint->first, "/v1/events");
    socket_ = beast::get_lowest_layer(ws).socket().native_handle();
    auto reader = HttpConnection::connect(url, std::chrono::seconds(30));
    if (!reader.ok()) throw std::runtime_error(reader.error().to_string());
    beast::flat_buffer buffer;
    while (!done_) {
      beast::error_code ec;
      ws.read(buffer, ec);
      if (done_) break;
      if (ec) throw beast::system_error(ec);
      const auto now = Clock::now();
      const json event = json::parse(beast::buffers_to_string(buffer.data()), nullptr, false);
      buffer.consume(buffer.size());
      if (event.is_discarded() || !event.contains("height")) continue;
      const std::uint64_t height = event["height"].get<std::uint64_t>();
      for (std::uint64_t h = seen_height_ + 1; h <= height; ++h) record_block(**reader, h, now);
      seen_height_ = std::max(seen_height_, height);
    }
  }

  void record_block(HttpConnection& reader, std::uint64_t height, Clock::time_point now) {
    auto block = get_json(reader, "/v1/blocks/" + std::to_string(height));
    if (!block.ok()) throw std::runtime_error(block.error().to_string());
    tracking_.block_seen_at.push_back(now);
    for (const auto& tx_hash : (*block)["tx_hashes"]) {
      auto hash = core::array_from_hex<32>(tx_hash.get<std::string>());
      if (!hash.ok()) continue;
      auto it = tracking_.index_of.find(*hash);
      if (it == tracking_.index_of.end() || tracking_.committed[it->second]) continue;
      tracking_.committed[it->second] = 1;
      tracking_.committed_at[it->second] = now;
      tracking_.committed_height[it->second] = height;
      tracking_.committed_count.fetch_add(1);
    }
  }

  Tracking& tracking_;
  const std::vector<std::string> urls_;
  std::uint64_t seen_height_;
  const std::uint32_t timeout_s_;
  std::thread thread_;
  std::atomic<bool> done_{false};
  std::atomic<bool> failed_{false};
  std::atomic<int> socket_{-1};  // shut down from stop() to end a blocked read
  std::string error_;
};

// One submitting connection's work: batches in order, each to the next node; a node that is
// down is skipped for that batch's retry.
void submit_batches(const BenchOptions& opts, const Targets& targets, const SignedLoad& load, Tracking& tracking,
                    std::atomic<std::size_t>& next_batch, std::size_t first_target, Clock::time_point started) {
  const std::size_t batch_count = (opts.txs + opts.batch - 1) / opts.batch;
  const auto& urls = targets.submit_urls;
  // One kept-alive connection per node, made on first use and again after a failure.
  std::vector<std::unique_ptr<HttpConnection>> conns(urls.size());
  std::size_t target = first_target;
  for (std::size_t b = next_batch++; b < batch_count; b = next_batch++) {
    const std::size_t from = b * opts.batch;
    const std::size_t to = std::min(opts.txs, from + opts.batch);
    if (opts.rate_tps > 0) {
      std::this_thread::sleep_until(started + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
                                                  static_cast<double>(from) / opts.rate_tps)));
    }
    target = (target + 1) % urls.size();
    core::Result<HttpReply> reply = io_error("no node reachable");
    for (std::size_t attempt = 0; attempt < urls.size(); ++attempt) {
      auto& conn = conns[target];
      if (!conn) {
        auto connected = HttpConnection::connect(urls[target], std::chrono::seconds(5));
        if (!connected.ok()) {
          reply = std::move(connected).error();
          target = (target + 1) % urls.size();
          continue;
        }
        conn = std::move(connected).value();
      }
      const auto now = Clock::now();
      for (std::size_t i = from; i < to; ++i) tracking.submitted_at[i] = now;
      reply = conn->request("POST", "/v1/txs/batch", encode_batch(load.encoded, from, to), "application/octet-stream");
      if (reply.ok()) break;
      conn.reset();
      target = (target + 1) % urls.size();
    }
    if (!reply.ok()) {
      tracking.reject(to - from, reply.error().to_string());
      continue;
    }
    const json doc = json::parse(reply->body, nullptr, false);
    if (doc.is_discarded() || reply->status != 202) {
      tracking.reject(to - from, reply->body.substr(0, 300));
      continue;
    }
    for (std::size_t i = from; i < to; ++i) tracking.accepted[i] = 1;
    for (const auto& r : doc["rejected"]) {
      if (r.contains("index") && r["index"].is_number_unsigned()) tracking.accepted[from + r["index"].get<std::size_t>()] = 0;
    }
    if (!doc["rejected"].empty()) tracking.reject(doc["rejected"].size(), doc["rejected"][0].dump());
  }
}

// `concurrency` kept-alive connections taking batches in order; returns when all are sent.
void submit_all(const BenchOptions& opts, const Targets& targets, const SignedLoad& load, Tracking& tracking,
                Clock::time_point started) {
  std::atomic<std::size_t> next_batch{0};
  std::vector<std::thread> submitters;
  for (std::size_t c = 0; c < opts.concurrency; ++c) {
    submitters.emplace_back([&, c] {
      submit_batches(opts, targets, load, tracking, next_batch, c % targets.submit_urls.size(), started);
    });
  }
  for (auto& s : submitters) s.join();
}

// Waits for the accepted transfers to be seen committed (or the timeout), with progress.
void wait_for_commits(Io& io, const BenchOptions& opts, const Tracking& tracking, const CommitFollower& follower) {
  const std::size_t expected = opts.txs - tracking.rejected_count.load();
  const auto deadline = Clock::now() + std::chrono::seconds(opts.timeout_s);
  std::size_t last_reported = 0;
  while (tracking.committed_count.load() < expected && Clock::now() < deadline && !follower.failed()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (tracking.committed_count.load() >= last_reported + opts.txs / 10) {
      last_reported = tracking.committed_count.load();
      io.out << fmt::format("bench: {} / {} committed\n", last_reported, expected) << std::flush;
    }
  }
}

// Prints TPS and latency (and writes the --report file); fails when accepted transfers did not
// all commit in time.
// Before and after a --kill-validator fault: latency of the transfers submitted in each phase,
// the longest gap between consecutive commits, and whether the load offered after the fault was
// kept (its transfers committed by the end of the load plus the pre-fault p99).
json fault_report(Io& io, const BenchOptions& opts, const FaultPlan& plan, const SignedLoad& load,
                  const Tracking& tracking, Clock::time_point killed_at, Clock::time_point submitted_done) {
  std::vector<double> before_ms;
  std::vector<double> after_ms;
  std::size_t after_submitted = 0;
  std::vector<std::size_t> after_committed;  // indices
  for (std::size_t i = 0; i < load.hashes.size(); ++i) {
    const bool after = tracking.submitted_at[i] >= killed_at;
    if (after) ++after_submitted;
    if (!tracking.committed[i]) continue;
    const double ms = std::chrono::duration<double, std::milli>(tracking.committed_at[i] - tracking.submitted_at[i]).count();
    (after ? after_ms : before_ms).push_back(ms);
    if (after) after_committed.push_back(i);
  }
  double gap_before_ms = 0;
  double gap_after_ms = 0;
  for (std::size_t b = 1; b < tracking.block_seen_at.size(); ++b) {
    const double gap = std::chrono::duration<double, std::milli>(tracking.block_seen_at[b] - tracking.block_seen_at[b - 1]).count();
    double& longest = tracking.block_seen_at[b] < killed_at ? gap_before_ms : gap_after_ms;
    longest = std::max(longest, gap);
  }
  const Percentiles before = percentiles(before_ms);
  const Percentiles after = percentiles(after_ms);
  const auto grace = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double, std::milli>(before.p99));
  std::size_t kept = 0;
  for (std::size_t i : after_committed) kept += tracking.committed_at[i] <= submitted_done + grace ? 1 : 0;
  const double kept_fraction = after_submitted ? static_cast<double>(kept) / static_cast<double>(after_submitted) : 1.0;
  const bool load_kept = kept_fraction >= 0.95;
  std::string who;
  for (std::size_t k = 0; k < plan.indices.size(); ++k) who += (k ? ", " : "") + std::to_string(plan.indices[k]);
  if (!opts.json_output) {
    io.out << fmt::format("fault       validator{} {} killed (SIGKILL) at {:.1f} s, not restarted\n",
                          plan.indices.size() > 1 ? "s" : "", who, plan.at_s)
           << fmt::format("before      p50 {:.0f} ms, p99 {:.0f} ms, longest commit gap {:.0f} ms ({} transfers)\n",
                          before.p50, before.p99, gap_before_ms, before_ms.size())
           << fmt::format("after       p50 {:.0f} ms, p99 {:.0f} ms, longest commit gap {:.0f} ms ({} transfers)\n",
                          after.p50, after.p99, gap_after_ms, after_ms.size())
           << fmt::format("load        {}: {:.1f} % of the transfers offered after the fault committed by the end of the "
                          "load + the pre-fault p99\n",
                          load_kept ? "kept" : "NOT kept", 100.0 * kept_fraction);
  }
  return {{"killed", plan.indices}, {"at_s", plan.at_s},
          {"before", {{"p50_ms", before.p50}, {"p99_ms", before.p99}, {"longest_commit_gap_ms", gap_before_ms}}},
          {"after", {{"p50_ms", after.p50}, {"p99_ms", after.p99}, {"longest_commit_gap_ms", gap_after_ms}}},
          {"load_kept", load_kept}, {"kept_fraction", kept_fraction}};
}

int report(Io& io, const BenchOptions& opts, const SignedLoad& load, const Tracking& tracking, Clock::time_point started,
           Clock::time_point submitted_done, const std::optional<json>& fault) {
  Clock::time_point last_commit = started;
  std::vector<double> latencies_ms;
  latencies_ms.reserve(tracking.committed_count.load());
  for (std::size_t i = 0; i < load.hashes.size(); ++i) {
    if (!tracking.committed[i]) continue;
    last_commit = std::max(last_commit, tracking.committed_at[i]);
    latencies_ms.push_back(std::chrono::duration<double, std::milli>(tracking.committed_at[i] - tracking.submitted_at[i]).count());
  }
  const double seconds = std::chrono::duration<double>(last_commit - started).count();
  const double submit_seconds = std::chrono::duration<double>(submitted_done - started).count();
  const auto p = percentiles(latencies_ms);
  const std::size_t done_count = tracking.committed_count.load();
  const std::size_t rejected = tracking.rejected_count.load();
  const double tps = seconds > 0 ? static_cast<double>(done_count) / seconds : 0;
  if (opts.json_output) {
    io.out << json{{"submitted", opts.txs}, {"rejected", rejected}, {"committed", done_count},
                   {"seconds", seconds}, {"submit_seconds", submit_seconds}, {"committed_tps", tps},
                   {"latency_ms", {{"p50", p.p50}, {"p99", p.p99}, {"max", p.max}}},
                   {"fault", fault ? *fault : json(nullptr)}}
                  .dump(2)
           << "\n";
  } else {
    io.out << fmt::format("submitted   {} in {:.2f} s ({:.0f}/s offered), rejected {}\n", opts.txs, submit_seconds,
                          static_cast<double>(opts.txs) / submit_seconds, rejected)
           << fmt::format("committed   {} in {:.2f} s: {:.0f} TPS\n", done_count, seconds, tps)
           << fmt::format("latency     p50 {:.0f} ms, p99 {:.0f} ms, max {:.0f} ms (submit to commit seen)\n", p.p50,
                          p.p99, p.max);
  }
  if (!tracking.first_rejection.empty()) io.err << "bench: first rejection: " << tracking.first_rejection << "\n";
  if (!opts.report.empty()) {
    json txs = json::array();
    for (std::size_t i = 0; i < load.hashes.size(); ++i) {
      json t = {{"hash", core::to_hex(load.hashes[i])}, {"accepted", tracking.accepted[i] != 0},
                {"committed", tracking.committed[i] != 0}};
      if (tracking.committed[i]) t["height"] = tracking.committed_height[i];
      txs.push_back(std::move(t));
    }
    std::ofstream out(opts.report, std::ios::trunc);
    out << json{{"committed_tps", tps}, {"committed", done_count}, {"rejected", rejected}, {"txs", txs}}.dump() << "\n";
    if (!out.flush()) return fail(io, io_error("cannot write " + opts.report));
  }
  const std::size_t expected = opts.txs - rejected;
  if (done_count < expected) {
    return fail(io, io_error(fmt::format("{} accepted transfers not committed within {} s", expected - done_count,
                                         opts.timeout_s)));
  }
  return kExitOk;
}

// Which node processes --kill-validator names (each must be running: its data directory's lock
// holder is the process to kill).
core::Result<FaultPlan> plan_fault(const BenchOptions& opts) {
  FaultPlan plan;
  if (opts.kill_validators.empty()) return plan;
  if (opts.devnet.empty()) return bench_error("--kill-validator needs --devnet (the nodes to kill are its processes)");
  if (opts.kill_at_s <= 0) return bench_error("--kill-validator needs --at SECONDS (> 0) into the load");
  plan.at_s = opts.kill_at_s;
  for (std::size_t start = 0; start < opts.kill_validators.size();) {
    const std::size_t comma = std::min(opts.kill_validators.find(',', start), opts.kill_validators.size());
    const std::string item = opts.kill_validators.substr(start, comma - start);
    start = comma + 1;
    std::size_t index = 0;
    const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), index);
    if (item.empty() || ec != std::errc() || end != item.data() + item.size()) {
      return bench_error("--kill-validator takes validator indices like 1 or 1,2; got '" + item + "'");
    }
    const fs::path config_file = fs::path(opts.devnet) / ("node" + std::to_string(index)) / "config.toml";
    if (!fs::exists(config_file)) return bench_error("validator " + std::to_string(index) + ": no " + config_file.string());
    MN_TRY_ASSIGN(auto config, node::NodeConfig::load(config_file));
    const auto pid = data_dir_holder(config.resolve(config.data_dir));
    if (!pid) return bench_error("validator " + std::to_string(index) + " is not running (nothing holds its data directory)");
    if (std::find(plan.indices.begin(), plan.indices.end(), index) != plan.indices.end()) continue;
    plan.indices.push_back(index);
    plan.pids.push_back(*pid);
  }
  return plan;
}

int run_bench(Io& io, BenchOptions opts) {
  if (opts.txs == 0 || opts.senders == 0 || opts.concurrency == 0 || opts.batch == 0 || opts.batch > services::kBatchTxsMax) {
    return fail(io, bench_error("--txs, --senders, --concurrency must be positive and --batch 1.." +
                                std::to_string(services::kBatchTxsMax)));
  }
  const std::size_t per_sender = (opts.txs + opts.senders - 1) / opts.senders;
  if (per_sender > 1'000) return fail(io, bench_error("more than 1,000 transfers per sender: raise --senders"));
  auto targets = resolve_targets(opts);
  if (!targets.ok()) return fail(io, targets.error());
  auto plan = plan_fault(opts);
  if (!plan.ok()) return fail(io, plan.error());
  auto funder = unlock_funder(io, opts);
  if (!funder.ok()) return fail(io, funder.error());
  auto control = HttpConnection::connect(targets->url, std::chrono::seconds(30));
  if (!control.ok()) return fail(io, control.error());
  auto chain = read_chain(**control);
  if (!chain.ok()) return fail(io, chain.error());

  io.out << fmt::format("bench: {} transfers from {} senders to {} ({} concurrent, batches of {})\n", opts.txs,
                        opts.senders,
                        targets->submit_urls.size() == 1 ? targets->url
                                                         : std::to_string(targets->submit_urls.size()) + " nodes",
                        opts.concurrency, opts.batch)
         << std::flush;
  std::vector<crypto::KeyPair> senders;
  senders.reserve(opts.senders);
  for (std::size_t i = 0; i < opts.senders; ++i) senders.push_back(crypto::KeyPair::generate());
  if (auto st = fund_senders(**control, *funder, *chain, senders, per_sender, *targets, opts.timeout_s); !st.ok()) {
    return fail(io, st.error());
  }
  const SignedLoad load = sign_transfers(io, *chain, senders, per_sender, opts.txs);
  Tracking tracking(load.hashes);

  std::uint64_t start_height = 0;
  if (auto head = get_json(**control, "/v1/blocks/latest"); head.ok()) start_height = (*head)["header"]["height"].get<std::uint64_t>();
  std::vector<std::string> follow_urls = {targets->url};
  for (const auto& u : targets->submit_urls) {
    if (u != targets->url) follow_urls.push_back(u);
  }
  CommitFollower follower(tracking, follow_urls, start_height, opts.timeout_s);
  follower.start();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // subscribed before the first block

  const auto started = Clock::now();
  std::atomic<Clock::time_point> killed_at{Clock::time_point::max()};
  std::thread killer;
  if (!plan->pids.empty()) {
    killer = std::thread([&] {
      std::this_thread::sleep_until(started + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(plan->at_s)));
      killed_at = Clock::now();
      for (pid_t pid : plan->pids) ::kill(pid, SIGKILL);
    });
  }
  submit_all(opts, *targets, load, tracking, started);
  const auto submitted_done = Clock::now();
  if (killer.joinable()) killer.join();  // the fault comes even when the load ended first
  wait_for_commits(io, opts, tracking, follower);
  if (auto error = follower.stop()) return fail(io, io_error("following blocks failed: " + *error));
  std::optional<json> fault;
  if (!plan->pids.empty()) fault = fault_report(io, opts, *plan, load, tracking, killed_at.load(), submitted_done);
  return report(io, opts, load, tracking, started, submitted_done, fault);
}

}  // namespace

void add_bench_command(CLI::App& app, Io& io, std::function<int()>& dispatch) {
  auto opts = std::make_shared<BenchOptions>();
  CLI::App* bench = app.add_subcommand("bench", "Load-test a running node: committed TPS and commit latency");
  bench->add_option("--home", opts->home, "Home of the node (from `metanode init`): funding key and API address");
  bench->add_option("--node", opts->node_url, "Node API URL to follow commits on (default: the first of --nodes, else from the home's config)");
  bench->add_option("--nodes", opts->nodes, "Comma-separated node API URLs: batches go round-robin across them");
  bench->add_option("--devnet", opts->devnet, "A `metanode up` directory: funds from node0's dev key, submits to every node");
  bench->add_option("--report", opts->report, "Write every transfer's hash and whether (and at what height) it committed, as JSON");
  bench->add_option("--from", opts->from, "Key that funds the senders")->capture_default_str();
  bench->add_option("--txs", opts->txs, "Transfers to submit")->capture_default_str();
  bench->add_option("--senders", opts->senders, "Distinct sending accounts")->capture_default_str();
  bench->add_option("--concurrency", opts->concurrency, "Concurrent HTTP connections")->capture_default_str();
  bench->add_option("--batch", opts->batch, "Transfers per POST /v1/txs/batch (1 = one per request)")
      ->capture_default_str();
  bench->add_option("--rate", opts->rate_tps, "Offered load in transfers per second (0 = as fast as possible)")
      ->capture_default_str();
  bench->add_option("--timeout", opts->timeout_s, "Seconds to wait for commits")->capture_default_str();
  bench->add_flag("--json", opts->json_output, "Print the result as JSON");
  bench->add_option("--kill-validator", opts->kill_validators,
                    "With --devnet: SIGKILL these validators (indices, e.g. 1 or 1,2) --at seconds into the load, not "
                    "restarted; reports latency, the longest commit gap and whether the load was kept, before and after");
  bench->add_option("--at", opts->kill_at_s, "Seconds into the load for --kill-validator");
  bench->callback([&io, &dispatch, opts] { dispatch = [&io, opts] { return run_bench(io, *opts); }; });
}

}  // namespace metanode::cli
