// Copyright (c) James Kassemi, SC, US. All rights reserved.
// load_config (read + parse + apply_env + validate) and apply_env.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>

#include "ws_source/config.hpp"

namespace ws_source {
namespace {

// A configuration file is small; anything larger is not one (and is not read into memory).
constexpr std::size_t kMaxConfigBytes = std::size_t{4} << 20;

struct FileCloser {
  void operator()(std::FILE* f) const noexcept { (void)std::fclose(f); }
};

ConfigError io_error(const std::filesystem::path& path, std::string message) {
  return ConfigError{ConfigError::Kind::Io, {}, std::move(message), 0, path.string()};
}

Result<std::string, ConfigError> read_file(const std::filesystem::path& path) {
  errno = 0;
  std::unique_ptr<std::FILE, FileCloser> f(std::fopen(path.c_str(), "rb"));
  if (!f) {
    return fail(io_error(path, std::generic_category().message(errno)));
  }
  std::string text;
  char buf[8192];
  for (;;) {
    const std::size_t n = std::fread(buf, 1, sizeof buf, f.get());
    text.append(buf, n);
    if (text.size() > kMaxConfigBytes) {
      return fail(io_error(path, "larger than " + std::to_string(kMaxConfigBytes >> 20) + " MiB"));
    }
    if (n < sizeof buf) {
      break;
    }
  }
  if (std::ferror(f.get()) != 0) {
    // glibc sets errno on a failed read (EISDIR for a directory).
    return fail(io_error(path, std::generic_category().message(errno != 0 ? errno : EIO)));
  }
  return text;
}

std::string_view trim(std::string_view s) noexcept {
  constexpr std::string_view kSpace = " \t\r\n\f\v";
  const auto first = s.find_first_not_of(kSpace);
  if (first == std::string_view::npos) {
    return {};
  }
  return s.substr(first, s.find_last_not_of(kSpace) - first + 1);
}

}  // namespace

void apply_env(WsConfig& config) {
  if (!config.api_keys.empty()) {
    return;
  }
  // kApiKeyEnv views a string literal, so data() is NUL-terminated. getenv is not safe against a
  // concurrent setenv; the header says so.
  const char* value = std::getenv(kApiKeyEnv.data());  // NOLINT(concurrency-mt-unsafe)
  if (value == nullptr) {
    return;
  }
  const std::string_view key = trim(value);
  if (!key.empty()) {
    config.api_keys.emplace_back(std::string(key));
  }
}

Result<WsConfig, ConfigError> load_config(const std::filesystem::path& path) {
  auto text = read_file(path);
  if (!text) {
    return fail(std::move(text).error());
  }
  auto config = parse_config(*text);
  {
    // The text may hold a key: overwrite it before the buffer is freed.
    volatile char* p = text->data();
    for (std::size_t i = 0; i < text->size(); ++i) {
      p[i] = '\0';
    }
  }
  if (!config) {
    ConfigError e = std::move(config).error();
    e.path = path.string();
    return fail(std::move(e));
  }
  apply_env(*config);
  if (auto ok = validate(*config); !ok) {
    ConfigError e = std::move(ok).error();
    e.path = path.string();
    return fail(std::move(e));
  }
  return config;
}

}  // namespace ws_source
