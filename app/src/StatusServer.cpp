#include "soar/app/StatusServer.h"

#include "soar/app/Logging.h"
#include "soar/app/StatusRender.h"

#include <Poco/Logger.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Net/TCPServer.h>
#include <Poco/String.h>
#include <Poco/ThreadPool.h>
#include <Poco/URI.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <utility>

namespace soar::app {

namespace {

using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

void send(HTTPServerResponse& response, HTTPResponse::HTTPStatus status,
          const std::string& content_type, const std::string& raw_body, bool head) {
    // Error texts in the snapshot come from the engine, which keeps secrets out of them;
    // masking here as well means a slip there still never reaches a browser or a scraper.
    const std::string body = Logging::redactor().apply(raw_body);
    response.setStatusAndReason(status);
    response.setContentType(content_type);
    response.set("Cache-Control", "no-store");
    response.set("X-Content-Type-Options", "nosniff");
    response.setContentLength(static_cast<std::streamsize>(body.size()));
    auto& out = response.send();
    if (!head) out << body;
}

/// Threads that answer requests; a client address may hold at most half of them, so the
/// others stay free for /healthz and everyone else.
constexpr int kThreads = 16;
constexpr std::size_t kPerClient = kThreads / 2;
/// How long a connection may take to send its request head (per read).
constexpr int kHeadSeconds = 5;
/// Wrong tokens from one address within a minute before it is answered 429.
constexpr int kAuthFailuresPerMinute = 10;

}  // namespace

/// What every handler shares: the token, the names served, and the accounting of refused
/// authentications and connections (for the log and /metrics).
struct StatusServer::Guard {
    std::string token;
    std::vector<std::string> hosts;
    std::atomic<std::uint64_t> auth_failures{0};
    std::atomic<std::uint64_t> connections_refused{0};
    std::atomic<std::uint64_t> slow_dropped{0};

    /// Records a refused authentication from `client`: a wrong token when `presented`, none
    /// otherwise. Logged at most once a minute per address, with the address and the path,
    /// never what was presented. Only wrong tokens count towards blocked().
    void refused(const std::string& client, const std::string& path, bool presented) {
        ++auth_failures;
        const auto now = std::chrono::steady_clock::now();
        std::lock_guard<std::mutex> lock(mutex_);
        auto& window = windows_[client];
        if (now - window.start >= std::chrono::minutes(1)) {
            if (window.count > 1) {
                poco_warning(Poco::Logger::get("app.http"),
                             "status server: " + std::to_string(window.count - 1) +
                                 " more refused authentications from " + client);
            }
            window = {now, 0, 0, false};
        }
        ++window.count;
        if (presented) ++window.guesses;
        if (!window.logged) {
            window.logged = true;
            poco_warning(Poco::Logger::get("app.http"),
                         "status server: refused authentication from " + client + " for " + path);
        }
        if (windows_.size() > 4096) windows_.clear();  // bounded, whatever the clients
    }

    /// Whether `client` sent kAuthFailuresPerMinute wrong tokens this minute: then it is
    /// answered 429 whatever it sends, so a token cannot be guessed at speed.
    bool blocked(const std::string& client) {
        const auto now = std::chrono::steady_clock::now();
        std::lock_guard<std::mutex> lock(mutex_);
        const auto it = windows_.find(client);
        return it != windows_.end() && now - it->second.start < std::chrono::minutes(1) &&
               it->second.guesses >= kAuthFailuresPerMinute;
    }

    /// Admits a new connection unless its address already holds kPerClient. First drops the
    /// connections that are done, and shuts those down that have not sent a request head
    /// within kHeadSeconds of being accepted (slow or idle clients), so their threads are
    /// free again for the connection being admitted.
    bool admit(const Poco::Net::StreamSocket& socket) {
        std::string peer;
        std::string client;
        try {
            const auto address = socket.peerAddress();
            peer = address.toString();
            client = address.host().toString();
        } catch (const Poco::Exception&) {
            return false;  // gone already
        }
        const auto now = std::chrono::steady_clock::now();
        std::lock_guard<std::mutex> lock(mutex_);
        sweepLocked(now);
        const auto held = std::count_if(live_.begin(), live_.end(),
                                        [&](const Live& l) { return l.client == client; });
        if (static_cast<std::size_t>(held) >= kPerClient) {
            ++connections_refused;
            return false;
        }
        live_.push_back({client, peer, socket, now, false, false});
        return true;
    }

