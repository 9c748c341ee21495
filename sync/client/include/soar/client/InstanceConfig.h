#pragma once

/// InstanceConfig: the settings of one `[instance.<name>]` section (design.md §4), as plain
/// data. The app's config loader fills it and validates the INI syntax; the client validates
/// the combination again when it is built (PocoSoarApi::create) and throws ConfigError naming
/// the section and key. Plain value type, no locking.

#include <chrono>
#include <optional>
#include <string>

namespace soar::sync {

enum class AuthScheme {
    PhAuthToken,  ///< `ph-auth-token: <token>` (SOAR's documented token header; the default)
    Bearer,       ///< `Authorization: Bearer <token>`
    Basic,        ///< `Authorization: Basic base64(user:password)`; user may be empty
};

/// "ph-auth-token", "bearer", "basic".
[[nodiscard]] const char* toString(AuthScheme scheme);
/// Parses the `auth` key (case-insensitive); std::nullopt for anything else.
[[nodiscard]] std::optional<AuthScheme> parseAuthScheme(const std::string& text);

/// Bounds of the client's retry loop for transient errors (exponential backoff with full
/// jitter, Retry-After honoured).
struct RetryPolicy {
    /// Attempts per call, the first one included; 1 disables retries.
    int max_attempts = 6;
    /// Ceiling of the first backoff; doubles per retry up to max_backoff.
    std::chrono::milliseconds initial_backoff{250};
    std::chrono::milliseconds max_backoff{15'000};
    /// Budget of one call, waits included: no retry starts after it.
    std::chrono::milliseconds max_total{120'000};
    /// A Retry-After longer than this (or than what is left of max_total) is not waited for:
    /// the call fails with the TransientError and its retryAfter() so the pass can stop.
    std::chrono::milliseconds max_retry_after{60'000};
};

struct InstanceConfig {
    /// The `<name>` of `[instance.<name>]`.
    std::string name;
    /// `https://host[:port]` (a path prefix is kept; `/rest/...` is appended).
    std::string url;
    AuthScheme auth = AuthScheme::PhAuthToken;
    /// Where the secret lives; exactly one of the three (see loadCredentials).
    std::string token_env;
    std::string token_file;
    /// The name of a systemd credential (`LoadCredential=NAME:PATH` in the unit): the token is
    /// read from $CREDENTIALS_DIRECTORY/NAME.
    std::string token_credential;
    std::string user;
    std::string password_env;
    /// PEM bundle of trusted CAs; empty = the system bundle.
    std::string ca_file;
    bool verify_tls = true;
    /// Oldest TLS version offered (`min_tls`): 2 = TLS 1.2, 3 = TLS 1.3.
    int min_tls_minor = 2;
    bool allow_insecure_http = false;
    std::chrono::milliseconds connect_timeout{10'000};
    /// Send and receive timeout of one request (`timeout`).
    std::chrono::milliseconds timeout{30'000};
    /// Keep-alive sessions, i.e. concurrent requests to this instance.
    unsigned connections = 4;
    /// Requests per second, client side; 0 = unlimited.
    double rate_limit = 0;
    RetryPolicy retry;
    /// The largest answer kept from this instance (`max_record_size`): a larger one (one
    /// record, or a page of them) is read through without being kept, only far enough to
    /// name its record, so one huge record costs its dead letter and at most this much memory
    /// per connection.
    std::size_t max_record_size = 16U << 20U;

    /// "[instance.<name>]": the prefix of every message about this instance.
    [[nodiscard]] std::string section() const { return "[instance." + name + "]"; }
};

}  // namespace soar::sync
