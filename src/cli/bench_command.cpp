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
#include <fstream>
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
  std::vector<std::string> submit_urls;
  if (!opts.devnet.empty()) {
    if (opts.home.empty()) opts.home = (fs::path(opts.devnet) / "node0").string();
    for (std::size_t i = 0; fs::exists(fs::path(opts.devnet) / ("node" + std::to_string(i)) / "config.toml"); ++i) {
      auto config = node::NodeConfig::load(fs::path(opts.devnet) / ("node" + std::to_string(i)) / "config.toml");
      if (!config.ok()) return fail(io, config.error().to_string());
      submit_urls.push_back("http://" + config->listen_address + ":" + std::to_string(config->ledger_port()));
    }
    if (submit_urls.empty()) return fail(io, "no node0/config.toml under " + opts.devnet);
  }
  if (opts.home.empty()) return fail(io, "give --home (the funding key's home) or --devnet");
  for (std::size_t start = 0; start < opts.nodes.size();) {
    const std::size_t comma = std::min(opts.nodes.find(',', start), opts.nodes.size());
    if (comma > start) submit_urls.push_back(opts.nodes.substr(start, comma - start));
    start = comma + 1;
  }
  std::string url = opts.node_url;
  if (url.empty() && !submit_urls.empty()) url = submit_urls.front();
  if (url.empty()) {
    auto config = node::NodeConfig::load(fs::path(opts.home) / "config.toml");
    if (!config.ok()) return fail(io, config.error().to_string());
    url = "http://" + config->listen_address + ":" + std::to_string(config->ledger_port());
  }
  if (submit_urls.empty()) submit_urls.push_back(url);
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
                        opts.senders, submit_urls.size() == 1 ? url : std::to_string(submit_urls.size()) + " nodes",
                        opts.concurrency, opts.batch)
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
    // Every node that takes submissions must have applied the funding too, or the first
    // transfers it gets would be refused for want of balance.
    for (const auto& node_url : submit_urls) {
      auto conn = HttpConnection::connect(node_url, std::chrono::seconds(10));
      if (!conn.ok()) continue;  // a node that is down gets no batches until it is back
      while (true) {
        auto account = get_json(**conn, "/v1/accounts/" + funder_address.to_string());
        if (account.ok() && (*account)["nonce"].get<std::uint64_t>() >= funding_nonce_end) break;
        if (Clock::now() > deadline) return fail(io, node_url + " did not apply the funding transfers in time");
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
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
  std::vector<std::uint64_t> committed_height(hashes.size(), 0);
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
  // Follows node after node: when the one followed goes down, the next one takes over, and the
  // blocks announced meanwhile are read from the API (every height after the last one seen).
  std::uint64_t start_height = 0;
  if (auto head = get_json(**control, "/v1/blocks/latest"); head.ok()) start_height = (*head)["header"]["height"].get<std::uint64_t>();
  std::thread follower([&] {
    namespace beast = boost::beast;
    namespace websocket = beast::websocket;
    std::uint64_t seen_height = start_height;
    std::vector<std::string> follow_urls = {url};
    for (const auto& u : submit_urls) {
      if (u != url) follow_urls.push_back(u);
    }
    const auto give_up = Clock::now() + std::chrono::seconds(opts.timeout_s + 600);
    for (std::size_t k = 0; !done; k = (k + 1) % follow_urls.size()) {
      try {
        const auto follow = split_url(follow_urls[k]);
        if (!follow.ok()) throw std::runtime_error(follow.error().to_string());
        boost::asio::io_context ioc;
        boost::asio::ip::tcp::resolver resolver(ioc);
        websocket::stream<beast::tcp_stream> ws(ioc);
        beast::get_lowest_layer(ws).connect(resolver.resolve(follow->first, follow->second));
        ws.handshake(follow->first, "/v1/events");
        follower_socket = beast::get_lowest_layer(ws).socket().native_handle();
        auto reader = HttpConnection::connect(follow_urls[k], std::chrono::seconds(30));
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
          if (event.is_discarded() || !event.contains("height")) continue;
          const std::uint64_t height = event["height"].get<std::uint64_t>();
          for (std::uint64_t h = seen_height + 1; h <= height; ++h) {
            auto block = get_json(**reader, "/v1/blocks/" + std::to_string(h));
            if (!block.ok()) throw std::runtime_error(block.error().to_string());
            for (const auto& tx_hash : (*block)["tx_hashes"]) {
              auto hash = core::array_from_hex<32>(tx_hash.get<std::string>());
              if (!hash.ok()) continue;
              auto it = index_of.find(*hash);
              if (it == index_of.end() || committed[it->second]) continue;
              committed[it->second] = 1;
              committed_at[it->second] = now;
              committed_height[it->second] = h;
              committed_count.fetch_add(1);
            }
          }
          seen_height = std::max(seen_height, height);
        }
      } catch (const std::exception& e) {
        follower_socket = -1;
        if (done) break;
        if (follow_urls.size() == 1 || Clock::now() > give_up) {
          follower_error = e.what();
          follower_failed = true;
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
      }
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // subscribed before the first block

  // Submit: `concurrency` kept-alive connections taking batches in order.
  const auto started = Clock::now();
  std::atomic<std::size_t> next_batch{0};
  const std::size_t batch_count = (opts.txs + opts.batch - 1) / opts.batch;
  std::vector<std::thread> submitters;
  std::vector<char> accepted(hashes.size(), 0);
  for (std::size_t c = 0; c < opts.concurrency; ++c) {
    submitters.emplace_back([&, c] {
      // One kept-alive connection per node, made on first use and again after a failure.
      std::vector<std::unique_ptr<HttpConnection>> conns(submit_urls.size());
      std::size_t target = c % submit_urls.size();
      for (std::size_t b = next_batch++; b < batch_count; b = next_batch++) {
        const std::size_t from = b * opts.batch;
        const std::size_t to = std::min(opts.txs, from + opts.batch);
        if (opts.rate_tps > 0) {
          const auto due = started + std::chrono::duration_cast<Clock::duration>(
                                         std::chrono::duration<double>(static_cast<double>(from) / opts.rate_tps));
          std::this_thread::sleep_until(due);
        }
        // Each batch to the next node; a node that is down is skipped for this batch's retry.
        target = (target + 1) % submit_urls.size();
        core::Result<HttpReply> reply = core::make_error(core::ErrorCode::kIo, "no node reachable");
        for (std::size_t attempt = 0; attempt < submit_urls.size(); ++attempt) {
          auto& conn = conns[target];
          if (!conn) {
            auto connected = HttpConnection::connect(submit_urls[target], std::chrono::seconds(5));
            if (!connected.ok()) {
              reply = std::move(connected).error();
              target = (target + 1) % submit_urls.size();
              continue;
            }
            conn = std::move(connected).value();
          }
          const auto now = Clock::now();
          for (std::size_t i = from; i < to; ++i) submitted_at[i] = now;
          reply = conn->request("POST", "/v1/txs/batch", encode_batch(encoded, from, to), "application/octet-stream");
          if (reply.ok()) break;
          conn.reset();
          target = (target + 1) % submit_urls.size();
        }
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
        for (std::size_t i = from; i < to; ++i) accepted[i] = 1;
        if (!doc["rejected"].empty()) {
          for (const auto& r : doc["rejected"]) {
            if (r.contains("index") && r["index"].is_number_unsigned()) accepted[from + r["index"].get<std::size_t>()] = 0;
          }
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
  if (!opts.report.empty()) {
    json txs = json::array();
    for (std::size_t i = 0; i < hashes.size(); ++i) {
      json t = {{"hash", core::to_hex(hashes[i])}, {"accepted", accepted[i] != 0}, {"committed", committed[i] != 0}};
      if (committed[i]) t["height"] = committed_height[i];
      txs.push_back(std::move(t));
    }
    std::ofstream out(opts.report, std::ios::trunc);
    out << json{{"committed_tps", tps}, {"committed", done_count}, {"rejected", rejected_count.load()}, {"txs", txs}}.dump()
        << "\n";
    if (!out.flush()) return fail(io, "cannot write " + opts.report);
  }
  if (done_count < expected) return fail(io, fmt::format("{} accepted transfers not committed within {} s",
                                                         expected - done_count, opts.timeout_s));
  return kExitOk;
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
  bench->callback([&io, &dispatch, opts] { dispatch = [&io, opts] { return run_bench(io, *opts); }; });
}

}  // namespace metanode::cli
