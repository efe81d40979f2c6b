#include "cli/bench_command.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <fmt/format.h>

#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <ostream>
#include <random>
#include <thread>
#include <unordered_map>

#include "api/ledger_json.hpp"
#include "api/ledger_service.hpp"
#include "cli/http_client.hpp"
#include "cli/passphrase.hpp"
#include "crypto/keystore.hpp"
#include "crypto/random.hpp"
#include "mempool/auction_mempool.hpp"
#include "node/config.hpp"

namespace metanode::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

struct BenchOptions {
  std::string home;
  std::string node_url;
  std::string from = "dev";
  std::size_t txs = 20'000;
  std::size_t senders = 200;
  std::size_t concurrency = 4;
  std::size_t batch = 100;
  double rate_tps = 0;  // 0: as fast as possible
  std::uint32_t timeout_s = 120;
  bool json_output = false;
};

int fail(Io& io, const std::string& why) {
  io.err << "metanode: error[bench]: " << why << "\n";
  return kExitFailed;
}

core::Result<json> get_json(HttpConnection& conn, const std::string& target) {
  MN_TRY_ASSIGN(HttpReply reply, conn.request("GET", target));
  json doc = json::parse(reply.body, nullptr, false);
  if (reply.status != 200 || doc.is_discarded()) {
    return core::make_error(core::ErrorCode::kIo, "GET " + target + " answered " + std::to_string(reply.status) + ": " +
                                                      reply.body.substr(0, 200));
  }
  return doc;
}

// u32 count, then each transaction as u32 length + bytes (see api::kBatchTxsMax).
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

