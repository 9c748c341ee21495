#pragma once

/// The daemon's configuration (design.md §4), parsed once from the INI into validated plain
/// structs that the layers below take (sync::InstanceConfig, sync::RouteConfig,
/// sync::PlaybookConfig, state::StateOptions). Nothing below `app` ever sees the INI.
///
/// Every error is a ConfigError whose message names the section, the key and what is
/// expected; the daemon exits 78 on it. Unknown keys are errors too (with the nearest valid
/// key), so a typo never passes silently. loadConfig() reads no secret: only where they live
/// (token_env, token_file, password_env, password_file); a `token =` or `password =` key is
/// refused, and so is a state url holding a password. statePassword() and stateOptionsOf()
/// read the state database's password when a command needs it.
///
/// Plain value types; no locking. loadConfig() reads one file and touches nothing else.

#include "soar/client/Errors.h"
#include "soar/client/InstanceConfig.h"
#include "soar/state/SqliteStore.h"
#include "soar/sync/PlaybookTracker.h"
#include "soar/sync/RouteConfig.h"

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace Poco::Util {
class AbstractConfiguration;
}

namespace soar::app {

/// A config file that cannot be used: exit code 78.
/// The one config error of soar-sync (exit 78): the client raises it for credentials and
/// instance settings, the loader for everything else.
using ConfigError = sync::ConfigError;

struct HttpConfig {
    /// Address and port the status server binds; port 0 = any free port (tests).
    std::string host = "127.0.0.1";
    unsigned short port = 8089;
    /// File holding the bearer token; required when `host` is not loopback.
    std::string token_file;
    /// `listen` is empty or `off`: no status server.
    bool enabled = true;
    /// Host names a request's `Host` header may carry besides IP literals, `localhost` and the
    /// listen address (`allowed_hosts`): a page a browser loaded from another name is refused,
    /// so DNS rebinding cannot read the status of a loopback daemon.
    std::vector<std::string> allowed_hosts;
};

struct LogConfig {
    /// A Poco level name: fatal, critical, error, warning, notice, information, debug, trace.
    std::string level = "information";
    /// `text` or `json` (one JSON object per line).
    std::string format = "text";
    /// Empty: the console (stderr). Otherwise a file rotated by Poco's FileChannel.
    std::string file;
    /// FileChannel rotation: `10M`, `100K`, `daily`, `weekly`, `never`, ...
    std::string rotate = "10M";
    /// Rotated files kept.
    unsigned keep = 7;
    /// Rotated files gzipped.
    bool compress = true;
};

/// `[cluster]`: this daemon among others sharing the state store (design §5 "One owner per
/// route").
struct ClusterConfig {
    /// This daemon's name in leases, status and logs (`node`; default: the host name):
    /// letters, digits, `.`, `_` and `-`, at most 64 characters.
    std::string node;
    /// A route's owner renews its lease every lease_ttl/3; another daemon takes over a route
    /// whose lease lapsed (`lease_ttl`, 2s to 1h, default 30s).
    std::chrono::milliseconds lease_ttl{30'000};
    /// The routes this daemon may replay (`routes`, or `run --routes`); empty: every route.
    std::vector<std::string> routes;
};

struct RouteSpec {
    sync::RouteConfig config;
    /// Set when the route has a `playbook`.
    std::optional<sync::PlaybookConfig> playbook;
};

struct AppConfig {
    /// The absolute path of the file it came from.
    std::string path;
    /// `[state]`: `backend`, `path` (sqlite), `url` (postgresql), `busy_timeout`;
    /// `state.password` stays empty here: where it lives is below, and statePassword() reads
    /// it.
    state::StateOptions state;
    /// `[state] password_env` / `password_file` (at most one; with sqlite too, for
    /// `migrate-state --to`): where the database password is. The file path is absolute.
    std::string state_password_env;
    std::string state_password_file;
    HttpConfig http;
    LogConfig log;
    ClusterConfig cluster;
    std::vector<sync::InstanceConfig> instances;
    std::vector<RouteSpec> routes;

