#pragma once

/// PocoSoarApi: SoarApi over HTTP(S) with Poco, for one configured instance.
///
/// - TLS (NetSSL): one Context per instance; the server certificate is verified against
///   `ca_file` or the system bundle unless `verify_tls = false` (warned once, at create()).
///   `http://` is refused unless `allow_insecure_http`. A failed handshake is a TlsError
///   naming the host and OpenSSL's reason.
/// - Auth: `ph-auth-token`, `Authorization: Bearer` or Basic, from Credentials. The secret
///   goes in a header only: never in a URL, a message or a log line (server text quoted in
///   errors is scrubbed of it too).
/// - `connections` keep-alive sessions, each used by one request at a time; callers beyond
///   that wait. `rate_limit` requests per second (token bucket, burst of one second).
/// - Transient failures are retried with full-jitter exponential backoff, bounded by
///   RetryPolicy (attempts and total time). A Retry-After is waited for exactly, unless it
///   exceeds max_retry_after or the time left, in which case the call fails at once with it.
///   A kept-alive connection the server closed while idle is retried once at once, on a new
///   connection, without backoff. Writes are retried as well (design.md §5 makes every write
///   idempotent: sdi lookup and duplicate adoption), except runPlaybook, which is retried
///   only when the request cannot have reached the server (connection refused, 429).
/// - 2xx answers must be JSON of the expected shape; `"failed": true` is a RecordError
///   whatever the status; a duplicate answer (`existing_*_id`) is a CreateResult.
/// - A list answer is read by parsePage() below, a pure function, so that unit tests and the
///   fuzz-page target run the very code listPage() runs.
///
/// Thread safety: all members may be called concurrently. Ownership: create() returns the
/// only owner; destroying it closes the sessions (no call may be running).
///
/// Inside (sync/client/src): Transport (settings check, auth header, TLS context, one
/// exchange) over SessionPool (the keep-alive sessions), Caller (retry loop, classification
/// of answers, stats), and the endpoints in PocoSoarApi.cpp.

#include "soar/client/ClientStats.h"
#include "soar/client/Clock.h"
#include "soar/client/InstanceConfig.h"
#include "soar/client/Secret.h"
#include "soar/client/SoarApi.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

namespace soar::sync {

class Caller;

class PocoSoarApi final : public SoarApi {
public:
    /// Validates `config` (URL scheme and host, timeouts, connections, rate, TLS files) and
    /// builds the TLS context; no request is made. Throws ConfigError naming the key.
    /// `seed` seeds the backoff jitter (0 = from std::random_device).
    [[nodiscard]] static std::unique_ptr<PocoSoarApi> create(
        const InstanceConfig& config, Credentials credentials,
        std::shared_ptr<Clock> clock = SystemClock::instance(), std::uint64_t seed = 0);

    ~PocoSoarApi() override;
    PocoSoarApi(const PocoSoarApi&) = delete;
    PocoSoarApi& operator=(const PocoSoarApi&) = delete;