    /// What admit() does first, also run every half second by the server's sweeper thread,
    /// so that slow clients are cut off on time and finished connections closed at once.
    void sweep() {
        std::lock_guard<std::mutex> lock(mutex_);
        sweepLocked(std::chrono::steady_clock::now());
    }

    /// The connection from `peer` (address:port) sent its request head.
    void started(const std::string& peer) {
        std::lock_guard<std::mutex> lock(mutex_);
        for (auto& l : live_) {
            if (l.peer == peer) l.started = true;
        }
    }

    /// The request from `peer` was answered.
    void finished(const std::string& peer) {
        std::lock_guard<std::mutex> lock(mutex_);
        for (auto& l : live_) {
            if (l.peer == peer) l.finished = true;
        }
    }

    /// The server's own counters, in Prometheus text format.
    std::string metrics() const {
        return "# HELP soar_sync_http_auth_failures_total Status server requests refused for a "
               "missing or wrong token.\n"
               "# TYPE soar_sync_http_auth_failures_total counter\n"
               "soar_sync_http_auth_failures_total " +
               std::to_string(auth_failures.load()) +
               "\n"
               "# HELP soar_sync_http_connections_refused_total Status server connections "
               "refused because their address held too many.\n"
               "# TYPE soar_sync_http_connections_refused_total counter\n"
               "soar_sync_http_connections_refused_total " +
               std::to_string(connections_refused.load()) +
               "\n"
               "# HELP soar_sync_http_slow_connections_total Status server connections closed "
               "for sending no request within the deadline.\n"
               "# TYPE soar_sync_http_slow_connections_total counter\n"
               "soar_sync_http_slow_connections_total " +
               std::to_string(slow_dropped.load()) + "\n";
    }

private:
    struct Window {
        std::chrono::steady_clock::time_point start;
        int count = 0;
        int guesses = 0;
        bool logged = false;
    };
    void sweepLocked(std::chrono::steady_clock::time_point now) {
        for (auto it = live_.begin(); it != live_.end();) {
            // A connection whose request was answered is let go (its thread closes it).
            if (it->finished) {
                it = live_.erase(it);
                continue;
            }
            if (!it->started && now - it->accepted > std::chrono::seconds(kHeadSeconds)) {
                try {
                    it->socket.shutdown();
                } catch (const Poco::Exception&) {  // NOLINT(bugprone-empty-catch)
                }
                ++slow_dropped;
                it = live_.erase(it);
                continue;
            }
            ++it;
        }
    }

    struct Live {
        std::string client;
        std::string peer;
        Poco::Net::StreamSocket socket;
        std::chrono::steady_clock::time_point accepted;
        bool started = false;
        bool finished = false;
    };
    std::mutex mutex_;
    std::map<std::string, Window> windows_;
    std::vector<Live> live_;
};

namespace {

/// Hands each accepted connection to the guard before a thread takes it.
class Admission : public Poco::Net::TCPServerConnectionFilter {
public:
    explicit Admission(StatusServer::Guard& guard) : guard_(guard) {}
    bool accept(const Poco::Net::StreamSocket& socket) override { return guard_.admit(socket); }

private:
    StatusServer::Guard& guard_;
};

class Handler : public Poco::Net::HTTPRequestHandler {
public:
    Handler(StatusSource& source, StatusServer::Guard& guard) : source_(source), guard_(guard) {}

