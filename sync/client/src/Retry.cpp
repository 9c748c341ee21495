#include "soar/client/Retry.h"

#include "soar/client/Timestamp.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <regex>
#include <string>

namespace soar::sync {
namespace {

/// The three HTTP-date forms of RFC 9110 §5.6.7, strictly (Poco's parser is lenient enough to
/// read "soon" as a date).
std::optional<std::chrono::system_clock::time_point> parseHttpDate(const std::string& text) {
    static const std::regex kImfFixdate(
        R"(^[A-Z][a-z]{2}, (\d{2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$)");
    static const std::regex kRfc850(
        R"(^[A-Z][a-z]+, (\d{2})-([A-Z][a-z]{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT$)");
    static const std::regex kAsctime(
        R"(^[A-Z][a-z]{2} ([A-Z][a-z]{2}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2}) (\d{4})$)");
    static const std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

    std::smatch m;
    std::string day, month, year, hour, minute, second;
    if (std::regex_match(text, m, kImfFixdate) || std::regex_match(text, m, kRfc850)) {
        day = m[1];
        month = m[2];
        year = m[3];
        hour = m[4];
        minute = m[5];
        second = m[6];
    } else if (std::regex_match(text, m, kAsctime)) {
        month = m[1];
        day = m[2];
        hour = m[3];
        minute = m[4];
        second = m[5];
        year = m[6];
        if (day[0] == ' ') day[0] = '0';
    } else {
        return std::nullopt;
    }
    const auto month_it = std::find(kMonths.begin(), kMonths.end(), month);
    if (month_it == kMonths.end()) return std::nullopt;
    int year_number = std::stoi(year);
    if (year.size() == 2) year_number += year_number < 70 ? 2000 : 1900;  // RFC 850's two digits
    char iso[32];
    std::snprintf(iso, sizeof iso, "%04d-%02d-%sT%s:%s:%sZ", year_number,
                  static_cast<int>(month_it - kMonths.begin()) + 1, day.c_str(), hour.c_str(),
                  minute.c_str(), second.c_str());
    const auto parsed = Timestamp::parse(iso);
    if (!parsed) return std::nullopt;
    return std::chrono::system_clock::time_point(std::chrono::microseconds(parsed->micros()));
}

}  // namespace

std::chrono::microseconds backoffCeiling(const RetryPolicy& policy, int retry) {
    using std::chrono::microseconds;
    const microseconds cap = policy.max_backoff;
    microseconds ceiling = policy.initial_backoff;
    for (int i = 0; i < retry && ceiling < cap; ++i) ceiling *= 2;
    return std::max(microseconds(0), std::min(ceiling, cap));
}

std::chrono::microseconds fullJitterBackoff(const RetryPolicy& policy, int retry,
                                            std::mt19937_64& random) {
    const auto ceiling = backoffCeiling(policy, retry).count();
    if (ceiling <= 0) return std::chrono::microseconds(0);
    std::uniform_int_distribution<std::chrono::microseconds::rep> draw(0, ceiling);
    return std::chrono::microseconds(draw(random));
}

std::optional<std::chrono::milliseconds> parseRetryAfter(
    std::string_view value, std::chrono::system_clock::time_point now) {
    while (!value.empty() && std::isspace(static_cast<unsigned char>(value.front()))) {
        value.remove_prefix(1);
    }
    while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back()))) {
        value.remove_suffix(1);
    }
    if (value.empty()) return std::nullopt;
    if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        // delta-seconds; anything beyond a day is clamped (the policy bounds it further).
        constexpr std::int64_t kMaxSeconds = 86'400;
        std::int64_t seconds = 0;
        for (const char c : value) {
            seconds = std::min(kMaxSeconds, seconds * 10 + (c - '0'));
        }
        return std::chrono::milliseconds(seconds * 1000);
    }
    const auto at = parseHttpDate(std::string(value));
    if (!at) return std::nullopt;
    if (*at <= now) return std::chrono::milliseconds(0);
    // Round up: waiting a little long is harmless, a little short earns another 429.
    return std::chrono::ceil<std::chrono::milliseconds>(*at - now);
}

}  // namespace soar::sync
