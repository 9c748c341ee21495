#pragma once

/// SOAR timestamps: ISO 8601 in UTC, as the REST API writes them
/// (`2016-01-18T19:26:39.053087Z`), held as microseconds since the Unix epoch.
///
/// Parsing accepts what SOAR and its proxies are known to emit: `Z` or a numeric offset
/// (`+00:00`, `-0500`), 0 to 6 fractional digits (more are truncated), and a space instead
/// of `T`. Formatting always writes six fractional digits and `Z`, which is what SOAR's
/// filters compare against as strings. Values are plain data: copy them freely, no locking.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace soar::sync {

class Timestamp {
public:
    /// The epoch (1970-01-01T00:00:00.000000Z).
    constexpr Timestamp() = default;

    [[nodiscard]] static constexpr Timestamp fromMicros(std::int64_t micros) {
        return Timestamp(micros);
    }
    /// std::nullopt when `text` is not an ISO 8601 date-time.
    [[nodiscard]] static std::optional<Timestamp> parse(std::string_view text);
    /// The system clock now, truncated to microseconds.
    [[nodiscard]] static Timestamp now();
    /// A wall-clock time point (e.g. Clock::wallNow()), truncated to microseconds.
    [[nodiscard]] static Timestamp at(std::chrono::system_clock::time_point when);

    [[nodiscard]] constexpr std::int64_t micros() const { return micros_; }
    /// `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
    [[nodiscard]] std::string toString() const;

    [[nodiscard]] constexpr Timestamp plusMicros(std::int64_t delta) const {
        return Timestamp(micros_ + delta);
    }

    friend constexpr bool operator==(Timestamp a, Timestamp b) { return a.micros_ == b.micros_; }
    friend constexpr bool operator!=(Timestamp a, Timestamp b) { return a.micros_ != b.micros_; }
    friend constexpr bool operator<(Timestamp a, Timestamp b) { return a.micros_ < b.micros_; }
    friend constexpr bool operator<=(Timestamp a, Timestamp b) { return a.micros_ <= b.micros_; }
    friend constexpr bool operator>(Timestamp a, Timestamp b) { return a.micros_ > b.micros_; }
    friend constexpr bool operator>=(Timestamp a, Timestamp b) { return a.micros_ >= b.micros_; }

private:
    constexpr explicit Timestamp(std::int64_t micros) : micros_(micros) {}

    std::int64_t micros_ = 0;
};

}  // namespace soar::sync
