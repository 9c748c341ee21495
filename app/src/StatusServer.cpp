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
#include <Poco/String.h>
#include <Poco/ThreadPool.h>
#include <Poco/URI.h>

#include <algorithm>
#include <fstream>
#include <sstream>

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

class Handler : public Poco::Net::HTTPRequestHandler {
public:
    Handler(StatusSource& source, const std::string& token, const std::vector<std::string>& hosts)
        : source_(source), token_(token), hosts_(hosts) {}

    void handleRequest(HTTPServerRequest& request, HTTPServerResponse& response) override {
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
            if (!hostAllowed(request.get("Host", ""), hosts_)) {
                send(response, HTTPResponse::HTTP_MISDIRECTED_REQUEST, "text/plain",
                     "this Host is not served here; add it to [http] allowed_hosts\n", head);
                return;
            }
            if (!authorized(request)) {
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
                     renderMetrics(source_.snapshot()), head);
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

private:
    bool authorized(const HTTPServerRequest& request) const {
        if (token_.empty()) return true;
        const std::string header = request.get("Authorization", "");
        const std::string prefix = "Bearer ";
        if (header.size() <= prefix.size() || Poco::icompare(header.substr(0, 7), prefix) != 0) {
            return false;
        }
        return constantTimeEquals(Poco::trim(header.substr(prefix.size())), token_);
    }

    StatusSource& source_;
    const std::string& token_;
    const std::vector<std::string>& hosts_;
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
public:
    Factory(StatusSource& source, const std::string& token, const std::vector<std::string>& hosts)
        : source_(source), token_(token), hosts_(hosts) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(const HTTPServerRequest&) override {
        return new Handler(source_, token_, hosts_);
    }

private:
    StatusSource& source_;
    const std::string& token_;
    const std::vector<std::string>& hosts_;
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
    if (!config.token_file.empty()) token_ = readStatusToken(config.token_file);
    hosts_ = config.allowed_hosts;
    hosts_.push_back(config.host);
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
    params->setMaxThreads(4);
    params->setMaxQueued(32);
    params->setKeepAlive(false);
    // Its own thread pool, joined by stop(): no handler outlives the server (or the source
    // it reads).
    pool_ = std::make_unique<Poco::ThreadPool>("status", 1, 4);
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(source, token_, hosts_), *pool_,
                                                      socket, params);
}

StatusServer::~StatusServer() { stop(); }

void StatusServer::start() {
    if (running_) return;
    server_->start();
    running_ = true;
}

void StatusServer::stop() {
    if (!running_) return;
    server_->stopAll(true);
    pool_->joinAll();
    running_ = false;
}

}  // namespace soar::app
