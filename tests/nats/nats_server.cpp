// Copyright (c) James Kassemi, SC, US. All rights reserved.
#include "nats_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <iterator>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

namespace ws_source::test {
namespace {

bool executable(const std::string& path) { return !path.empty() && ::access(path.c_str(), X_OK) == 0; }

// Whether something accepts TCP connections on 127.0.0.1:port and says INFO (a NATS server).
bool accepts(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;  // NOLINT(*-reinterpret-cast)
  if (ok) {
    timeval tv{1, 0};
    (void)::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::array<char, 4> buf{};
    ok = ::recv(fd, buf.data(), buf.size(), MSG_WAITALL) == 4 && std::memcmp(buf.data(), "INFO", 4) == 0;
  }
  ::close(fd);
  return ok;
}

// Children are forked by one thread that lives as long as the process, with
// PR_SET_PDEATHSIG: a test that crashes or is killed by ctest's timeout takes its nats-servers
// with it (the signal fires when the *thread* that forked exits, hence the dedicated thread).
class Spawner {
 public:
  static Spawner& instance() {
    static auto* s = new Spawner();  // never destroyed: its thread runs until the process ends
    return *s;
  }
  bool spawn(const std::string& bin, const std::vector<char*>& argv, const std::string& out, pid_t& pid, int& err) {
    std::unique_lock lock(mu_);
    Request req{&bin, &argv, &out};
    queue_.push_back(&req);
    cv_.notify_all();
    cv_.wait(lock, [&] { return req.done; });
    pid = req.pid;
    err = req.err;
    return req.pid > 0;
  }

 private:
  struct Request {
    const std::string* bin;
    const std::vector<char*>* argv;
    const std::string* out;
    pid_t pid{-1};
    int err{0};
    bool done{false};
  };
  Spawner() {
    std::thread([this] { loop(); }).detach();
  }
  [[noreturn]] void loop() {
    for (;;) {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return !queue_.empty(); });
      Request* r = queue_.front();
      queue_.pop_front();
      fork_one(*r);
      r->done = true;
      cv_.notify_all();
    }
  }
  static void fork_one(Request& r) {
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) {
      r.err = errno;
      return;
    }
    if (pid == 0) {  // the child: async-signal-safe calls only
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(127);
      const int in = ::open("/dev/null", O_RDONLY);
      const int o = ::open(r.out->c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (in >= 0) ::dup2(in, 0);
      if (o >= 0) {
        ::dup2(o, 1);
        ::dup2(o, 2);
      }
      ::execv(r.bin->c_str(), r.argv->data());
      ::_exit(127);
    }
    r.pid = pid;
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Request*> queue_;
};

bool spawn_child(const std::string& bin, const std::vector<char*>& argv, const std::string& out, pid_t& pid, int& err) {
  return Spawner::instance().spawn(bin, argv, out, pid, err);
}

}  // namespace

std::string nats_server_binary() {
  if (const char* env = std::getenv("WS_SOURCE_NATS_SERVER"); env != nullptr && executable(env)) return env;
#ifdef WS_SOURCE_NATS_SERVER_PATH
  if (executable(WS_SOURCE_NATS_SERVER_PATH)) return WS_SOURCE_NATS_SERVER_PATH;
#endif
  for (const char* dir : {"/usr/sbin", "/usr/bin", "/usr/local/bin", "/usr/local/sbin"}) {
    std::string p = std::string(dir) + "/nats-server";
    if (executable(p)) return p;
  }
  return {};
}

std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::uint16_t port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&  // NOLINT(*-reinterpret-cast)
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {  // NOLINT(*-reinterpret-cast)
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

std::unique_ptr<NatsServer> NatsServer::start(Options options, std::string& error) {
  std::unique_ptr<NatsServer> s(new NatsServer());
  s->options_ = options;
  std::string templ = (std::filesystem::temp_directory_path() / "ws-source-nats-XXXXXX").string();
  if (::mkdtemp(templ.data()) == nullptr) {
    error = "mkdtemp: " + std::string(std::strerror(errno));
    return nullptr;
  }
  s->dir_ = templ;
  for (int attempt = 0; attempt < 5; ++attempt) {  // a free port may be taken meanwhile: try another
    s->port_ = free_port();
    if (s->port_ != 0 && s->spawn(error)) return s;
  }
  return nullptr;
}

bool NatsServer::spawn(std::string& error) {
  const std::string bin = nats_server_binary();
  if (bin.empty()) {
    error = "nats-server not found (apt-get install nats-server, or set WS_SOURCE_NATS_SERVER)";
    return false;
  }
  std::vector<std::string> args{
      bin, "-a", "127.0.0.1", "-p", std::to_string(port_), "-l", (dir_ / "server.log").string()};
  if (options_.jetstream) {
    args.insert(args.end(), {"-js", "-sd", (dir_ / "store").string()});
  }
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::string out = (dir_ / "server.out").string();
  pid_t pid = -1;
  int err = 0;
  if (!spawn_child(bin, argv, out, pid, err)) {
    error = "cannot start " + bin + ": " + std::strerror(err);
    return false;
  }
  pid_ = pid;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {  // exited: the port was taken, or a bad flag
      pid_ = -1;
      error = "nats-server exited at start (see " + out + ")";
      return false;
    }
    if (accepts(port_)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  reap(SIGKILL);
  error = "nats-server did not accept connections within 10 s";
  return false;
}

void NatsServer::reap(int signal) {
  if (pid_ <= 0) return;
  if (signal == SIGTERM || signal == SIGKILL) (void)::kill(pid_, SIGCONT);  // a frozen one cannot act
  (void)::kill(pid_, signal);
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (::waitpid(pid_, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      (void)::kill(pid_, SIGKILL);
      (void)::waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  pid_ = -1;
}

void NatsServer::kill_hard() { reap(SIGKILL); }
void NatsServer::stop() { reap(SIGTERM); }
void NatsServer::freeze() {
  if (pid_ <= 0) return;
  (void)::kill(pid_, SIGSTOP);
  // Wait until it is stopped (state T in /proc/<pid>/stat): kill() only queues the signal.
  const std::string stat = "/proc/" + std::to_string(pid_) + "/stat";
  for (int i = 0; i < 200; ++i) {
    std::ifstream in(stat);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const std::size_t paren = text.rfind(')');
    if (paren == std::string::npos || paren + 2 >= text.size() || text[paren + 2] == 'T') return;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}
void NatsServer::thaw() {
  if (pid_ > 0) (void)::kill(pid_, SIGCONT);
}

bool NatsServer::restart(std::string& error) {
  if (running()) stop();
  return spawn(error);
}

NatsServer::~NatsServer() {
  reap(SIGTERM);
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

}  // namespace ws_source::test
