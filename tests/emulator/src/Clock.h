#pragma once

/// Server timestamps as SOAR writes them: ISO-8601 UTC with six fractional digits and a
/// `Z` (2024-01-01T00:00:00.123456Z). The clock hands out strictly increasing instants so
/// that no two writes tie, unless it is coarse: then it truncates real time to whole
/// seconds and many writes share one timestamp. Not thread-safe: the caller holds the
/// data lock.

#include <cstdint>
#include <optional>
#include <string>

namespace soar::emulator {

/// Microseconds since the Unix epoch, UTC.
using Micros = std::int64_t;

std::string formatTimestamp(Micros t);
/// Accepts ISO-8601 with or without fraction, `Z` or a ±hh:mm offset; nullopt if invalid.
std::optional<Micros> parseTimestamp(const std::string& text);
Micros wallClockMicros();

class Clock {
public:
    explicit Clock(bool coarse) : coarse_(coarse) {}

    /// The next write's timestamp.
    Micros next();
    /// Makes every later next() greater than `t` (used after seeding old data).
    void observe(Micros t);
    [[nodiscard]] bool coarse() const { return coarse_; }
    [[nodiscard]] Micros truncate(Micros t) const { return coarse_ ? t - t % 1000000 : t; }

private:
    bool coarse_;
    Micros last_ = 0;
};

}  // namespace soar::emulator
