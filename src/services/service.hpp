// A service is one HTTP listener of a node at port base + its offset (ARCHITECTURE.md): its
// routes over a narrow backend interface, its OpenAPI fragment, its health and its gauges.
// ServiceHost serves one: it adds what every service has (GET /health, GET /metrics,
// GET /v1/openapi.json), counts requests, and runs the middleware chain (the Cage) before
// every route. A new service is a folder under src/services/ with a Service subclass, and one
// entry in node/services.cpp.
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "api/http/http_server.hpp"
#include "core/result.hpp"

namespace metanode::services {

// Port offsets from the node's port base (ARCHITECTURE.md; XTMP is base + 4, BPCI is 8080).
inline constexpr std::uint16_t kLedgerPortOffset = 1;
inline constexpr std::uint16_t kOraclePortOffset = 2;
inline constexpr std::uint16_t kRegistryPortOffset = 3;
inline constexpr std::uint16_t kStoragePortOffset = 5;
inline constexpr std::uint16_t kProofsPortOffset = 6;
inline constexpr std::uint16_t kEconomicsPortOffset = 7;

class Service {
 public:
  virtual ~Service() = default;

  // "ledger", "oracle", ...: the name in config, logs, metrics and the OpenAPI title.
  virtual std::string_view name() const = 0;
  virtual std::uint16_t port_offset() const = 0;
  // One or two sentences for the OpenAPI document's description.
  virtual std::string_view description() const = 0;

  // The service's own routes (not /health, /metrics or /v1/openapi.json).
  virtual void add_routes(api::Router& router) = 0;
  // WebSocket streams, if any.
  virtual void add_websockets(api::HttpServer& /*server*/) {}
  virtual api::HttpLimits limits() const { return {}; }

  // OpenAPI 3 "paths" of its own routes, and its "components/schemas".
  virtual nlohmann::json openapi_paths() const = 0;
  virtual nlohmann::json openapi_schemas() const { return nlohmann::json::object(); }

  // The body of GET /health: at least "status" ("ok" or why not).
  virtual nlohmann::json health() const = 0;
  // Its gauges in Prometheus text (the host adds the request metrics).
  virtual std::string metrics_text() const { return {}; }
};

// The whole OpenAPI document of a service: its paths and schemas, the common routes and the
// error schema every service shares.
nlohmann::json openapi_document(const Service& service);

// {"description", "content": {"application/json": {"schema": ...}}}: a JSON response in OpenAPI.
nlohmann::json openapi_json_response(const std::string& description, const nlohmann::json& schema);
// A response whose body is the shared Error schema.
nlohmann::json openapi_error_response();

class ServiceHost {
 public:
  ServiceHost(boost::asio::io_context& io, std::shared_ptr<Service> service);
  ~ServiceHost();
  ServiceHost(const ServiceHost&) = delete;
  ServiceHost& operator=(const ServiceHost&) = delete;

  // Middleware for every route (before listen).
  void use(api::Middleware middleware) { router_.use(std::move(middleware)); }
  // A route the node adds to every listener (before listen), beside the service's own.
  void add_route(std::string method, std::string pattern, api::Handler handler) {
    router_.add(std::move(method), std::move(pattern), std::move(handler));
  }
  // More Prometheus text for /metrics (the Cage's counts).
  void add_metrics(std::function<std::string()> metrics) { extra_metrics_.push_back(std::move(metrics)); }
  // The listener's limits (the service's own, which the node may tune before listen).
  api::HttpLimits& limits() { return limits_; }
  // (method, pattern) of every route this listener serves.
  std::vector<std::pair<std::string, std::string>> routes() const { return router_.routes(); }
  // Binds and starts accepting; port 0 picks a free port (see port()).
  core::Status listen(const std::string& address, std::uint16_t port);
  void stop();

  std::uint16_t port() const { return server_ ? server_->port() : 0; }
  const Service& service() const { return *service_; }
  Service& service() { return *service_; }

 private:
  boost::asio::io_context& io_;
  std::shared_ptr<Service> service_;
  api::Router router_;
  api::HttpMetrics metrics_;
  api::HttpLimits limits_;
  std::string openapi_text_;
  std::vector<std::function<std::string()>> extra_metrics_;
  std::unique_ptr<api::HttpServer> server_;
};

}  // namespace metanode::services
