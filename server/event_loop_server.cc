#include "server/event_loop_server.h"

#include <fmt/format.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <type_traits>
#include <vector>

#include "server/api_dispatcher.h"
#include "server/api_error.h"

namespace kftenant::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
// A connection's stream, bound to its loop's executor type: beast::tcp_stream's type-erased
// any_io_executor was constructed, copied and destroyed several times per request (perf).
using LoopExecutor = asio::io_context::executor_type;
using TcpStream = beast::basic_stream<tcp, LoopExecutor>;
using LoopSocket = asio::basic_stream_socket<tcp, LoopExecutor>;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// %XX decoded (a malformed escape kept as it is, as cpp-httplib does); `plus` also '+' as a
// space (query strings).
std::string percent_decode(std::string_view s, bool plus) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      const int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += (plus && s[i] == '+') ? ' ' : s[i];
  }
  return out;
}

std::multimap<std::string, std::string> parse_query(std::string_view q) {
  std::multimap<std::string, std::string> out;
  while (!q.empty()) {
    const size_t amp = q.find('&');
    std::string_view pair = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view() : q.substr(amp + 1);
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    out.emplace(percent_decode(pair.substr(0, eq), true),
                eq == std::string_view::npos ? "" : percent_decode(pair.substr(eq + 1), true));
  }
  return out;
}

// A response body that is a shared string, written from where it is (Beast's Body concept):
// the answer keeps the bytes alive until they are sent, however many answers share them.
struct SharedTextBody {
  using value_type = std::shared_ptr<const std::string>;

  static std::uint64_t size(const value_type& body) { return body ? body->size() : 0; }

  class writer {
   public:
    using const_buffers_type = asio::const_buffer;
    template <bool isRequest, class Fields>
    writer(const http::header<isRequest, Fields>&, const value_type& body) : body_(body) {}
    void init(beast::error_code& ec) { ec = {}; }
    boost::optional<std::pair<const_buffers_type, bool>> get(beast::error_code& ec) {
      ec = {};
      if (!body_ || body_->empty()) return boost::none;
      return {{asio::const_buffer(body_->data(), body_->size()), false}};
    }

   private:
    const value_type& body_;
  };
};

ApiResponse error_answer(const ApiError& error) {
  return ApiResponse{error.status, to_json(error), "", ""};
}

}  // namespace

struct EventLoopServer::Impl {
  RouteTable routes;
  HttpServerOptions options;
  ApiDispatcher dispatcher;
  int loop_threads;
  // Before the loop: sessions still queued in it when it is destroyed leave this set.
  struct SessionBase;
  template <class Stream>
  class Session;
  std::mutex sessions_mu;
  std::set<SessionBase*> sessions;        // to close the idle ones at stop()
  std::optional<asio::ssl::context> tls;  // set by bind() when options.tls is
  // A loop per thread, each connection on one of them for its life (given in turn): its
  // handlers then never run at once, without a strand. One io_context run by every thread with
  // a strand per connection spent a tenth of the server's CPU in the strands' queues and type
  // erasure and the shared scheduler's lock (perf, bench_serve users page, 2026-12-07).
  std::vector<std::unique_ptr<asio::io_context>> loops;
  // Keep the loops without a connection running until stop().
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> keep_running;
  size_t next_loop = 0;    // the acceptor's loop only
  tcp::acceptor acceptor;  // on loops[0], as are stop()'s closing steps
  asio::thread_pool workers;
  std::atomic<bool> stopped{false};

  Impl(RouteTable r, HttpServerOptions o, int threads)
      : routes(std::move(r)),
        options(std::move(o)),
        dispatcher(routes, options),
        loop_threads(std::max(1, threads)),
        loops(make_loops(loop_threads)),
        acceptor(*loops[0]),
        workers(static_cast<size_t>(std::max(1, options.threads))) {
    for (auto& loop : loops) keep_running.push_back(asio::make_work_guard(*loop));
  }

