#include "soar/client/Retry.h"

#include <catch2/catch.hpp>

#include <chrono>

using namespace std::chrono_literals;
using soar::sync::RetryPolicy;

TEST_CASE("Backoff ceilings double from the initial value up to the cap", "[client][retry]") {
    RetryPolicy policy;
    policy.initial_backoff = 100ms;
    policy.max_backoff = 1s;
    CHECK(soar::sync::backoffCeiling(policy, 0) == 100ms);
    CHECK(soar::sync::backoffCeiling(policy, 1) == 200ms);
    CHECK(soar::sync::backoffCeiling(policy, 3) == 800ms);
    CHECK(soar::sync::backoffCeiling(policy, 4) == 1s);
    CHECK(soar::sync::backoffCeiling(policy, 60) == 1s);  // no overflow
}

TEST_CASE("Full jitter stays within [0, ceiling] and spreads out", "[client][retry]") {
    RetryPolicy policy;
    policy.initial_backoff = 100ms;
    policy.max_backoff = 2s;
    std::mt19937_64 random(7);
    for (int retry = 0; retry < 8; ++retry) {
        const auto ceiling = soar::sync::backoffCeiling(policy, retry);
        std::chrono::microseconds low = ceiling, high{0};
        for (int i = 0; i < 2000; ++i) {
            const auto d = soar::sync::fullJitterBackoff(policy, retry, random);
            REQUIRE(d >= 0us);
            REQUIRE(d <= ceiling);
            low = std::min(low, d);
            high = std::max(high, d);
        }
        CHECK(low < ceiling / 10);
        CHECK(high > ceiling * 9 / 10);
    }
}

TEST_CASE("Retry-After: delta-seconds", "[client][retry]") {
    const auto now = std::chrono::system_clock::now();
    CHECK(soar::sync::parseRetryAfter("0", now) == 0ms);
    CHECK(soar::sync::parseRetryAfter("1", now) == 1000ms);
    CHECK(soar::sync::parseRetryAfter(" 120 ", now) == 120s);
    CHECK(soar::sync::parseRetryAfter("99999999999999999999", now) == 86400s);
    CHECK_FALSE(soar::sync::parseRetryAfter("", now));
    CHECK_FALSE(soar::sync::parseRetryAfter("-1", now));
    CHECK_FALSE(soar::sync::parseRetryAfter("1.5", now));
    CHECK_FALSE(soar::sync::parseRetryAfter("soon", now));
}

TEST_CASE("Retry-After: HTTP-date, relative to now", "[client][retry]") {
    // Sun, 06 Nov 1994 08:49:37 GMT = 784111777 (RFC 9110's example).
    const auto at = std::chrono::system_clock::time_point(784111777s);
    CHECK(soar::sync::parseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", at - 30s) == 30s);
    CHECK(soar::sync::parseRetryAfter("Sunday, 06-Nov-94 08:49:37 GMT", at - 2s) == 2s);
    CHECK(soar::sync::parseRetryAfter("Sun Nov  6 08:49:37 1994", at - 1s) == 1s);
    CHECK(soar::sync::parseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", at + 5s) == 0ms);
    CHECK(soar::sync::parseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", at - 1500ms) == 1500ms);
}
