#include "bpci/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <linux/close_range.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>

namespace metanode::bpci {

namespace fs = std::filesystem;

core::Result<fs::path> self_executable() {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return core::make_error(core::ErrorCode::kIo, "cannot find the metanode executable: " + ec.message());
  return self;
}

core::Result<pid_t> spawn(const fs::path& self, const std::vector<std::string>& args, const fs::path& log_file,
                          bool detached) {
  const std::string exe = self.string();
  const std::string log = log_file.string();
  std::vector<const char*> argv = {exe.c_str()};
  for (const auto& a : args) argv.push_back(a.c_str());
  argv.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) return core::make_error(core::ErrorCode::kIo, "cannot start " + args.front() + ": " + std::strerror(errno));
  if (pid > 0) return pid;
  // Child: async-signal-safe calls only until exec.
  if (detached) {
    ::setsid();
  } else {
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(126);
    ::setpgid(0, 0);
  }
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  const int in = ::open("/dev/null", O_RDONLY);
  if (out < 0 || in < 0) ::_exit(125);
  ::dup2(in, STDIN_FILENO);
  ::dup2(out, STDOUT_FILENO);
  ::dup2(out, STDERR_FILENO);
  // Nothing else of the parent's: a listening socket inherited by a node that outlives its
  // parent (BPCI's console port, say) would keep that port taken after the parent stopped.
  if (::close_range(3, ~0U, 0) != 0) {
    for (int fd = 3; fd < 65'536; ++fd) ::close(fd);
  }
  ::execv(exe.c_str(), const_cast<char* const*>(argv.data()));
  ::_exit(127);
}

core::Result<pid_t> spawn_node(const fs::path& self, const fs::path& dir, const std::string& log_level, bool detached) {
  return spawn(self, {"node", "--config", (dir / "config.toml").string(), "--log-level", log_level}, dir / "node.log",
               detached);
}

core::Result<NodeStart> start_node_once(const fs::path& self, const fs::path& dir, const std::string& log_level,
                                        bool detached) {
  if (const auto running = running_pid(dir / "node.pid", dir / "config.toml")) return NodeStart{*running, true};
  MN_TRY_ASSIGN(const pid_t pid, spawn_node(self, dir, log_level, detached));
  std::ofstream out(dir / "node.pid", std::ios::trunc);
  out << pid << "\n";
  if (!out.flush()) return core::make_error(core::ErrorCode::kIo, "cannot write " + (dir / "node.pid").string());
  return NodeStart{pid, false};
}

std::optional<pid_t> running_pid(const fs::path& pid_file, const fs::path& config) {
  std::ifstream in(pid_file);
  long pid = 0;
  if (!(in >> pid) || pid <= 1) return std::nullopt;
  if (::kill(static_cast<pid_t>(pid), 0) != 0) return std::nullopt;
  std::ifstream cmdline("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::stringstream text;
  text << cmdline.rdbuf();
  if (text.str().find(config.string()) == std::string::npos) return std::nullopt;
  return static_cast<pid_t>(pid);
}

}  // namespace metanode::bpci
