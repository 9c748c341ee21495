#pragma once

/// StatusServer: the status HTTP endpoint of design.md §6 on Poco's HTTPServer.
///
///   /healthz       200 `ok` while the process runs and the store answers (never needs a token)
///   /readyz        200 when every route finished a pass and no target is failing, else 503 JSON
///   /status        JSON of the StatusSnapshot
///   /metrics       Prometheus text exposition
///   /dead-letters  JSON of the dead letters the snapshot carries (renderDeadLettersJson)
///   /              a self-refreshing HTML page for people (renderHtml)
///   anything else: 404; methods other than GET/HEAD: 405.
///
/// With a token (from `[http] token_file`), every path but /healthz needs
/// `Authorization: Bearer <token>`, compared in constant time; 401 otherwise.
///
/// Thread safety: start()/stop() from one thread; handlers run on the server's threads and
/// only call StatusSource::snapshot(). Ownership: borrows the StatusSource, which must outlive
/// it; stop() (or the destructor) waits for the handlers.

#include "soar/app/Config.h"
#include "soar/app/StatusSource.h"

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace Poco {
class ThreadPool;
namespace Net {
class HTTPServer;
}
}  // namespace Poco

namespace soar::app {

/// Compares two strings in time that depends only on their lengths.
[[nodiscard]] bool constantTimeEquals(const std::string& a, const std::string& b);

/// The shortest status token accepted: a guessable token on a routable listener is no guard.
inline constexpr std::size_t kMinStatusTokenLength = 16;

/// The status token in `path` (`[http] token_file`), trimmed. Throws ConfigError when the file
/// cannot be read, is empty or holds fewer than kMinStatusTokenLength characters.
[[nodiscard]] std::string readStatusToken(const std::string& path);

/// Whether a request's `Host` header names this server: an IP literal, `localhost`, or one of
/// `names` (the listen address and `[http] allowed_hosts`), any port, any case. Anything else
/// is answered 421 before authentication (`/healthz` excepted), so a page served under
/// another name (DNS rebinding) cannot read a loopback daemon's status.
[[nodiscard]] bool hostAllowed(const std::string& host_header,
                               const std::vector<std::string>& names);

class StatusServer {
public:
    /// Binds `config.host:config.port` (port 0: any free port) and reads the token file.
    /// Throws ConfigError when the token file is unreadable or empty, or the address cannot
    /// be bound (the port is not shared: a second server on a port in use throws).
    StatusServer(const HttpConfig& config, StatusSource& source);
    ~StatusServer();
    StatusServer(const StatusServer&) = delete;
    StatusServer& operator=(const StatusServer&) = delete;

    void start();
    void stop();
    /// The bound port (the real one when configured as 0).
    [[nodiscard]] unsigned short port() const { return port_; }
    /// The bearer token, empty when none is required (to register with the log redactor).
    [[nodiscard]] const std::string& token() const;

    struct Guard;

private:
    std::unique_ptr<Guard> guard_;
    unsigned short port_ = 0;
    std::unique_ptr<Poco::ThreadPool> pool_;
    std::unique_ptr<Poco::Net::HTTPServer> server_;
    /// Sweeps the guard's connections twice a second while the server runs.
    std::thread sweeper_;
    std::mutex sweeper_mutex_;
    std::condition_variable sweeper_wake_;
    bool running_ = false;
};

}  // namespace soar::app
