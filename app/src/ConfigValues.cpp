// The value syntax of the INI file (Config.h): durations, sizes, comma lists, and the
// comments Poco's INI reader does not strip.

#include "soar/app/Config.h"

#include <Poco/String.h>

#include <cctype>
#include <sstream>

namespace soar::app {

std::optional<std::chrono::milliseconds> parseDuration(const std::string& text) {
    const auto t = Poco::trim(text);
    if (t == "0") return std::chrono::milliseconds(0);
    std::size_t digits = 0;
    while (digits < t.size() && std::isdigit(static_cast<unsigned char>(t[digits])) != 0) {
        ++digits;
    }
    if (digits == 0 || digits > 12) return std::nullopt;
    const long long n = std::stoll(t.substr(0, digits));
    const auto unit = Poco::trim(t.substr(digits));
    if (unit == "ms") return std::chrono::milliseconds(n);
    if (unit == "s") return std::chrono::seconds(n);
    if (unit == "m") return std::chrono::minutes(n);
    if (unit == "h") return std::chrono::hours(n);
    if (unit == "d") return std::chrono::hours(24 * n);
    return std::nullopt;
}

std::optional<std::uint64_t> parseSize(const std::string& text) {
    const auto t = Poco::trim(text);
    std::size_t digits = 0;
    while (digits < t.size() && std::isdigit(static_cast<unsigned char>(t[digits])) != 0) {
        ++digits;
    }
    if (digits == 0 || digits > 12) return std::nullopt;
    const auto n = static_cast<std::uint64_t>(std::stoll(t.substr(0, digits)));
    const auto unit = Poco::trim(t.substr(digits));
    if (unit.empty()) return n;
    if (unit == "KiB") return n << 10U;
    if (unit == "MiB") return n << 20U;
    if (unit == "GiB") return n << 30U;
    return std::nullopt;
}

std::vector<std::string> splitList(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    std::string item;
    while (std::getline(in, item, ',')) {
        item = Poco::trim(item);
        if (!item.empty()) out.push_back(item);
    }
    return out;
}

std::string stripComments(const std::string& text) {
    std::istringstream in(text);
    std::ostringstream out;
    std::string line;
    while (std::getline(in, line)) {
        const auto first = line.find_first_not_of(" \t");
        if (first != std::string::npos && (line[first] == ';' || line[first] == '#')) {
            out << '\n';
            continue;
        }
        for (std::size_t i = 1; i < line.size(); ++i) {
            if ((line[i] == ';' || line[i] == '#') && (line[i - 1] == ' ' || line[i - 1] == '\t')) {
                line.erase(i);
                break;
            }
        }
        out << line << '\n';
    }
    return out.str();
}

}  // namespace soar::app
