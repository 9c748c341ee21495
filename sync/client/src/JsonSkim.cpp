#include "JsonSkim.h"

#include "JsonChars.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace soar::sync {
namespace {

constexpr std::size_t kNone = static_cast<std::size_t>(-1);

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool endsToken(char c) {
    return isSpace(c) || c == ',' || c == ':' || c == ']' || c == '}' || c == '[' || c == '{' ||
           c == '"';
}

class Skimmer {
public:
    Skimmer(std::string_view body, std::size_t max_depth) : s_(body), max_depth_(max_depth) {}

    ListSkim run() {
        while (true) {
            while (i_ < s_.size() && isSpace(s_[i_])) ++i_;
            if (i_ >= s_.size()) break;
            const char c = s_[i_];
            if (c == '{' || c == '[') {
                valueStarts(c);
                stack_.push_back(c);
                if (stack_.size() > max_depth_) {
                    problem("nesting deeper than " + std::to_string(max_depth_) + " levels", i_);
                }
                if (c == '[' && stack_.size() == 2 && envelope_key_ == "data") {
                    data_depth_ = 2;
                    elements_ = 0;
                }
                key_next_ = c == '{';
                ++i_;
            } else if (c == '}' || c == ']') {
                if (stack_.empty() || (c == '}') != (stack_.back() == '{')) {
                    problem(std::string("not JSON (a stray '") + c + "')", i_);
                    return out_;
                }
                if (in_first_ && stack_.size() == record_depth_) in_first_ = false;
                if (stack_.size() == data_depth_) data_depth_ = kNone;
                stack_.pop_back();
                key_next_ = false;
                ++i_;
            } else if (c == ',') {
                key_next_ = !stack_.empty() && stack_.back() == '{';
                ++i_;
            } else if (c == ':') {
                ++i_;
            } else if (c == '"') {
                if (!string()) return out_;
            } else {
                scalar();
            }
        }
        if (!stack_.empty()) problem("not JSON (the body ends inside a value)", s_.size());
        return out_;
    }

private:
    void problem(const std::string& what, std::size_t at) {
        if (out_.problem.empty()) out_.problem = what + " at byte " + std::to_string(at);
    }

    bool atRecordLevel() const { return in_first_ && stack_.size() == record_depth_; }

    /// A value starts at `i_` (before an object or array is pushed).
    void valueStarts(char c) {
        if (stack_.size() != data_depth_) return;
        ++elements_;
        if (elements_ == 1 && c == '{') {
            in_first_ = true;
            record_depth_ = data_depth_ + 1;
        }
    }

    /// A key or a string value; false when the body ends inside it.
    bool string() {
        const bool is_key = key_next_;
        const auto start = i_;
        if (!is_key) valueStarts('"');
        std::string text;
        const bool keep = is_key ? stack_.size() == 1 || atRecordLevel()
                                 : atRecordLevel() && !record_key_.empty();
        if (!readString(keep ? &text : nullptr)) {
            problem("an unterminated string", start);
            return false;
        }
        if (is_key) {
            key_next_ = false;
            if (stack_.size() == 1) envelope_key_ = text;
            if (atRecordLevel()) record_key_ = text;
        } else if (keep) {
            out_.first[record_key_] = std::move(text);
        }
        return true;
    }

    /// A number or a literal (true, false, null).
    void scalar() {
        valueStarts(s_[i_]);
        const auto start = i_;
        while (i_ < s_.size() && !endsToken(s_[i_])) ++i_;
        if (i_ == start) {
            problem("not JSON (an unexpected byte)", i_);
            ++i_;
            return;
        }
        const auto token = s_.substr(start, i_ - start);
        if (atRecordLevel() && !record_key_.empty() && token != "true" && token != "false" &&
            token != "null") {
            out_.first[record_key_] = std::string(token);
        }
    }