  static std::vector<std::unique_ptr<asio::io_context>> make_loops(int n) {
    std::vector<std::unique_ptr<asio::io_context>> out;
    // 1: run by one thread (asio may spare some locking); posts from workers stay safe.
    for (int i = 0; i < n; ++i) out.push_back(std::make_unique<asio::io_context>(1));
    return out;
  }

  void accept();
  void close_idle_sessions();
};

// What stop() needs of a connection, whatever its stream.
struct EventLoopServer::Impl::SessionBase : std::enable_shared_from_this<SessionBase> {
  virtual ~SessionBase() = default;
  [[nodiscard]] virtual asio::any_io_executor executor() = 0;
  virtual void close_if_idle() = 0;
};

// One connection: a TcpStream, or an ssl_stream over one (HTTPS).
template <class Stream>
class EventLoopServer::Impl::Session : public SessionBase {
 public:
  static constexpr bool kTls = !std::is_same_v<Stream, TcpStream>;

  template <class... Args>
  explicit Session(Impl& server, Args&&... args)
      : server_(server), stream_(std::forward<Args>(args)...) {}

  void start() {
    {
      std::lock_guard lock(server_.sessions_mu);
      server_.sessions.insert(this);
    }
    boost::system::error_code ec;
    tcp().socket().set_option(tcp::no_delay(true), ec);
    auto peer = tcp().socket().remote_endpoint(ec);
    if (!ec) peer_ = peer.address().to_string();
    if constexpr (kTls) {
      tcp().expires_after(server_.options.read_timeout);
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = share()](beast::error_code e) {
                                if (e) return self->close();
                                self->read_header();
                              });
    } else {
      read_header();
    }
  }

  [[nodiscard]] asio::any_io_executor executor() override { return tcp().get_executor(); }

  ~Session() override {
    std::lock_guard lock(server_.sessions_mu);
    server_.sessions.erase(this);
  }

  // At stop(): a connection waiting for its next request is closed; one being answered closes
  // after its answer. Runs on the loop.
  void close_if_idle() override {
    if (idle_) {
      boost::system::error_code ec;
      tcp().socket().shutdown(tcp::socket::shutdown_both, ec);
      tcp().socket().close(ec);
    }
  }

 private:
  std::shared_ptr<Session> share() { return std::static_pointer_cast<Session>(shared_from_this()); }
  TcpStream& tcp() { return beast::get_lowest_layer(stream_); }

  void read_header() {
    if (server_.stopped) return close();
    parser_.emplace();
    parser_->body_limit(server_.options.max_body_bytes);
    parser_->header_limit(64 * 1024);
    idle_ = true;
    tcp().expires_after(server_.options.read_timeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = share()](beast::error_code ec, size_t) { self->on_header(ec); });
  }

  void on_header(beast::error_code ec) {
    idle_ = false;
    if (ec) return on_read_error(ec);
    auto& req = parser_->get();
    if (beast::iequals(req[http::field::expect], "100-continue")) {
      // curl sends Expect for bodies over 1 KiB and waits a second for this before sending it.
      static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      asio::async_write(stream_, asio::buffer(kContinue),
                        [self = share()](beast::error_code e, size_t) {
                          if (e) return self->close();
                          self->read_body();
                        });
      return;
    }
    read_body();
  }

  void read_body() {
    http::async_read(stream_, buffer_, *parser_, [self = share()](beast::error_code ec, size_t) {
      if (ec) return self->on_read_error(ec);
      self->on_request();
    });
  }

  void on_read_error(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      keep_alive_ = false;
      return respond(error_answer(api_error(
          ErrorCode::kTooLarge, "the request body is over the server's limit (--max-body)")));
    }
    // The client went, the connection timed out idle, or the server is stopping: nothing to say.
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
        ec == asio::error::eof || !parser_ || !parser_->got_some())
      return close();
    keep_alive_ = false;
    respond(ApiResponse{
        400, to_json(ApiError{400, "BadRequest", "the request could not be read", ""}), "", ""});
  }

  void on_request() {
    auto& req = parser_->get();
    ++served_;
    keep_alive_ = req.keep_alive() && served_ < server_.options.keep_alive_requests;
    if (req.method() == http::verb::get) {
      respond(answer());  // from the cache: no waiting
    } else {
      // The guard keeps the loop running while the answer is being made (nothing of the
      // connection's is queued in it meanwhile): serve() must not return before it is sent.
      asio::post(server_.workers, [self = share(), busy = asio::make_work_guard(executor())] {
        ApiResponse a = self->answer();
        asio::post(self->executor(),
                   [self, a = std::move(a)]() mutable { self->respond(std::move(a)); });
      });
    }
  }

  ApiResponse answer() {
    auto& req = parser_->get();
    const std::string_view target(req.target().data(), req.target().size());
    const size_t question = target.find('?');
    IncomingRequest in;
    in.method = std::string(req.method_string());
    in.path = percent_decode(target.substr(0, question), false);
    if (question != std::string_view::npos) in.query = parse_query(target.substr(question + 1));
    in.body = std::move(req.body());
    in.header = [&req](std::string_view name) -> std::optional<std::string> {
      auto it = req.find(beast::string_view(name.data(), name.size()));
      if (it == req.end()) return std::nullopt;
      return std::string(it->value());
    };
    in.peer_address = peer_;
    return server_.dispatcher.dispatch(in);
  }

  void respond(ApiResponse a) {
    res_ = {};
    res_.version(11);
    res_.result(static_cast<unsigned>(a.status));
    for (const auto& [name, value] : a.headers) res_.set(name, value);
    if (a.stream) {
      // Produced by a blocking writer (Server-Sent Events of an import): on a worker, with
      // plain writes on the socket, nothing else of the connection's being under way meanwhile.
      tcp().expires_never();
      asio::post(server_.workers,
                 [self = share(), a = std::move(a), busy = asio::make_work_guard(executor())] {
                   self->send_stream(a);
                   asio::post(self->executor(), [self] { self->close(); });
                 });
      return;
    }
    if (a.shared_text || !a.text.empty() || !a.content_type.empty()) {
      res_.set(http::field::content_type,
               a.content_type.empty() ? "text/plain; charset=utf-8" : a.content_type);
      res_.body() = a.shared_text ? std::move(a.shared_text)
                                  : std::make_shared<const std::string>(std::move(a.text));
    } else {
      res_.set(http::field::content_type, "application/json");
      res_.body() = std::make_shared<const std::string>(
          a.body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    }
    if (server_.stopped) keep_alive_ = false;
    res_.keep_alive(keep_alive_);
    res_.prepare_payload();
    tcp().expires_after(server_.options.write_timeout);
    http::async_write(stream_, res_, [self = share()](beast::error_code ec, size_t) {
      if (ec || !self->keep_alive_) return self->close();
      self->read_header();
    });
  }

  // A chunked answer, its chunks as `a.stream` writes them; the connection closes after it.
  void send_stream(const ApiResponse& a) {
    http::response<http::empty_body> head{static_cast<http::status>(a.status), 11};
    for (const auto& [name, value] : a.headers) head.set(name, value);
    head.set(http::field::content_type, a.content_type);
    head.chunked(true);
    head.keep_alive(false);
    beast::error_code ec;
    http::response_serializer<http::empty_body> serializer{head};
    http::write_header(stream_, serializer, ec);
    if (ec) return;
    a.stream([&](std::string_view chunk) {
      if (chunk.empty()) return !ec;  // an empty chunk would end the answer
      asio::write(stream_, http::make_chunk(asio::buffer(chunk.data(), chunk.size())), ec);
      return !ec;
    });
    if (!ec) asio::write(stream_, http::make_chunk_last(), ec);
  }

  void close() {
    boost::system::error_code ec;
    tcp().socket().shutdown(tcp::socket::shutdown_send, ec);
    tcp().socket().close(ec);
  }

  Impl& server_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<SharedTextBody> res_;
  std::string peer_;
  size_t served_ = 0;
  bool keep_alive_ = true;
  bool idle_ = false;
};

