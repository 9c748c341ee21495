#pragma once

/// Caller: one SOAR REST call from start to end. It sends through the Transport, retries
/// transient failures within the instance's RetryPolicy (full-jitter backoff on the Clock, a
/// Retry-After waited for exactly, one immediate retry of a stale kept-alive connection, and
/// for calls that must not run twice only failures that cannot have reached the server), and
/// classifies each answer into success or the SoarError kinds of Errors.h (401/403 auth,
/// transient statuses, 4xx record errors, redirects, non-JSON, `"failed": true`). Server
/// text quoted in errors is scrubbed of the instance's secret. It counts calls, waits and
/// failures for PocoSoarApi::stats().
///
/// Thread safety: call() and listPage() may run concurrently (the Transport bounds them).
/// Ownership: owns the Transport, the stats and the jitter source; shares the Clock.

#include "CallStats.h"
#include "Transport.h"
#include "soar/client/Clock.h"
#include "soar/client/InstanceConfig.h"
#include "soar/client/Secret.h"
#include "soar/client/SoarApi.h"

#include <Poco/Dynamic/Var.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <string>

namespace soar::sync {

enum class RetryMode { Always, OnlyUnsent };

/// What a call accepts besides success.
struct CallOptions {
    RetryMode retry = RetryMode::Always;
    /// Return a body with existing_container_id / existing_artifact_id instead of failing.
    bool accept_duplicate = false;
    /// A list answer, read by parsePage(): a 2xx body comes back unparsed in Reply::body (so a
    /// page is parsed once), and so does the past-the-end failure whatever its status.
    bool list_answer = false;
    /// Return an empty Var on 404 instead of throwing.
    bool accept_not_found = false;
    /// A JSON array body is per-item results (batch create): return it whatever the status.
    bool accept_array = false;
    /// The body to send and a 2xx answer to take as streams (vault files): a 2xx answer read
    /// through `streams->read_body` comes back as a Reply without json or body.
    const Streams* streams = nullptr;
};

/// A call's answer that passed classification.
struct Reply {
    int status = 0;
    Poco::Dynamic::Var json;
    /// The body as received, for list answers only (CallOptions::list_answer).
    std::string body;
};

class Caller {
public:
    /// Builds the Transport (which validates `config`; ConfigError naming the key). `seed`
    /// seeds the backoff jitter (0 = from std::random_device).
    Caller(const InstanceConfig& config, Credentials credentials, std::shared_ptr<Clock> clock,
           std::uint64_t seed);
    Caller(const Caller&) = delete;
    Caller& operator=(const Caller&) = delete;

    [[nodiscard]] const InstanceConfig& config() const { return transport_.config(); }
    [[nodiscard]] Transport& transport() { return transport_; }
    [[nodiscard]] ClientStats stats() const { return stats_.snapshot(); }

    /// `method /rest/<path>?<query>` with `body`: attempts, retries and classification.
    /// Returns the classified Reply or throws the SoarError of the last attempt.
    [[nodiscard]] Reply call(const std::string& method, const std::string& path,
                             const std::string& query, const std::string& body,
                             const CallOptions& options);

    /// One page of a list: the call, then parsePage() on its body. Errors of either are
    /// counted alike in stats().
    [[nodiscard]] Page listPage(const std::string& path, const std::string& query,
                                const RecordShape* shape = nullptr);

    /// A RecordError for a body that is a failure (for callers that accepted it first).
    [[noreturn]] void failRecord(const std::string& what, const Reply& reply) const;
    /// A ProtocolError for a body of the wrong shape ("expected <expected>").
    [[noreturn]] void failShape(const std::string& what, const Reply& reply,
                                const std::string& expected) const;

    /// `text` with the instance's secret masked.
    [[nodiscard]] std::string scrub(std::string text) const;

private:
    [[nodiscard]] Reply classify(Answer answer, const std::string& what,
                                 const CallOptions& options) const;
    [[nodiscard]] std::string snippet(const std::string& body) const;
    [[nodiscard]] std::string secret() const;

    std::shared_ptr<Clock> clock_;
    CallStats stats_;
    Transport transport_;
    std::mutex random_mutex_;
    std::mt19937_64 random_;
};

}  // namespace soar::sync
