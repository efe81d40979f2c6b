// Raw client sockets for tests that misbehave on purpose (idle, slow, oversized): connect from a
// chosen loopback source address, send everything, read until the server closes or goes quiet.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <string>

namespace metanode::testing {

// A connected socket from `source` (a loopback address such as "127.0.0.2") to
// 127.0.0.1:port; -1 on failure.
inline int connect_from(const char* source, std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in local{};
  local.sin_family = AF_INET;
  ::inet_pton(AF_INET, source, &local.sin_addr);
  sockaddr_in remote{};
  remote.sin_family = AF_INET;
  remote.sin_port = htons(port);
  ::inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&remote), sizeof remote) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Everything the server sends until it closes the connection (closed = true) or goes quiet for
// `quiet` (closed = false).
struct Received {
  std::string bytes;
  bool closed = false;
};

inline Received read_all(int fd, std::chrono::milliseconds quiet) {
  Received r;
  char buf[4096];
  while (true) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(quiet.count())) <= 0) return r;
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      r.closed = true;
      return r;
    }
    r.bytes.append(buf, static_cast<std::size_t>(n));
  }
}

inline bool send_all(int fd, const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

// Raises the descriptor limit to `want` if the hard limit allows; false if it cannot.
inline bool enough_descriptors(rlim_t want) {
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) != 0) return false;
  if (files.rlim_cur < want && files.rlim_max >= want) {
    files.rlim_cur = want;
    if (::setrlimit(RLIMIT_NOFILE, &files) != 0) return false;
  }
  return files.rlim_cur >= want;
}

// The "code" of a JSON error answer in raw HTTP bytes, or "".
inline std::string error_code_in(const std::string& bytes) {
  const auto at = bytes.find("\"code\":\"");
  if (at == std::string::npos) return {};
  const auto start = at + 8;
  return bytes.substr(start, bytes.find('"', start) - start);
}

}  // namespace metanode::testing