    /// The instance named `name`; nullptr when there is none.
    [[nodiscard]] const sync::InstanceConfig* instance(const std::string& name) const;
    /// The route named `name`; nullptr when there is none.
    [[nodiscard]] const RouteSpec* route(const std::string& name) const;
};

/// The state database password of `config`, read from `password_env` or `password_file`
/// (whichever backend: `migrate-state` needs it with sqlite). A file gives its first line,
/// without the line end. Throws ConfigError naming the variable or file (never what it holds)
/// when it cannot be read, is empty or holds fewer than 8 characters. Neither key set: empty
/// (libpq may still find a password in ~/.pgpass). The caller registers it with the log
/// redactor.
[[nodiscard]] std::string statePassword(const AppConfig& config);

/// The store options of `config`: `[state]`, with the password of statePassword() when the
/// backend is postgresql (sqlite: none is read, so a password kept for `migrate-state` that
/// cannot be read now stops nothing). Throws what statePassword() throws.
[[nodiscard]] state::StateOptions stateOptionsOf(const AppConfig& config);

/// What is wrong with `url` as a PostgreSQL state database ([state] url, `migrate-state
/// --to`), or empty when nothing is: it must start with postgresql:// or postgres:// and hold
/// no password (neither USER:PASSWORD@ nor a password parameter). A message about a password
/// never repeats the url.
[[nodiscard]] std::string stateUrlProblem(const std::string& url);

/// The default `[cluster] node` on a host named `host`: every character but letters, digits,
/// '.', '_' and '-' becomes '-', cut at 64 characters; "soar-sync" for an empty name.
[[nodiscard]] std::string nodeNameOf(const std::string& host);

/// Reads and validates `path`. Lines starting with `;` or `#` are comments, and so is the rest
/// of a line from a `;` or `#` that follows a space or tab (the reference file annotates keys
/// that way). Relative paths in the file are resolved against the file's folder.
[[nodiscard]] AppConfig loadConfig(const std::string& path);

/// Validates an already-read configuration (for tests); `base_dir` resolves relative paths.
[[nodiscard]] AppConfig parseConfig(const Poco::Util::AbstractConfiguration& ini,
                                    const std::string& base_dir);

/// Strips the comments loadConfig() allows from INI text (see above).
[[nodiscard]] std::string stripComments(const std::string& text);

/// `250ms`, `30s`, `5m`, `1h`, `2d`, or `0`; std::nullopt for anything else.
[[nodiscard]] std::optional<std::chrono::milliseconds> parseDuration(const std::string& text);

/// A size in bytes: `16MiB`, `512KiB`, `1GiB` or a bare number of bytes; std::nullopt for
/// anything else (decimal units such as `16MB` included, to leave no doubt which is meant).
[[nodiscard]] std::optional<std::uint64_t> parseSize(const std::string& text);

/// Splits a comma list, trimming each item and dropping empty ones.
[[nodiscard]] std::vector<std::string> splitList(const std::string& text);

/// The config file to read: `--config`, else $SOAR_SYNC_CONFIG, else the default.
[[nodiscard]] std::string configPath(const std::string& from_option);

inline constexpr const char* kDefaultConfigPath = "/etc/soar-sync/soar-sync.ini";

/// The entry of `valid` nearest to `word` (edit distance below 4), or empty: for "did you
/// mean" hints on unknown keys, commands and routes.
[[nodiscard]] std::string nearest(const std::string& word, const std::vector<std::string>& valid);

/// "no route 'X' in FILE; its routes: a, b" (with a "did you mean" when one is near): the
/// message of a command line naming a route the config lacks.
[[nodiscard]] std::string unknownRouteMessage(const AppConfig& config, const std::string& route);

}  // namespace soar::app