    /// Reads the string whose quote is at `i_`, leaving `i_` after its closing quote; its text
    /// goes to `text` when given. False when the body ends first.
    bool readString(std::string* text) {
        ++i_;
        while (i_ < s_.size()) {
            const auto b = static_cast<unsigned char>(s_[i_]);
            if (b == '"') {
                ++i_;
                return true;
            }
            if (b == '\\') {
                if (i_ + 1 >= s_.size()) return false;
                const char e = s_[i_ + 1];
                if (e == 'u') {
                    escapeU(text);
                    continue;
                }
                static constexpr std::string_view kEscapes = "\"\\/bfnrt";
                static constexpr std::string_view kMeanings = "\"\\/\b\f\n\r\t";
                const auto at = kEscapes.find(e);
                if (at == std::string_view::npos) problem("an invalid escape", i_);
                if (text && at != std::string_view::npos) text->push_back(kMeanings[at]);
                i_ += 2;
                continue;
            }
            if (b < 0x20) {
                problem("a control character in a string", i_);
                ++i_;
                continue;
            }
            const auto length = utf8Length(s_, i_);
            if (length == 0) {
                problem("invalid UTF-8", i_);
                ++i_;
                continue;
            }
            if (text) text->append(s_.substr(i_, length));
            i_ += length;
        }
        return false;
    }

    /// A `\uXXXX` escape at `i_`, with the low half of a surrogate pair when one follows.
    void escapeU(std::string* text) {
        const auto escaped = hex4(s_, i_ + 2);
        if (!escaped) {
            problem("a broken \\u escape", i_);
            i_ += 2;
            return;
        }
        std::uint32_t code = *escaped;
        std::size_t length = 6;
        if (code >= 0xd800 && code <= 0xdbff) {
            std::optional<std::uint32_t> low;
            if (i_ + 7 < s_.size() && s_[i_ + 6] == '\\' && s_[i_ + 7] == 'u' &&
                (low = hex4(s_, i_ + 8)) && *low >= 0xdc00 && *low <= 0xdfff) {
                code = 0x10000 + ((code - 0xd800) << 10) + (*low - 0xdc00);
                length = 12;
            } else {
                problem("an unpaired UTF-16 surrogate escape", i_);
                code = 0xfffd;
            }
        } else if (code >= 0xdc00 && code <= 0xdfff) {
            problem("an unpaired UTF-16 surrogate escape", i_);
            code = 0xfffd;
        }
        if (text) appendUtf8(*text, code);
        i_ += length;
    }

    std::string_view s_;
    std::size_t max_depth_;
    std::size_t i_ = 0;
    std::vector<char> stack_;
    bool key_next_ = false;
    std::string envelope_key_;
    std::string record_key_;
    std::size_t data_depth_ = kNone;
    std::size_t elements_ = 0;
    bool in_first_ = false;
    std::size_t record_depth_ = kNone;
    ListSkim out_;
};

}  // namespace

ListSkim skimList(std::string_view body, std::size_t max_depth) {
    return Skimmer(body, max_depth).run();
}

void JsonCompactor::feed(std::string_view piece) {
    for (const char c : piece) {
        const bool kept = depth_ <= kKeepDepth;
        if (in_string_) {
            bool starts_char = false;  // where the string may be cut: not inside an escape
            if (escape_) {
                escape_ = false;
            } else if (c == '"') {
                in_string_ = false;
                if (kept) keep(c);
                continue;
            } else {
                escape_ = c == '\\';
                starts_char = (static_cast<unsigned char>(c) & 0xc0U) != 0x80U;  // nor UTF-8
            }
            if (!cut_ && starts_char && string_bytes_ >= kKeepString) cut_ = true;
            ++string_bytes_;
            if (kept && !cut_) keep(c);
            continue;
        }
        if (c == '"') {
            in_string_ = true;
            cut_ = false;
            string_bytes_ = 0;
            if (kept) keep(c);
        } else if (c == '{' || c == '[') {
            ++depth_;
            if (depth_ <= kKeepDepth + 1) keep(c);  // a deeper value's brackets stay, empty
        } else if (c == '}' || c == ']') {
            if (depth_ <= kKeepDepth + 1) keep(c);
            if (depth_ > 0) --depth_;
        } else if (kept) {
            keep(c);
        }
    }
}

}  // namespace soar::sync
