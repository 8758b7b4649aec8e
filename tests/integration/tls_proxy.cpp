// Copyright (c) James Kassemi, SC, US. All rights reserved.
#include "tls_proxy.hpp"

#include <array>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <cstdlib>
#include <thread>

namespace ws_source::test {

namespace asio = boost::asio;
using asio::ip::tcp;

TestCertificate TestCertificate::make(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  TestCertificate c{dir / "cert.pem", dir / "key.pem"};
  const std::string cmd =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost "
      "-addext subjectAltName=DNS:localhost -keyout '" +
      c.key.string() + "' -out '" + c.cert.string() + "' > '" + (dir / "openssl.log").string() + "' 2>&1";
  if (std::system(cmd.c_str()) != 0) return {};  // NOLINT(cert-env33-c): a fixed command, test only
  return c;
}

namespace {

/// Pipes bytes one way until either side ends; then closes both.
template <class From, class To>
void pump(std::shared_ptr<From> from, std::shared_ptr<To> to, std::shared_ptr<std::array<char, 16384>> buf,
          std::shared_ptr<std::function<void()>> close_both) {
  from->async_read_some(asio::buffer(*buf), [=](boost::system::error_code ec, std::size_t n) {
    if (ec) {
      (*close_both)();
      return;
    }
    asio::async_write(*to, asio::buffer(buf->data(), n), [=](boost::system::error_code wec, std::size_t) {
      if (wec) {
        (*close_both)();
        return;
      }
      pump(from, to, buf, close_both);
    });
  });
}

}  // namespace

struct TlsProxy::Impl {
  asio::io_context io;
  asio::ssl::context ctx{asio::ssl::context::tls_server};
  tcp::acceptor acceptor{io};
  std::uint16_t target{0};
  std::atomic<std::uint64_t> failed{0};
  std::thread thread;

  void accept() {
    acceptor.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
      if (ec) return;
      auto tls = std::make_shared<asio::ssl::stream<tcp::socket>>(std::move(socket), ctx);
      tls->async_handshake(asio::ssl::stream_base::server, [this, tls](boost::system::error_code hec) {
        if (hec) {
          failed.fetch_add(1);
          return;
        }
        auto plain = std::make_shared<tcp::socket>(io);
        boost::system::error_code cec;
        plain->connect({asio::ip::make_address("127.0.0.1"), target}, cec);
        if (cec) return;
        auto close_both = std::make_shared<std::function<void()>>([tls, plain] {
          boost::system::error_code ignore;
          tls->lowest_layer().close(ignore);
          plain->close(ignore);
        });
        pump(tls, plain, std::make_shared<std::array<char, 16384>>(), close_both);
        pump(plain, tls, std::make_shared<std::array<char, 16384>>(), close_both);
      });
      accept();
    });
  }
};

TlsProxy::TlsProxy(const TestCertificate& cert, std::uint16_t target_port) : impl_(std::make_unique<Impl>()) {
  impl_->target = target_port;
  impl_->ctx.use_certificate_chain_file(cert.cert.string());
  impl_->ctx.use_private_key_file(cert.key.string(), asio::ssl::context::pem);
  const tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(ep.protocol());
  impl_->acceptor.bind(ep);
  impl_->acceptor.listen();
  impl_->accept();
  impl_->thread = std::thread([impl = impl_.get()] { impl->io.run(); });
}

TlsProxy::~TlsProxy() {
  impl_->io.stop();
  impl_->thread.join();
}

std::uint16_t TlsProxy::port() const noexcept { return impl_->acceptor.local_endpoint().port(); }

std::uint64_t TlsProxy::failed_handshakes() const noexcept { return impl_->failed.load(); }

}  // namespace ws_source::test
