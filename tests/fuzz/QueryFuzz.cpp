/// Fuzzes the filter and query builder (sync/Query.h) with its invariants:
/// - urlEncode() writes only RFC 3986 unreserved characters and %XX, and decoding it gives the
///   input back;
/// - pythonStringLiteral() is `"..."` with no raw control character and no unescaped quote or
///   backslash, and reading it as Python would gives the input back;
/// - a Query's string is `name=value` pairs of that alphabet joined by `&`, and each filter's
///   value decodes to its Python literal.

#include "soar/client/Query.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>

namespace {

void require(bool condition) {
    if (!condition) std::abort();
}

bool unreserved(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '~';
}

int hexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/// Decodes percent-encoding; aborts on anything but unreserved characters and %XX.
std::string percentDecode(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%') {
            require(unreserved(text[i]));
            out.push_back(text[i]);
            continue;
        }
        require(i + 2 < text.size());
        const int high = hexValue(text[i + 1]);
        const int low = hexValue(text[i + 2]);
        require(high >= 0 && low >= 0);
        out.push_back(static_cast<char>(high * 16 + low));
        i += 2;
    }
    return out;
}

/// Reads a Python string literal as pythonStringLiteral() writes it.
std::string pythonDecode(std::string_view literal) {
    require(literal.size() >= 2 && literal.front() == '"' && literal.back() == '"');
    std::string out;
    for (std::size_t i = 1; i + 1 < literal.size(); ++i) {
        const auto byte = static_cast<unsigned char>(literal[i]);
        require(byte >= 0x20 && byte != 0x7f && literal[i] != '"');
        if (literal[i] != '\\') {
            out.push_back(literal[i]);
            continue;
        }
        require(i + 2 < literal.size());
        const char escape = literal[++i];
        switch (escape) {
            case '\\':
            case '"':
                out.push_back(escape);
                break;
            case 'n':
                out.push_back('\n');
                break;
            case 'r':
                out.push_back('\r');
                break;
            case 't':
                out.push_back('\t');
                break;
            case 'x': {
                require(i + 3 < literal.size());
                const int high = hexValue(literal[i + 1]);
                const int low = hexValue(literal[i + 2]);
                require(high >= 0 && low >= 0);
                out.push_back(static_cast<char>(high * 16 + low));
                i += 2;
                break;
            }
            default:
                require(false);
        }
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string input(reinterpret_cast<const char*>(data), size);

    require(percentDecode(soar::sync::urlEncode(input)) == input);
    const std::string literal = soar::sync::pythonStringLiteral(input);
    require(pythonDecode(literal) == input);
    require(soar::sync::PyValue(input).literal() == literal);

    // The first line names the field (an empty name is refused with invalid_argument by
    // design, so it is replaced), the rest is the value.
    const auto newline = input.find('\n');
    const std::string field =
        newline == std::string::npos || newline == 0 ? "name" : input.substr(0, newline);
    const std::string value = newline == std::string::npos ? input : input.substr(newline + 1);
    soar::sync::Query query;
    query.exact(field, value).gt("create_time", value).in(field, {value, 42, "x"});
    query.isNull(field, true).sort(field).pageSize(size);
    try {
        query.raw(input);
    } catch (const std::invalid_argument&) {
        // Not `_filter_...=` / `_exclude_...=`: refused, as documented.
    }
    const std::string text = query.toQueryString(size % 7);
    std::size_t start = 0;
    while (start <= text.size()) {
        auto end = text.find('&', start);
        if (end == std::string::npos) end = text.size();
        const std::string_view pair(text.data() + start, end - start);
        const auto eq = pair.find('=');
        require(eq != std::string_view::npos && eq > 0);
        static_cast<void>(percentDecode(pair.substr(0, eq)));
        static_cast<void>(percentDecode(pair.substr(eq + 1)));
        start = end + 1;
    }
    for (const auto& [name, filter_literal] : query.filters()) {
        require(text.find(soar::sync::urlEncode(name) + "=" +
                          soar::sync::urlEncode(filter_literal)) != std::string::npos);
    }
    return 0;
}