void EventLoopServer::Impl::accept() {
  asio::io_context& loop = *loops[next_loop];
  next_loop = (next_loop + 1) % loops.size();
  // Given a context, the accepted socket is bound to its executor type (LoopSocket).
  acceptor.async_accept(loop, [this](beast::error_code ec, LoopSocket socket) {
    if (ec) {
      if (!acceptor.is_open() || stopped) return;
    } else {
      if (tls)
        std::make_shared<Session<beast::ssl_stream<TcpStream>>>(*this, std::move(socket), *tls)
            ->start();
      else
        std::make_shared<Session<TcpStream>>(*this, std::move(socket))->start();
    }
    if (!stopped) accept();
  });
}

void EventLoopServer::Impl::close_idle_sessions() {
  std::vector<std::shared_ptr<SessionBase>> alive;
  {
    std::lock_guard lock(sessions_mu);
    alive.reserve(sessions.size());
    // One being destroyed (waiting for the lock) is skipped.
    for (SessionBase* s : sessions)
      if (auto session = s->weak_from_this().lock()) alive.push_back(std::move(session));
  }
  // Posted and let go of without the lock: a session closed meanwhile on its loop may be let go
  // of last here, and its destructor takes the lock (held here, that hung stop() in a test).
  for (auto& session : alive)
    asio::post(session->executor(), [session] { session->close_if_idle(); });
  alive.clear();
}

