// Child processes and ports for the system tests: the real `metanode` binary, driven from a test.
#pragma once

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace metanode::system_testing {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// True when a listener could bind 127.0.0.1:port right now.
inline bool port_free(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

// A port for the ledger API (port_base + 1) whose other ports (XTMP + 4, proofs + 6) are free too. Taken
// below Linux's ephemeral range (32768+), so an outgoing connection elsewhere on the machine
// cannot be holding it by the time the node binds.
inline std::uint16_t free_port() {
  std::mt19937 rng(std::random_device{}());
  std::uniform_int_distribution<int> pick(20'000, 32'000);
  for (int attempt = 0; attempt < 200; ++attempt) {
    const auto port = static_cast<std::uint16_t>(pick(rng));
    // Every port the node takes with port base `port - 1`: its services at base + 1..7 (ledger,
    // proofs, ...) and XTMP at base + 4.
    bool all_free = true;
    for (int offset = 0; offset <= 6 && all_free; ++offset) all_free = port_free(static_cast<std::uint16_t>(port + offset));
    if (all_free) return port;
  }
  return 0;
}

inline std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

inline std::string tail_of(const fs::path& path, std::size_t bytes = 3'000) {
  const std::string text = read_file(path);
  return text.size() <= bytes ? text : "…" + text.substr(text.size() - bytes);
}

// Starts `args` (args[0] is the program) with stdout and stderr appended to `log`. The child dies
// with this process (PR_SET_PDEATHSIG), so a crashed test leaves no node behind.
inline pid_t spawn(const std::vector<std::string>& args, const fs::path& log) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const std::string log_path = log.string();
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid != 0) return pid;  // parent (or -1)
  // Child: async-signal-safe calls only until exec.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(126);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::signal(SIGTERM, SIG_DFL);
  ::signal(SIGINT, SIG_DFL);
  const int out = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  const int in = ::open("/dev/null", O_RDONLY);
  if (out < 0 || in < 0) ::_exit(125);
  ::dup2(in, 0);
  ::dup2(out, 1);
  ::dup2(out, 2);
  ::execv(argv[0], argv.data());
  ::_exit(127);
}

// The wait status once `pid` exits, or nullopt if it is still running after `timeout`.
inline std::optional<int> wait_exit(pid_t pid, milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (true) {
    int status = 0;
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return status;
    if (r < 0) return std::nullopt;
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(milliseconds(5));
  }
}

inline std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "signal " + std::to_string(WTERMSIG(status));
  return "status " + std::to_string(status);
}

}  // namespace metanode::system_testing
