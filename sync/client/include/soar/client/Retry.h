#pragma once

/// The arithmetic of retries, kept apart from the HTTP code so it can be tested exactly:
/// full-jitter exponential backoff (AWS "Exponential Backoff And Jitter": a uniform draw in
/// [0, min(max_backoff, initial_backoff * 2^retry)]) and parsing of `Retry-After`
/// (RFC 9110 §10.2.3: delta-seconds or an HTTP-date). Pure functions; thread-safe as long as
/// each thread passes its own random engine.

#include "soar/client/InstanceConfig.h"

#include <chrono>
#include <optional>
#include <random>
#include <string_view>

namespace soar::sync {

/// The upper bound of the backoff before retry number `retry` (0 = the first retry).
[[nodiscard]] std::chrono::microseconds backoffCeiling(const RetryPolicy& policy, int retry);

/// A full-jitter draw in [0, backoffCeiling(policy, retry)].
[[nodiscard]] std::chrono::microseconds fullJitterBackoff(const RetryPolicy& policy, int retry,
                                                          std::mt19937_64& random);

/// The delay a `Retry-After` header value asks for, relative to `now` for an HTTP-date.
/// A date in the past gives zero; anything unparsable (or negative) gives std::nullopt.
[[nodiscard]] std::optional<std::chrono::milliseconds> parseRetryAfter(
    std::string_view value, std::chrono::system_clock::time_point now);

}  // namespace soar::sync