    void handleRequest(HTTPServerRequest& request, HTTPServerResponse& response) override {
        const auto peer = request.clientAddress().toString();
        guard_.started(peer);
        try {
            answer(request, response);
        } catch (...) {
            guard_.finished(peer);
            throw;
        }
        guard_.finished(peer);
    }

private:
    void answer(HTTPServerRequest& request, HTTPServerResponse& response) {
        const bool head = request.getMethod() == Poco::Net::HTTPRequest::HTTP_HEAD;
        std::string path;
        try {
            path = Poco::URI(request.getURI()).getPath();
        } catch (const Poco::Exception&) {
            send(response, HTTPResponse::HTTP_BAD_REQUEST, "text/plain", "bad request\n", head);
            return;
        }
        if (!head && request.getMethod() != Poco::Net::HTTPRequest::HTTP_GET) {
            response.set("Allow", "GET, HEAD");
            send(response, HTTPResponse::HTTP_METHOD_NOT_ALLOWED, "text/plain",
                 "method not allowed\n", false);
            return;
        }
        try {
            if (path == "/healthz") {
                if (source_.storeOpens()) {
                    send(response, HTTPResponse::HTTP_OK, "text/plain", "ok\n", head);
                } else {
                    send(response, HTTPResponse::HTTP_SERVICE_UNAVAILABLE, "text/plain",
                         "the state store does not answer\n", head);
                }
                return;
            }
            if (!hostAllowed(request.get("Host", ""), guard_.hosts)) {
                send(response, HTTPResponse::HTTP_MISDIRECTED_REQUEST, "text/plain",
                     "this Host is not served here; add it to [http] allowed_hosts\n", head);
                return;
            }
            const auto client = request.clientAddress().host().toString();
            if (!guard_.token.empty() && guard_.blocked(client)) {
                response.set("Retry-After", "60");
                send(response, HTTPResponse::HTTP_TOO_MANY_REQUESTS, "text/plain",
                     "too many refused tokens from this address; try again in a minute\n", head);
                return;
            }
            if (!authorized(request)) {
                guard_.refused(client, path, request.has("Authorization"));
                response.set("WWW-Authenticate", "Bearer realm=\"soar-sync\"");
                send(response, HTTPResponse::HTTP_UNAUTHORIZED, "text/plain",
                     "a bearer token is required\n", head);
                return;
            }
            if (path == "/readyz") {
                const auto verdict = readiness(source_.snapshot());
                send(response,
                     verdict.ready ? HTTPResponse::HTTP_OK : HTTPResponse::HTTP_SERVICE_UNAVAILABLE,
                     "application/json", renderReadiness(verdict), head);
            } else if (path == "/status") {
                send(response, HTTPResponse::HTTP_OK, "application/json",
                     renderJson(source_.snapshot()), head);
            } else if (path == "/metrics") {
                send(response, HTTPResponse::HTTP_OK, "text/plain; version=0.0.4; charset=utf-8",
                     renderMetrics(source_.snapshot()) + guard_.metrics(), head);
            } else if (path == "/dead-letters") {
                send(response, HTTPResponse::HTTP_OK, "application/json",
                     renderDeadLettersJson(source_.snapshot()), head);
            } else if (path == "/") {
                send(response, HTTPResponse::HTTP_OK, "text/html; charset=utf-8",
                     renderHtml(source_.snapshot()), head);
            } else {
                send(response, HTTPResponse::HTTP_NOT_FOUND, "text/plain",
                     "not found; try /, /status, /dead-letters, /metrics, /healthz or /readyz\n",
                     head);
            }
        } catch (const std::exception& e) {
            poco_error(Poco::Logger::get("app.http"), path + ": " + e.what());
            if (!response.sent()) {
                send(response, HTTPResponse::HTTP_INTERNAL_SERVER_ERROR, "text/plain",
                     "internal error; see the log\n", head);
            }
        }
    }

    bool authorized(const HTTPServerRequest& request) const {
        const auto& token = guard_.token;
        if (token.empty()) return true;
        const std::string header = request.get("Authorization", "");
        const std::string prefix = "Bearer ";
        if (header.size() <= prefix.size() || Poco::icompare(header.substr(0, 7), prefix) != 0) {
            return false;
        }
        return constantTimeEquals(Poco::trim(header.substr(prefix.size())), token);
    }

