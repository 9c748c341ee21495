#include "PythonLiteral.h"

#include <Poco/JSON/Array.h>

#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdlib>

namespace soar::emulator {
namespace {

class Reader {
public:
    explicit Reader(const std::string& text) : text_(text) {}

    Poco::Dynamic::Var parseAll() {
        Poco::Dynamic::Var value = parseValue();
        skipSpace();
        if (pos_ != text_.size()) {
            fail("unexpected text after the value");
        }
        return value;
    }

private:
    [[noreturn]] void fail(const std::string& why) const {
        throw LiteralError("cannot parse filter value '" + text_ + "': " + why + " at offset " +
                           std::to_string(pos_));
    }

    void skipSpace() {
        while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_])) != 0) {
            ++pos_;
        }
    }

    Poco::Dynamic::Var parseValue() {
        skipSpace();
        if (pos_ >= text_.size()) {
            fail("missing value");
        }
        const char c = text_[pos_];
        if (c == '\'' || c == '"') {
            return parseString(c);
        }
        if (c == '[' || c == '(') {
            return parseList(c == '[' ? ']' : ')');
        }
        if (c == '-' || c == '+' || c == '.' || std::isdigit(static_cast<unsigned char>(c)) != 0) {
            return parseNumber();
        }
        if (std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_') {
            const std::size_t start = pos_;
            while (pos_ < text_.size() &&
                   (std::isalnum(static_cast<unsigned char>(text_[pos_])) != 0 ||
                    text_[pos_] == '_')) {
                ++pos_;
            }
            const std::string word = text_.substr(start, pos_ - start);
            if (word == "True") {
                return true;
            }
            if (word == "False") {
                return false;
            }
            if (word == "None") {
                return Poco::Dynamic::Var();
            }
            pos_ = start;
            fail("'" + word + "' is not a Python literal (strings must be quoted)");
        }
        fail(std::string("unexpected character '") + c + "'");
    }

    Poco::Dynamic::Var parseString(char quote) {
        ++pos_;
        std::string out;
        while (pos_ < text_.size()) {
            const char c = text_[pos_++];
            if (c == quote) {
                return out;
            }
            if (c != '\\') {
                out.push_back(c);
                continue;
            }
            if (pos_ >= text_.size()) {
                break;
            }
            const char e = text_[pos_++];
            switch (e) {
                case 'n':
                    out.push_back('\n');
                    break;
                case 't':
                    out.push_back('\t');
                    break;
                case 'r':
                    out.push_back('\r');
                    break;
                case '0':
                    out.push_back('\0');
                    break;
                case 'u':
                    out += unicodeEscape();
                    break;
                default:  // \\, \', \" and anything else stand for themselves
                    out.push_back(e);
                    break;
            }
        }
        fail("unterminated string");
    }

    std::string unicodeEscape() {
        if (pos_ + 4 > text_.size()) {
            fail("short \\u escape");
        }
        const std::string hex = text_.substr(pos_, 4);
        for (char h : hex) {
            if (std::isxdigit(static_cast<unsigned char>(h)) == 0) {
                fail("bad \\u escape");
            }
        }
        pos_ += 4;
        const auto code = static_cast<std::uint32_t>(std::strtoul(hex.c_str(), nullptr, 16));
        std::string out;
        if (code < 0x80) {
            out.push_back(static_cast<char>(code));
        } else if (code < 0x800) {
            out.push_back(static_cast<char>(0xC0 | (code >> 6)));
            out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
        } else {
            out.push_back(static_cast<char>(0xE0 | (code >> 12)));
            out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
        }
        return out;
    }

    Poco::Dynamic::Var parseNumber() {
        const std::size_t start = pos_;
        if (text_[pos_] == '-' || text_[pos_] == '+') {
            ++pos_;
        }
        bool is_float = false;
        bool digits = false;
        while (pos_ < text_.size()) {
            const char c = text_[pos_];
            if (std::isdigit(static_cast<unsigned char>(c)) != 0) {
                digits = true;
            } else if (c == '.' || c == 'e' || c == 'E') {
                is_float = true;
            } else if ((c == '-' || c == '+') &&
                       (text_[pos_ - 1] == 'e' || text_[pos_ - 1] == 'E')) {
                // exponent sign
            } else {
                break;
            }
            ++pos_;
        }
        const std::string number = text_.substr(start, pos_ - start);
        if (!digits) {
            fail("bad number '" + number + "'");
        }
        char* end = nullptr;
        if (is_float) {
            const double d = std::strtod(number.c_str(), &end);
            if (end != number.c_str() + number.size()) {
                fail("bad number '" + number + "'");
            }
            return d;
        }
        errno = 0;
        const long long i = std::strtoll(number.c_str(), &end, 10);
        if (end != number.c_str() + number.size() || errno == ERANGE) {
            fail("bad integer '" + number + "'");
        }
        return static_cast<Poco::Int64>(i);
    }

    Poco::Dynamic::Var parseList(char close) {
        ++pos_;
        Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
        skipSpace();
        if (pos_ < text_.size() && text_[pos_] == close) {
            ++pos_;
            return list;
        }
        while (true) {
            list->add(parseValue());
            skipSpace();
            if (pos_ >= text_.size()) {
                fail("unterminated list");
            }
            const char c = text_[pos_++];
            if (c == close) {
                return list;
            }
            if (c != ',') {
                fail("expected ',' in list");
            }
            skipSpace();
            if (pos_ < text_.size() && text_[pos_] == close) {  // trailing comma
                ++pos_;
                return list;
            }
        }
    }

    const std::string& text_;
    std::size_t pos_ = 0;
};

}  // namespace

Poco::Dynamic::Var parsePythonLiteral(const std::string& text) { return Reader(text).parseAll(); }

}  // namespace soar::emulator
