#pragma once

/// Secret: a credential that cannot be printed by accident. Streaming it or calling
/// toString() gives `***`; only reveal() returns the value, and the client calls it only
/// to build an Authorization / ph-auth-token header.
///
/// loadCredentials() reads an instance's secret from where the config points
/// (`token_env`, `token_file`, or `user` + `password_env`); the INI never holds it.
/// Errors are ConfigError naming the instance section and the key, never the value.
///
/// Secret is a value type (copyable, movable); it is not locked, share const copies freely.

#include "soar/client/InstanceConfig.h"

#include <iosfwd>
#include <string>

namespace soar::sync {

class Secret {
public:
    Secret() = default;
    explicit Secret(std::string value) : value_(std::move(value)) {}

    /// The plain value. Call sites are greppable on purpose: keep them few.
    [[nodiscard]] const std::string& reveal() const { return value_; }
    [[nodiscard]] bool empty() const { return value_.empty(); }
    /// Always "***", whatever the value.
    [[nodiscard]] std::string toString() const { return "***"; }

    friend bool operator==(const Secret& a, const Secret& b) { return a.value_ == b.value_; }

private:
    std::string value_;
};

std::ostream& operator<<(std::ostream& out, const Secret& secret);

/// What an instance authenticates with.
struct Credentials {
    /// Basic-auth user name (empty for token schemes, or for basic with the token as password).
    std::string user;
    Secret secret;
    /// The config key the secret came from ("token_env", "token_file", "password_env"): error
    /// messages point operators at it.
    std::string source_key;
};

/// Reads the secret of `config` from the environment or a file. Exactly one of `token_env`,
/// `token_file` and `password_env` must be set; `password_env` needs `user` and auth = basic;
/// a token with auth = basic is sent as the password of an empty user (SOAR accepts that).
/// A token file is read whole, with surrounding whitespace (a trailing newline) trimmed.
/// Throws ConfigError: variable unset or empty, file missing, unreadable or empty, keys
/// missing or conflicting.
///
/// A secret shorter than kMinSecretLength is refused (ConfigError): the log redactor could not
/// mask it without shredding ordinary text. A `token_file` that group or others may read is
/// accepted with a warning on the `sync.client` logger, as ssh warns about a private key.
[[nodiscard]] Credentials loadCredentials(const InstanceConfig& config);

/// The file a token is read from: `token_file`, or $CREDENTIALS_DIRECTORY/<token_credential>
/// (empty when CREDENTIALS_DIRECTORY is not set); empty for secrets from the environment.
[[nodiscard]] std::string tokenFilePath(const InstanceConfig& config);

/// The shortest token or password accepted.
inline constexpr std::size_t kMinSecretLength = 8;

}  // namespace soar::sync
