#include "Clock.h"

#include <Poco/DateTime.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeParser.h>
#include <Poco/Timestamp.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <regex>

namespace soar::emulator {

std::string formatTimestamp(Micros t) {
    const std::time_t seconds = static_cast<std::time_t>(t / 1000000);
    const auto micros = static_cast<long>(t % 1000000);
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    char buffer[96];
    std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, micros);
    return buffer;
}

std::optional<Micros> parseTimestamp(const std::string& text) {
    static const std::regex kIso(
        R"(^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$)");
    if (!std::regex_match(text, kIso)) {
        return std::nullopt;
    }
    Poco::DateTime dt;
    int tzd = 0;
    if (!Poco::DateTimeParser::tryParse(Poco::DateTimeFormat::ISO8601_FRAC_FORMAT, text, dt, tzd) &&
        !Poco::DateTimeParser::tryParse(text, dt, tzd)) {
        return std::nullopt;
    }
    dt.makeUTC(tzd);
    return dt.timestamp().epochMicroseconds();
}

Micros wallClockMicros() {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

Micros Clock::next() {
    Micros t = wallClockMicros();
    if (coarse_) {
        t = truncate(t);
        if (t < last_) {
            t = last_;
        }
    } else if (t <= last_) {
        t = last_ + 1;
    }
    last_ = t;
    return t;
}

void Clock::observe(Micros t) {
    if (t > last_) {
        last_ = t;
    }
}

}  // namespace soar::emulator