    [[nodiscard]] std::string version() override;
    [[nodiscard]] Page listPage(const std::string& path, const Query& query,
                                std::size_t page) override;
    [[nodiscard]] Record getObject(const std::string& path) override;
    [[nodiscard]] std::optional<Record> find(const std::string& path) override;
    [[nodiscard]] std::optional<Record> get(const std::string& collection,
                                            std::int64_t id) override;
    [[nodiscard]] ContainerCreated createContainer(const Poco::JSON::Object& container) override;
    void updateContainer(std::int64_t id, const Poco::JSON::Object& fields) override;
    [[nodiscard]] CreateResult createArtifact(const Poco::JSON::Object& artifact) override;
    [[nodiscard]] std::vector<BatchItemResult> createArtifacts(
        const Poco::JSON::Array& artifacts) override;
    void updateArtifact(std::int64_t id, const Poco::JSON::Object& fields) override;
    [[nodiscard]] CreateResult createNote(const Poco::JSON::Object& note) override;
    [[nodiscard]] CreateResult createComment(const Poco::JSON::Object& comment) override;
    void updateNote(std::int64_t id, const Poco::JSON::Object& fields) override;
    [[nodiscard]] std::int64_t createRecord(const std::string& collection,
                                            const Poco::JSON::Object& body) override;
    void updateRecord(const std::string& collection, std::int64_t id,
                      const Poco::JSON::Object& fields) override;
    bool deleteRecord(const std::string& collection, std::int64_t id) override;
    [[nodiscard]] std::optional<PlaybookInfo> findPlaybook(const std::string& spec) override;
    [[nodiscard]] std::int64_t runPlaybook(const PlaybookRunRequest& request) override;
    [[nodiscard]] PlaybookRunStatus playbookRun(std::int64_t run_id) override;
    void cancelPlaybookRun(std::int64_t run_id) override;
    std::uint64_t downloadFile(const std::string& sha1, const std::string& path,
                               std::uint64_t max_bytes) override;
    [[nodiscard]] std::int64_t attachFile(std::int64_t container, const std::string& name,
                                          const std::string& path,
                                          const std::string& sha1) override;

    /// DELETE /rest/<collection>/<id>; false when it did not exist. Not part of SoarApi: the
    /// sync never deletes. SOAR refuses deletes by automation tokens (403, an AuthError); it
    /// needs auth = basic with a user account.
    bool remove(const std::string& collection, std::int64_t id);

    [[nodiscard]] ClientStats stats() const;
    [[nodiscard]] const InstanceConfig& config() const;

    /// Reads `token_file` again; true when it held a new token, which requests use from now
    /// on (the token rotates without a restart). The client also does this by itself when
    /// the file changes (checked at most once a second) and after a 401, retrying the call
    /// once with the new token. A file that cannot be read is logged and the token in use
    /// kept. False for tokens from the environment.
    bool reloadCredentials();
    /// Called with every new secret a reload reads, before it is used (the daemon masks it in
    /// its logs). Set it before the first request.
    void onNewSecret(std::function<void(const std::string&)> listener);

private:
    explicit PocoSoarApi(std::unique_ptr<Caller> caller);

    std::unique_ptr<Caller> caller_;
};

/// Where a list answer came from, for the errors parsePage() throws.
struct PageSource {
    /// Starts every message, e.g. "[instance.hq] GET /rest/container".
    std::string what = "list answer";
    /// The HTTP status the body came with; the errors carry it.
    int http_status = 200;
    /// Masked as `***` wherever a message quotes the body (the instance's secret; may be empty).
    Secret secret;
    /// What is read of each record (Query::shape); null: all of it.
    const RecordShape* shape = nullptr;
};

/// Reads the body of one list answer, as listPage() does for every status other than 401/403
/// and the transient ones (PocoSoarApi sorts those out before the body is read):
///
/// - `{"count": N, "num_pages": N, "data": [objects]}` is a Page. `count` and `num_pages` are
///   whole numbers of 0 or more (JSON numbers or numeric strings); missing or null they are 0,
///   which Paging reads as "not sent". Present with another value (other text, a fraction, a
///   boolean, below 0, beyond int64) they are a ProtocolError, as is `data` missing or not an
///   array, or an item of `data` that is not an object.
/// - A failure (`"failed": true`), or an object without `data`, whose `message` contains
///   "That page contains no results" is the answer to a page past the end: an empty Page with
///   `past_end` set.
/// - Any other `"failed": true` is a RecordError carrying the server's message.
/// - A body that is not JSON (Poco's parser takes only an object or an array at the top), or
///   an array, is a ProtocolError quoting its first bytes.
///
/// Throws only ProtocolError and RecordError. Pure: no I/O, no logging, no shared state; safe
/// to call from any thread.
[[nodiscard]] Page parsePage(const std::string& body, const PageSource& source = {});

}  // namespace soar::sync