EventLoopServer::EventLoopServer(RouteTable routes, HttpServerOptions options, int loop_threads)
    : impl_(std::make_unique<Impl>(std::move(routes), std::move(options), loop_threads)) {}

EventLoopServer::~EventLoopServer() {
  stop();
  impl_->workers.join();
}

Result<int> EventLoopServer::bind() {
  Impl& s = *impl_;
  if (s.options.tls && !s.tls) {
    // The certificate's own callback picks the pair per handshake (re-read on rotation), as
    // for the httplib server.
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == nullptr)
      return make_error(ErrorCode::kInternal, "cannot set up TLS (OpenSSL: SSL_CTX_new)");
    s.tls.emplace(ctx);  // owns it from here
    s.options.tls->configure(*ctx);
  }
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(s.options.host, ec);
  if (ec)
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("cannot listen on {}:{}: not an IP address (--listen)",
                                  s.options.host, s.options.port));
  const tcp::endpoint endpoint(address, static_cast<unsigned short>(s.options.port));
  s.acceptor.open(endpoint.protocol(), ec);
  // SO_REUSEADDR only (kftenant/listen_backlog.h says why not SO_REUSEPORT).
  if (!ec) s.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) s.acceptor.bind(endpoint, ec);
  if (!ec) s.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("cannot listen on {}:{}: the address is in use or not this "
                                  "machine's (--listen)",
                                  s.options.host, s.options.port));
  return s.acceptor.local_endpoint().port();
}

void EventLoopServer::serve() {
  Impl& s = *impl_;
  if (s.stopped) return;
  s.accept();
  std::vector<std::thread> more;
  for (size_t i = 1; i < s.loops.size(); ++i) more.emplace_back([&s, i] { s.loops[i]->run(); });
  s.loops[0]->run();
  for (auto& t : more) t.join();
}

void EventLoopServer::stop() {
  Impl& s = *impl_;
  if (s.stopped.exchange(true)) return;
  asio::post(s.acceptor.get_executor(), [&s] {
    boost::system::error_code ec;
    s.acceptor.close(ec);
    s.close_idle_sessions();
    // After the closing posts above: a loop returns once its connections are done.
    for (auto& guard : s.keep_running) guard.reset();
  });
}

const RouteTable& EventLoopServer::routes() const {
  return impl_->routes;
}

void EventLoopServer::flush_logs() {
  impl_->dispatcher.flush_logs();
}

}  // namespace kftenant::server
