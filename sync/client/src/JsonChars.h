#pragma once

/// The character level of JSON text, shared by parseJson()'s reader (JsonTree.cpp),
/// skimList() (JsonSkim.cpp) and the writer of JsonText.cpp: UTF-8 sequences as RFC 3629
/// allows them (and Poco's parser takes them), the four hex digits of a `\u` escape, a code
/// point written as UTF-8, and the runs of a string's bytes that need no second look.

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace soar::sync {

/// `p` moved on (towards `end`) 8 bytes at a time past the blocks of 8 that hold no byte a
/// JSON string's writer or reader must look at: none below 0x20, no '"', no '\\' and, with
/// `stop_at_high`, none of 0x80 or above. The bytes from there are for a byte-wise scan.
inline const char* skipPlain(const char* p, const char* end, bool stop_at_high) {
    constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
    constexpr std::uint64_t kHighs = 0x8080808080808080ULL;
    while (end - p >= 8) {
        std::uint64_t w = 0;
        std::memcpy(&w, p, sizeof w);
        const std::uint64_t quote = w ^ (kOnes * '"');
        const std::uint64_t backslash = w ^ (kOnes * '\\');
        // Each term has a high bit set in some byte exactly when a byte of `w` is below 0x20,
        // is '"', is '\\' (the classic "has a byte less than n" and "has a zero byte").
        std::uint64_t hits = ((w - kOnes * 0x20) & ~w) | ((quote - kOnes) & ~quote) |
                             ((backslash - kOnes) & ~backslash);
        if (stop_at_high) hits |= w;
        if ((hits & kHighs) != 0) break;
        p += sizeof w;
    }
    return p;
}

/// The length of the valid UTF-8 sequence at `s[i]` (1 for ASCII), 0 when it is not one
/// (a stray continuation byte, an overlong form, a surrogate, beyond U+10FFFF, cut short).
inline std::size_t utf8Length(std::string_view s, std::size_t i) {
    const auto lead = static_cast<unsigned char>(s[i]);
    const auto follows = [&](std::size_t k, unsigned char lo, unsigned char hi) {
        if (i + k >= s.size()) return false;
        const auto b = static_cast<unsigned char>(s[i + k]);
        return b >= lo && b <= hi;
    };
    const auto tail = [&](std::size_t k) { return follows(k, 0x80, 0xbf); };
    if (lead < 0x80) return 1;
    if (lead >= 0xc2 && lead <= 0xdf) return tail(1) ? 2 : 0;
    if (lead == 0xe0) return follows(1, 0xa0, 0xbf) && tail(2) ? 3 : 0;
    if (lead == 0xed) return follows(1, 0x80, 0x9f) && tail(2) ? 3 : 0;
    if (lead >= 0xe1 && lead <= 0xef) return tail(1) && tail(2) ? 3 : 0;
    if (lead == 0xf0) return follows(1, 0x90, 0xbf) && tail(2) && tail(3) ? 4 : 0;
    if (lead >= 0xf1 && lead <= 0xf3) return tail(1) && tail(2) && tail(3) ? 4 : 0;
    if (lead == 0xf4) return follows(1, 0x80, 0x8f) && tail(2) && tail(3) ? 4 : 0;
    return 0;
}

/// Appends code point `code` (at most U+10FFFF) as UTF-8.
inline void appendUtf8(std::string& out, std::uint32_t code) {
    if (code < 0x80) {
        out.push_back(static_cast<char>(code));
    } else if (code < 0x800) {
        out.push_back(static_cast<char>(0xc0 | (code >> 6)));
        out.push_back(static_cast<char>(0x80 | (code & 0x3f)));
    } else if (code < 0x10000) {
        out.push_back(static_cast<char>(0xe0 | (code >> 12)));
        out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3f)));
        out.push_back(static_cast<char>(0x80 | (code & 0x3f)));
    } else {
        out.push_back(static_cast<char>(0xf0 | (code >> 18)));
        out.push_back(static_cast<char>(0x80 | ((code >> 12) & 0x3f)));
        out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3f)));
        out.push_back(static_cast<char>(0x80 | (code & 0x3f)));
    }
}

/// The value of the four hex digits at `s[at]`; nullopt when there are not four.
inline std::optional<std::uint32_t> hex4(std::string_view s, std::size_t at) {
    if (at + 4 > s.size()) return std::nullopt;
    std::uint32_t code = 0;
    for (std::size_t k = 0; k < 4; ++k) {
        const char h = s[at + k];
        std::uint32_t digit = 0;
        if (h >= '0' && h <= '9') {
            digit = static_cast<std::uint32_t>(h - '0');
        } else if (h >= 'a' && h <= 'f') {
            digit = static_cast<std::uint32_t>(h - 'a' + 10);
        } else if (h >= 'A' && h <= 'F') {
            digit = static_cast<std::uint32_t>(h - 'A' + 10);
        } else {
            return std::nullopt;
        }
        code = code * 16 + digit;
    }
    return code;
}

}  // namespace soar::sync