    StatusSource& source_;
    StatusServer::Guard& guard_;
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
public:
    Factory(StatusSource& source, StatusServer::Guard& guard) : source_(source), guard_(guard) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(const HTTPServerRequest&) override {
        return new Handler(source_, guard_);
    }

private:
    StatusSource& source_;
    StatusServer::Guard& guard_;
};

}  // namespace

std::string readStatusToken(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw ConfigError("[http] token_file: cannot read '" + path + "'");
    }
    std::ostringstream text;
    text << in.rdbuf();
    auto token = Poco::trim(text.str());
    if (token.empty()) throw ConfigError("[http] token_file: '" + path + "' is empty");
    if (token.size() < kMinStatusTokenLength) {
        throw ConfigError("[http] token_file: the token in '" + path + "' has " +
                          std::to_string(token.size()) + " characters; use at least " +
                          std::to_string(kMinStatusTokenLength) + " (openssl rand -hex 16 > " +
                          path + ")");
    }
    return token;
}

bool hostAllowed(const std::string& host_header, const std::vector<std::string>& names) {
    // No Host (HTTP/1.0 clients, some probes): nothing a browser would send.
    if (host_header.empty()) return true;
    std::string host = Poco::toLower(host_header);
    if (!host.empty() && host.front() == '[') {
        const auto close = host.find(']');
        if (close == std::string::npos) return false;
        host = host.substr(1, close - 1);
    } else if (const auto colon = host.rfind(':'); colon != std::string::npos) {
        host = host.substr(0, colon);
    }
    // An IP literal cannot be rebound to another address.
    Poco::Net::IPAddress ip;
    if (Poco::Net::IPAddress::tryParse(host, ip)) return true;
    if (host == "localhost") return true;
    return std::any_of(names.begin(), names.end(),
                       [&](const std::string& name) { return Poco::toLower(name) == host; });
}

bool constantTimeEquals(const std::string& a, const std::string& b) {
    volatile unsigned char diff = a.size() == b.size() ? 0 : 1;
    const std::size_t n = std::max(a.size(), b.size());
    for (std::size_t i = 0; i < n; ++i) {
        const auto x = static_cast<unsigned char>(i < a.size() ? a[i] : 0);
        const auto y = static_cast<unsigned char>(i < b.size() ? b[i] : 0);
        diff = static_cast<unsigned char>(diff | (x ^ y));
    }
    return diff == 0;
}

StatusServer::StatusServer(const HttpConfig& config, StatusSource& source) {
    guard_ = std::make_unique<Guard>();
    if (!config.token_file.empty()) guard_->token = readStatusToken(config.token_file);
    guard_->hosts = config.allowed_hosts;
    guard_->hosts.push_back(config.host);
    Poco::Net::ServerSocket socket;
    try {
        // Reuse the address (a restart need not wait out TIME_WAIT) but not the port: with
        // SO_REUSEPORT, which bind(address, true) also sets in Poco 1.11, a second daemon
        // would bind the same port silently and the kernel would share the requests.
        socket.bind(Poco::Net::SocketAddress(config.host, config.port), true, false);
        socket.listen(64);
    } catch (const Poco::Exception& e) {
        throw ConfigError("[http] listen: cannot listen on " + config.host + ":" +
                          std::to_string(config.port) + ": " + e.displayText());
    }
    port_ = socket.address().port();
    Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(kThreads);
    params->setMaxQueued(64);
    params->setKeepAlive(false);
    params->setTimeout(Poco::Timespan(kHeadSeconds, 0));
    // Its own thread pool, joined by stop(): no handler outlives the server (or the source
    // it reads).
    pool_ = std::make_unique<Poco::ThreadPool>("status", 1, kThreads);
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(source, *guard_), *pool_, socket,
                                                      params);
    server_->setConnectionFilter(new Admission(*guard_));
}

StatusServer::~StatusServer() { stop(); }

const std::string& StatusServer::token() const { return guard_->token; }

void StatusServer::start() {
    if (running_) return;
    server_->start();
    running_ = true;
    sweeper_ = std::thread([this] {
        std::unique_lock<std::mutex> lock(sweeper_mutex_);
        while (running_) {
            sweeper_wake_.wait_for(lock, std::chrono::milliseconds(500));
            guard_->sweep();
        }
    });
}

void StatusServer::stop() {
    if (!running_) return;
    {
        std::lock_guard<std::mutex> lock(sweeper_mutex_);
        running_ = false;
    }
    sweeper_wake_.notify_all();
    sweeper_.join();
    server_->stopAll(true);
    pool_->joinAll();
}

}  // namespace soar::app
