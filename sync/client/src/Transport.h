#pragma once

/// Transport: the HTTP(S) side of one instance's client. It checks the instance settings
/// (URL, timeouts, connections, rate, secret, CA file), builds the auth header and the TLS
/// context once, keeps a pool of `connections` keep-alive sessions, and runs one exchange at
/// a time per session: rate limit, request with auth, answer read whole (bounded). It maps
/// every Poco::Net failure to a SoarError (TlsError, TransientError and the kinds below) and
/// counts each attempt; it does not retry and does not judge statuses (that is the Caller's).
///
/// Thread safety: exchange() may be called concurrently; callers beyond `connections` wait
/// for a free session (SessionPool). Ownership: owns its config, credentials and session pool
/// (closed when it is destroyed, with no exchange running); refers to a Clock and a CallStats
/// that outlive it.

#include "CallStats.h"
#include "RateLimiter.h"
#include "SessionPool.h"
#include "soar/client/Clock.h"
#include "soar/client/Errors.h"
#include "soar/client/InstanceConfig.h"
#include "soar/client/Secret.h"

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPResponse.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

namespace soar::sync {

/// A transient failure where the request surely did not reach the server (connection
/// refused, name not resolved), or was refused before being applied (429): safe to retry
/// even for a call that must not run twice.
class UnsentError : public TransientError {
public:
    using TransientError::TransientError;
};

/// Nothing was sent because the instance could not be reached (also an UnsentError in
/// spirit: retrying is always safe).
class UnsentUnreachable : public UnreachableError {
public:
    using UnreachableError::UnreachableError;
};

/// A kept-alive connection that the server had closed while idle: the usual cause is the
/// server's idle timeout racing ours, so one immediate retry on a new connection is due.
class StaleConnectionError : public TransientError {
public:
    using TransientError::TransientError;
};

/// What one HTTP exchange brought back.
struct Answer {
    int status = 0;
    std::string body;
    std::string retry_after;
    std::string location;
};

/// A request body written while it is sent and an answer read while it arrives: vault files
/// of any size, never held whole.
struct Streams {
    /// Writes exactly `body_length` bytes of request body; called once per attempt.
    std::function<void(std::ostream&)> write_body;
    std::uint64_t body_length = 0;
    /// Takes a 2xx answer's body piece by piece instead of Answer::body (max_record_size does
    /// not apply); called with (nullptr, 0) before each attempt's first piece, to start over.
    std::function<void(const char*, std::size_t)> read_body;
};

/// "1.5s": a duration for messages.
[[nodiscard]] std::string formatSeconds(std::chrono::milliseconds d);

class Transport {
public:
    /// Validates the settings and builds the auth header and, for https, the TLS context; no
    /// connection is opened. Throws ConfigError naming the section and key.
    Transport(const InstanceConfig& config, Credentials credentials, Clock& clock,
              CallStats& stats);
    ~Transport();
    Transport(const Transport&) = delete;
    Transport& operator=(const Transport&) = delete;

    [[nodiscard]] const InstanceConfig& config() const { return config_; }
    /// The credentials in use now (a copy: a reload may replace them at any time).
    [[nodiscard]] Credentials credentials() const;

    /// Reads `token_file` again (the token rotates without a restart); true when it holds a
    /// new secret, which every request from now on sends. False without a token_file, when
    /// the file holds the secret in use, or when it cannot be read (then logged, and the
    /// secret in use is kept). exchange() calls it when the file changed (checked at most
    /// once a second); the caller after a 401; the daemon on SIGHUP.
    bool reloadCredentials();
    /// Called with each new secret a reload brings (to mask it in logs), from the thread that
    /// reloaded. Set before the first request.
    void onNewSecret(std::function<void(const std::string&)> listener) {
        on_new_secret_ = std::move(listener);
    }
    [[nodiscard]] const std::string& host() const { return host_; }

    /// The request target of `/rest/<path>?<query>` under the URL's path prefix.
    [[nodiscard]] std::string target(const std::string& path, const std::string& query) const;

    /// One HTTP exchange on a pooled session, counted in the stats (`retry`: it repeats an
    /// earlier attempt). Transport failures become TransientError (UnsentUnreachable when
    /// nothing reached the server, StaleConnectionError for a kept-alive connection the
    /// server closed), TlsError or ProtocolError; any HTTP status comes back as an Answer.
    /// With `streams`, the body and a 2xx answer go through it instead.
    [[nodiscard]] Answer exchange(const std::string& method, const std::string& target,
                                  const std::string& body, const std::string& what, bool retry,
                                  const Streams* streams = nullptr);

private:
    /// The credentials and the header that carries them, replaced whole on a reload.
    struct Auth {
        Credentials credentials;
        std::string header_name;
        std::string header_value;
    };
    /// What the token file looked like when last read: a change means read it again.
    struct FileStamp {
        std::int64_t mtime_ns = 0;
        std::int64_t size = -1;
        std::uint64_t inode = 0;
        friend bool operator==(const FileStamp& a, const FileStamp& b) {
            return a.mtime_ns == b.mtime_ns && a.size == b.size && a.inode == b.inode;
        }
    };

    void validate(const Credentials& credentials);
    [[nodiscard]] std::shared_ptr<const Auth> authFor(Credentials credentials) const;
    [[nodiscard]] std::shared_ptr<const Auth> auth() const;
    [[nodiscard]] FileStamp stampOfTokenFile() const;
    bool reloadLocked();
    void reloadIfTokenFileChanged();
    /// Hands a 2xx answer's body to Streams::read_body as it arrives.
    void readStreamed(Poco::Net::HTTPClientSession& session,
                      const Poco::Net::HTTPResponse& response, std::istream& in,
                      const Streams& streams, const std::string& prefix, bool retry, int status);
    void buildTlsContext();
    [[nodiscard]] std::string endpoint() const;

    InstanceConfig config_;
    CallStats& stats_;
    /// Read with std::atomic_load, replaced with std::atomic_store.
    std::shared_ptr<const Auth> auth_;
    std::mutex reload_mutex_;
    FileStamp stamp_;
    std::chrono::steady_clock::time_point next_check_{};
    std::function<void(const std::string&)> on_new_secret_;
    bool https_ = false;
    std::string host_;
    unsigned short port_ = 0;
    std::string prefix_;
    Poco::Net::Context::Ptr context_;
    RateLimiter limiter_;
    std::unique_ptr<SessionPool> pool_;
};

}  // namespace soar::sync
