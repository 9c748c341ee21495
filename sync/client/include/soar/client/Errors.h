#pragma once

/// The outcomes of a SOAR call that are not a success, as an exception tree the route engine
/// sorts by type (design.md §5 "Errors are sorted"):
///
/// - TransientError: connect failure, timeout, 408/429/500/502/503/504. Retried by the client
///   within its RetryPolicy; when the budget runs out it reaches the caller, which stops the
///   pass for that target and keeps its cursor. Carries the server's Retry-After, if any.
/// - RecordError: 400/404/409/422 and other 4xx, or any body with `"failed": true`. Concerns
///   one record: the caller dead-letters it with message() and goes on.
/// - AuthError: 401/403. The message names the instance and the config key holding the
///   secret (e.g. "[instance.dr] token_file"), never the secret.
/// - ProtocolError: a body that is not JSON or not of the expected shape, a truncated body,
///   an unexpected status. The message quotes the first bytes of the body, sanitized.
///   - UnreadablePage: a list answer that arrived whole but holds what the client cannot
///     read (nesting deeper than the parser goes, invalid UTF-8, an unpaired surrogate
///     escape, more bytes than a page may have). A fault of its records, not of the server:
///     the keyset walk reads the page again in smaller pieces (Paging.h).
/// - TlsError: the TLS handshake failed (certificate not trusted, name mismatch, not TLS);
///   names the host and OpenSSL's reason. Not retried: it needs an operator.
/// - ConfigError: an instance setting or secret that cannot be used; names the section and key.
///
/// Every message starts with the instance section ("[instance.hq] ...") so that a log line
/// alone tells an operator where to look. No message ever contains a secret.
/// Values are immutable after construction; safe to share between threads.

#include <chrono>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

namespace soar::sync {

enum class ErrorKind { Transient, RecordLevel, Auth, Protocol, Tls, Config };

/// Base of every error the SOAR client throws.
class SoarError : public std::runtime_error {
public:
    SoarError(ErrorKind kind, const std::string& message, int http_status = 0)
        : std::runtime_error(message), kind_(kind), http_status_(http_status) {}

    [[nodiscard]] ErrorKind kind() const { return kind_; }
    /// The HTTP status that caused it; 0 when there was no HTTP answer.
    [[nodiscard]] int httpStatus() const { return http_status_; }

private:
    ErrorKind kind_;
    int http_status_;
};

class TransientError : public SoarError {
public:
    TransientError(const std::string& message, int http_status,
                   std::optional<std::chrono::milliseconds> retry_after = std::nullopt)
        : SoarError(ErrorKind::Transient, message, http_status), retry_after_(retry_after) {}

    /// The delay the server asked for (Retry-After), if it asked.
    [[nodiscard]] std::optional<std::chrono::milliseconds> retryAfter() const {
        return retry_after_;
    }

private:
    std::optional<std::chrono::milliseconds> retry_after_;
};

/// The instance could not be reached at all (connection refused, host name not resolved):
/// nothing was sent. Transient, and counted apart as "unreachable".
class UnreachableError : public TransientError {
public:
    using TransientError::TransientError;
};

class RecordError : public SoarError {
public:
    /// `server_message` is the `message` of the failed body (or a snippet of a non-JSON body).
    RecordError(const std::string& message, int http_status, std::string server_message)
        : SoarError(ErrorKind::RecordLevel, message, http_status),
          server_message_(std::move(server_message)) {}

    [[nodiscard]] const std::string& serverMessage() const { return server_message_; }

private:
    std::string server_message_;
};

class AuthError : public SoarError {
public:
    AuthError(const std::string& message, int http_status)
        : SoarError(ErrorKind::Auth, message, http_status) {}
};

class ProtocolError : public SoarError {
public:
    explicit ProtocolError(const std::string& message, int http_status = 0)
        : SoarError(ErrorKind::Protocol, message, http_status) {}
};

class UnreadablePage : public ProtocolError {
public:
    /// `reason` says what is wrong without the instance and path ("invalid UTF-8 at byte 90");
    /// `first` holds the top-level string and number fields of the answer's first record as
    /// text, as far as they could be read.
    UnreadablePage(const std::string& message, std::string reason, int http_status,
                   std::map<std::string, std::string> first = {})
        : ProtocolError(message, http_status),
          reason_(std::move(reason)),
          first_(std::move(first)) {}
    [[nodiscard]] const std::string& reason() const { return reason_; }
    [[nodiscard]] const std::map<std::string, std::string>& first() const { return first_; }

private:
    std::string reason_;
    std::map<std::string, std::string> first_;
};

class TlsError : public SoarError {
public:
    explicit TlsError(const std::string& message) : SoarError(ErrorKind::Tls, message) {}
};

class ConfigError : public SoarError {
public:
    explicit ConfigError(const std::string& message) : SoarError(ErrorKind::Config, message) {}
};

/// "transient", "record", "auth", "protocol", "tls", "config": for metrics labels and logs.
[[nodiscard]] const char* toString(ErrorKind kind);

}  // namespace soar::sync
