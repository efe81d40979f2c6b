#include "cli/passphrase.hpp"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace metanode::cli {
namespace {
constexpr std::size_t kPassphraseBytesMax = 4096;

void strip_line_end(std::string& text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
}

core::Result<std::string> checked(std::string passphrase, const std::string& from) {
  if (passphrase.empty()) {
    return core::make_error(core::ErrorCode::kInvalidArgument, "the passphrase from " + from + " is empty");
  }
  if (passphrase.size() > kPassphraseBytesMax) {
    return core::make_error(core::ErrorCode::kInvalidArgument, "the passphrase from " + from + " is longer than " +
                                                                   std::to_string(kPassphraseBytesMax) + " bytes");
  }
  return passphrase;
}
}  // namespace

core::Result<std::string> read_passphrase(const PassphraseSource& source, Io& io, bool confirm) {
  if (!source.file.empty()) {
    std::ifstream in(source.file, std::ios::binary);
    if (!in) return core::make_error(core::ErrorCode::kIo, "cannot read passphrase file " + source.file);
    std::string text;
    std::getline(in, text);  // the first line; a trailing newline is not part of it
    strip_line_end(text);
    return checked(std::move(text), "passphrase file " + source.file);
  }
  if (auto env = io.env("METANODE_PASSPHRASE"); env.has_value()) {
    return checked(*env, "METANODE_PASSPHRASE");
  }
  auto first = io.prompt_secret ? io.prompt_secret("Passphrase: ") : std::nullopt;
  if (!first.has_value()) {
    return core::make_error(core::ErrorCode::kInvalidArgument,
                            "no passphrase: give --passphrase-file, set METANODE_PASSPHRASE, or run in a terminal");
  }
  if (confirm) {
    auto second = io.prompt_secret("Repeat passphrase: ");
    if (!second.has_value() || *second != *first) {
      return core::make_error(core::ErrorCode::kInvalidArgument, "the two passphrases differ");
    }
  }
  return checked(std::move(*first), "the prompt");
}

std::optional<std::string> prompt_secret_on_tty(const std::string& prompt) {
  const int fd = ::open("/dev/tty", O_RDWR | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  termios old_mode{};
  const bool is_tty = ::tcgetattr(fd, &old_mode) == 0;
  if (!is_tty) {
    ::close(fd);
    return std::nullopt;
  }
  termios quiet = old_mode;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  ::tcsetattr(fd, TCSAFLUSH, &quiet);
  (void)!::write(fd, prompt.data(), prompt.size());
  std::string line;
  char c = 0;
  while (line.size() <= kPassphraseBytesMax && ::read(fd, &c, 1) == 1 && c != '\n') line.push_back(c);
  ::tcsetattr(fd, TCSAFLUSH, &old_mode);
  (void)!::write(fd, "\n", 1);
  ::close(fd);
  strip_line_end(line);
  return line;
}

}  // namespace metanode::cli