int run_bench(Io& io, BenchOptions opts) {
  if (opts.txs == 0 || opts.senders == 0 || opts.concurrency == 0 || opts.batch == 0 || opts.batch > api::kBatchTxsMax) {
    return fail(io, "--txs, --senders, --concurrency must be positive and --batch 1.." + std::to_string(api::kBatchTxsMax));
  }
  std::string url = opts.node_url;
  if (url.empty()) {
    auto config = node::NodeConfig::load(fs::path(opts.home) / "config.toml");
    if (!config.ok()) return fail(io, config.error().to_string());
    url = "http://" + config->listen_address + ":" + std::to_string(config->ledger_port());
  }
  // The funding key (dev) from the home's key store.
  PassphraseSource source;
  if (fs::exists(fs::path(opts.home) / "passphrase")) source.file = (fs::path(opts.home) / "passphrase").string();
  auto passphrase = read_passphrase(source, io, false);
  if (!passphrase.ok()) return fail(io, passphrase.error().to_string());
  crypto::Keystore store(fs::path(opts.home) / "keys");
  auto secrets = store.unlock(opts.from, *passphrase);
  if (!secrets.ok()) return fail(io, secrets.error().to_string());
  const crypto::KeyPair funder = secrets->ed25519();
  const crypto::Address funder_address = crypto::Address::from_public_key(funder.public_key());

  auto control = HttpConnection::connect(url, std::chrono::seconds(30));
  if (!control.ok()) return fail(io, control.error().to_string());
  auto health = get_json(**control, "/health");
  if (!health.ok()) return fail(io, health.error().to_string());
  const std::string chain_id = (*health)["chain_id"].get<std::string>();
  auto mempool_status = get_json(**control, "/v1/mempool?levels=0");
  if (!mempool_status.ok()) return fail(io, mempool_status.error().to_string());
  const std::uint64_t base_fee = (*mempool_status)["base_fee"].get<std::uint64_t>();
  const std::uint64_t max_fee = 4 * base_fee + 1'000;

  // Senders: fresh keys, funded by one batch from the funder.
  io.out << fmt::format("bench: {} transfers from {} senders to {} ({} concurrent, batches of {})\n", opts.txs,
                        opts.senders, url, opts.concurrency, opts.batch)
         << std::flush;
  std::vector<crypto::KeyPair> senders;
  senders.reserve(opts.senders);
  for (std::size_t i = 0; i < opts.senders; ++i) senders.push_back(crypto::KeyPair::generate());
  const std::size_t per_sender = (opts.txs + opts.senders - 1) / opts.senders;
  if (per_sender > 1'000) return fail(io, "more than 1,000 transfers per sender: raise --senders");
  auto funder_account = get_json(**control, "/v1/accounts/" + funder_address.to_string());
  if (!funder_account.ok()) return fail(io, funder_account.error().to_string());
  std::uint64_t funder_nonce = (*funder_account)["next_nonce"].get<std::uint64_t>();
  const std::uint64_t funding_nonce_end = funder_nonce + opts.senders;
  {
    std::vector<core::Bytes> funding;
    for (const auto& s : senders) {
      ledger::Transaction tx;
      tx.chain_id = chain_id;
      tx.nonce = funder_nonce++;
      tx.max_fee = max_fee;
      tx.bid = 1;
      tx.payload = ledger::TransferPayload{crypto::Address::from_public_key(s.public_key()),
                                           static_cast<std::uint64_t>(per_sender) * (max_fee + 10)};
      tx.sign_single(funder);
      funding.push_back(core::encode(tx));
    }
    for (std::size_t from = 0; from < funding.size(); from += api::kBatchTxsMax) {
      const std::size_t to = std::min(funding.size(), from + api::kBatchTxsMax);
      auto reply = (*control)->request("POST", "/v1/txs/batch", encode_batch(funding, from, to), "application/octet-stream");
      if (!reply.ok()) return fail(io, reply.error().to_string());
      const json doc = json::parse(reply->body, nullptr, false);
      if (reply->status != 202 || doc.is_discarded() || !doc["rejected"].empty()) {
        return fail(io, "funding refused: " + reply->body.substr(0, 300));
      }
    }
    const auto deadline = Clock::now() + std::chrono::seconds(opts.timeout_s);
    while (true) {
      auto account = get_json(**control, "/v1/accounts/" + funder_address.to_string());
      if (!account.ok()) return fail(io, account.error().to_string());
      if ((*account)["nonce"].get<std::uint64_t>() >= funding_nonce_end) break;
      if (Clock::now() > deadline) return fail(io, "funding transfers were not committed in time");
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  // Sign everything in advance, on every core; ordered round by round so each batch carries
  // consecutive nonces of many senders.
  std::vector<core::Bytes> encoded(per_sender * opts.senders);
  std::vector<core::Hash32> hashes(encoded.size());
  {
    const auto started = Clock::now();
    const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
    std::vector<std::thread> workers;
    for (unsigned t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        std::mt19937_64 rng(t + 1);
        for (std::size_t i = t; i < encoded.size(); i += threads) {
          const std::size_t round = i / opts.senders;
          const std::size_t s = i % opts.senders;
          ledger::Transaction tx;
          tx.chain_id = chain_id;
          tx.nonce = round;
          tx.max_fee = max_fee;
          tx.bid = 1 + rng() % 100;
          crypto::Address to;
          const std::uint64_t recipient = rng() % 10'000;
          for (int b = 0; b < 8; ++b) to.bytes[static_cast<std::size_t>(b)] = static_cast<core::Byte>(recipient >> (8 * b));
          to.bytes[31] = 0xbe;
          tx.payload = ledger::TransferPayload{to, 1 + rng() % 5};
          tx.sign_single(senders[s]);
          hashes[i] = tx.hash();
          encoded[i] = core::encode(tx);
        }
      });
    }
    for (auto& w : workers) w.join();
    io.out << fmt::format("bench: signed {} transfers in {:.2f} s\n", encoded.size(),
                          std::chrono::duration<double>(Clock::now() - started).count())
           << std::flush;
  }
  encoded.resize(opts.txs);
  hashes.resize(opts.txs);

  std::unordered_map<core::Hash32, std::size_t, mempool::Hash32Hasher> index_of;
  index_of.reserve(hashes.size());
  for (std::size_t i = 0; i < hashes.size(); ++i) index_of[hashes[i]] = i;
  std::vector<Clock::time_point> submitted_at(hashes.size());
  std::vector<Clock::time_point> committed_at(hashes.size());
  std::vector<char> committed(hashes.size(), 0);
  std::atomic<std::size_t> committed_count{0};
  std::atomic<std::size_t> rejected_count{0};
  std::string first_rejection;
  std::mutex rejection_mutex;
  std::atomic<bool> done{false};
  std::atomic<bool> follower_failed{false};
  std::atomic<int> follower_socket{-1};  // shut down from the main thread to end a blocked read
  std::string follower_error;

  // Follow commits: the event stream announces blocks; their tx hashes come from the API.
  auto parts = split_url(url);
  std::thread follower([&] {
    namespace beast = boost::beast;
    namespace websocket = beast::websocket;
    try {
      boost::asio::io_context ioc;
      boost::asio::ip::tcp::resolver resolver(ioc);
      websocket::stream<beast::tcp_stream> ws(ioc);
      beast::get_lowest_layer(ws).connect(resolver.resolve(parts->first, parts->second));
      ws.handshake(parts->first, "/v1/events");
      follower_socket = beast::get_lowest_layer(ws).socket().native_handle();
      auto reader = HttpConnection::connect(url, std::chrono::seconds(30));
      if (!reader.ok()) throw std::runtime_error(reader.error().to_string());
      beast::flat_buffer buffer;
      while (!done) {
        beast::error_code ec;
        ws.read(buffer, ec);
        if (done) break;
        if (ec) throw beast::system_error(ec);
        const auto now = Clock::now();
        const json event = json::parse(beast::buffers_to_string(buffer.data()), nullptr, false);
        buffer.consume(buffer.size());
        if (event.is_discarded() || event.value("tx_count", 0) == 0) continue;
        auto block = get_json(**reader, "/v1/blocks/" + std::to_string(event["height"].get<std::uint64_t>()));
        if (!block.ok()) throw std::runtime_error(block.error().to_string());
        for (const auto& h : (*block)["tx_hashes"]) {
          auto hash = core::array_from_hex<32>(h.get<std::string>());
          if (!hash.ok()) continue;
          auto it = index_of.find(*hash);
          if (it == index_of.end() || committed[it->second]) continue;
          committed[it->second] = 1;
          committed_at[it->second] = now;
          committed_count.fetch_add(1);
        }
      }
    } catch (const std::exception& e) {
      follower_error = e.what();
      follower_failed = true;
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // subscribed before the first block

  // Submit: `concurrency` kept-alive connections taking batches in order.
  const auto started = Clock::now();
  std::atomic<std::size_t> next_batch{0};
  const std::size_t batch_count = (opts.txs + opts.batch - 1) / opts.batch;
  std::vector<std::thread> submitters;
  for (std::size_t c = 0; c < opts.concurrency; ++c) {
    submitters.emplace_back([&] {
      auto conn = HttpConnection::connect(url, std::chrono::seconds(30));
      if (!conn.ok()) {
        std::lock_guard lock(rejection_mutex);
        if (first_rejection.empty()) first_rejection = conn.error().to_string();
        return;
      }
      for (std::size_t b = next_batch++; b < batch_count; b = next_batch++) {
        const std::size_t from = b * opts.batch;
        const std::size_t to = std::min(opts.txs, from + opts.batch);
        if (opts.rate_tps > 0) {
          const auto due = started + std::chrono::duration_cast<Clock::duration>(
                                         std::chrono::duration<double>(static_cast<double>(from) / opts.rate_tps));
          std::this_thread::sleep_until(due);
        }
        const auto now = Clock::now();
        for (std::size_t i = from; i < to; ++i) submitted_at[i] = now;
        auto reply = (*conn)->request("POST", "/v1/txs/batch", encode_batch(encoded, from, to), "application/octet-stream");
        if (!reply.ok()) {
          rejected_count += to - from;
          std::lock_guard lock(rejection_mutex);
          if (first_rejection.empty()) first_rejection = reply.error().to_string();
          continue;
        }
        const json doc = json::parse(reply->body, nullptr, false);
        if (doc.is_discarded() || reply->status != 202) {
          rejected_count += to - from;
          std::lock_guard lock(rejection_mutex);
          if (first_rejection.empty()) first_rejection = reply->body.substr(0, 300);
          continue;
        }
        if (!doc["rejected"].empty()) {
          rejected_count += doc["rejected"].size();
          std::lock_guard lock(rejection_mutex);
          if (first_rejection.empty()) first_rejection = doc["rejected"][0].dump();
        }
      }
    });
  }
  for (auto& s : submitters) s.join();
  const auto submitted_done = Clock::now();
  const std::size_t expected = opts.txs - rejected_count.load();
  const auto deadline = Clock::now() + std::chrono::seconds(opts.timeout_s);
  std::size_t last_reported = 0;
  while (committed_count.load() < expected && Clock::now() < deadline && !follower_failed) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (committed_count.load() >= last_reported + opts.txs / 10) {
      last_reported = committed_count.load();
      io.out << fmt::format("bench: {} / {} committed\n", last_reported, expected) << std::flush;
    }
  }
  done = true;
  if (const int fd = follower_socket.load(); fd >= 0) ::shutdown(fd, SHUT_RDWR);
  follower.join();
  if (follower_failed) return fail(io, "following blocks failed: " + follower_error);

  Clock::time_point last_commit = started;
  std::vector<double> latencies_ms;
  latencies_ms.reserve(committed_count.load());
  for (std::size_t i = 0; i < hashes.size(); ++i) {
    if (!committed[i]) continue;
    last_commit = std::max(last_commit, committed_at[i]);
    latencies_ms.push_back(std::chrono::duration<double, std::milli>(committed_at[i] - submitted_at[i]).count());
  }
  const double seconds = std::chrono::duration<double>(last_commit - started).count();
  const double submit_seconds = std::chrono::duration<double>(submitted_done - started).count();
  const auto p = percentiles(latencies_ms);
  const std::size_t done_count = committed_count.load();
  const double tps = seconds > 0 ? static_cast<double>(done_count) / seconds : 0;
  if (opts.json_output) {
    io.out << json{{"submitted", opts.txs}, {"rejected", rejected_count.load()}, {"committed", done_count},
                   {"seconds", seconds}, {"submit_seconds", submit_seconds}, {"committed_tps", tps},
                   {"latency_ms", {{"p50", p.p50}, {"p99", p.p99}, {"max", p.max}}}}
                  .dump(2)
           << "\n";
  } else {
    io.out << fmt::format("submitted   {} in {:.2f} s ({:.0f}/s offered), rejected {}\n", opts.txs, submit_seconds,
                          static_cast<double>(opts.txs) / submit_seconds, rejected_count.load())
           << fmt::format("committed   {} in {:.2f} s: {:.0f} TPS\n", done_count, seconds, tps)
           << fmt::format("latency     p50 {:.0f} ms, p99 {:.0f} ms, max {:.0f} ms (submit to commit seen)\n", p.p50,
                          p.p99, p.max);
  }
  if (!first_rejection.empty()) io.err << "bench: first rejection: " << first_rejection << "\n";
  if (done_count < expected) return fail(io, fmt::format("{} accepted transfers not committed within {} s",
                                                         expected - done_count, opts.timeout_s));
  return kExitOk;
}

}  // namespace

void add_bench_command(CLI::App& app, Io& io, std::function<int()>& dispatch) {
  auto opts = std::make_shared<BenchOptions>();
  CLI::App* bench = app.add_subcommand("bench", "Load-test a running node: committed TPS and commit latency");
  bench->add_option("--home", opts->home, "Home of the node (from `metanode init`): funding key and API address")
      ->required();
  bench->add_option("--node", opts->node_url, "Node API URL (default: from the home's config)");
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
  bench->callback([&io, &dispatch, opts] { dispatch = [&io, opts] { return run_bench(io, *opts); }; });
}

}  // namespace metanode::cli
