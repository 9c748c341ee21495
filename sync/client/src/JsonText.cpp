// jsonText() and jsonSha256() of JsonText.h: Poco's compact stringify (Stringifier.cpp,
// Object::doStringify, Array::stringify and Foundation's JSONString.cpp of Poco 1.11),
// written into a sink instead of an ostream.

#include "soar/client/JsonText.h"

#include "JsonChars.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Stringifier.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <openssl/evp.h>
#include <sstream>
#include <stdexcept>
#include <typeinfo>

namespace soar::sync {
namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

/// Counts the bytes, so that the text can be written into a string of its exact size.
class CountingSink {
public:
    void put(char) { ++size_; }
    void put(const char*, std::size_t n) { size_ += n; }
    [[nodiscard]] std::size_t size() const { return size_; }

private:
    std::size_t size_ = 0;
};

class StringSink {
public:
    explicit StringSink(std::string& out) : out_(out) {}
    void put(char c) { out_.push_back(c); }
    void put(const char* s, std::size_t n) { out_.append(s, n); }

private:
    std::string& out_;
};

/// OpenSSL's SHA-256, fetched once: EVP_sha256() makes every digest look the algorithm up in
/// OpenSSL 3's provider store again (under its locks), which cost as much as hashing a small
/// artifact.
const EVP_MD* sha256() {
    static const EVP_MD* const fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    return fetched != nullptr ? fetched : EVP_sha256();
}

/// Buffers the text and feeds OpenSSL's SHA-256 a block at a time.
class Sha256Sink {
public:
    Sha256Sink() : context_(EVP_MD_CTX_new()) {
        if (context_ == nullptr || EVP_DigestInit_ex(context_, sha256(), nullptr) != 1) {
            EVP_MD_CTX_free(context_);
            throw std::runtime_error("OpenSSL cannot start a SHA-256 digest");
        }
    }
    Sha256Sink(const Sha256Sink&) = delete;
    Sha256Sink& operator=(const Sha256Sink&) = delete;
    ~Sha256Sink() { EVP_MD_CTX_free(context_); }

    void put(char c) {
        if (used_ == buffer_.size()) flush();
        buffer_[used_++] = c;
    }
    void put(const char* s, std::size_t n) {
        if (n > buffer_.size() - used_) {
            flush();
            if (n >= buffer_.size()) {
                update(s, n);
                return;
            }
        }
        std::copy(s, s + n, buffer_.data() + used_);
        used_ += n;
    }
    /// The digest as lowercase hex, as Poco::DigestEngine::digestToHex() writes it.
    std::string hex() {
        update(buffer_.data(), used_);
        used_ = 0;
        std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
        unsigned size = 0;
        if (EVP_DigestFinal_ex(context_, digest.data(), &size) != 1) {
            throw std::runtime_error("OpenSSL cannot finish a SHA-256 digest");
        }
        static constexpr char kHex[] = "0123456789abcdef";
        std::string out;
        for (unsigned i = 0; i < size; ++i) {
            out.push_back(kHex[digest[i] >> 4U]);
            out.push_back(kHex[digest[i] & 0xFU]);
        }
        return out;
    }

private:
    void update(const char* s, std::size_t n) {
        if (n > 0 && EVP_DigestUpdate(context_, s, n) != 1) {
            throw std::runtime_error("OpenSSL cannot digest");
        }
    }
    void flush() {
        update(buffer_.data(), used_);
        used_ = 0;
    }

    EVP_MD_CTX* context_;
    std::array<char, 8192> buffer_{};
    std::size_t used_ = 0;
};

template <class Sink>
void putString(std::string_view value, Sink& out) {
    // Foundation's writeString() without JSON_ESCAPE_UNICODE: the bytes 0-31, '"' and '\\'
    // are escaped as UTF8::escape(strictJSON) does; every other byte is written as it is.
    static constexpr char kHex[] = "0123456789ABCDEF";
    out.put('"');
    const char* run = value.data();
    const char* const end = value.data() + value.size();
    for (const char* p = skipPlain(run, end, false); p != end; p = skipPlain(p + 1, end, false)) {
        const auto byte = static_cast<unsigned char>(*p);
        if (byte > 31 && byte != '"' && byte != '\\') continue;
        out.put(run, static_cast<std::size_t>(p - run));
        run = p + 1;
        switch (byte) {
            case '\n':
                out.put("\\n", 2);
                break;
            case '\t':
                out.put("\\t", 2);
                break;
            case '\r':
                out.put("\\r", 2);
                break;
            case '\b':
                out.put("\\b", 2);
                break;
            case '\f':
                out.put("\\f", 2);
                break;
            case '\\':
                out.put("\\\\", 2);
                break;
            case '"':
                out.put("\\\"", 2);
                break;
            default: {
                const char escaped[] = {'\\', 'u', '0', '0', kHex[byte >> 4U], kHex[byte & 0xFU]};
                out.put(escaped, sizeof escaped);
            }
        }
    }
    out.put(run, static_cast<std::size_t>(end - run));
    out.put('"');
}

template <class Sink, class Int>
void putInteger(Int value, Sink& out) {
    std::array<char, 24> digits{};
    const auto written = std::to_chars(digits.data(), digits.data() + digits.size(), value);
    out.put(digits.data(), static_cast<std::size_t>(written.ptr - digits.data()));
}

template <class Sink>
void putObject(const Object& object, Sink& out, std::initializer_list<std::string_view> skip = {});
template <class Sink>
void putArray(const Array& array, Sink& out);

/// Stringifier::stringify() for one value, in its order of tests.
template <class Sink>
void putValue(const Var& any, Sink& out) {
    const std::type_info& type = any.type();
    if (type == typeid(std::string)) return putString(any.extract<std::string>(), out);
    if (type == typeid(Object::Ptr)) {
        const auto& object = any.extract<Object::Ptr>();
        if (!object) throw Poco::NullPointerException();
        return putObject(*object, out);
    }
    if (type == typeid(Array::Ptr)) {
        const auto& array = any.extract<Array::Ptr>();
        if (!array) throw Poco::NullPointerException();
        return putArray(*array, out);
    }
    if (type == typeid(Object)) return putObject(any.extract<Object>(), out);
    if (type == typeid(Array)) return putArray(any.extract<Array>(), out);
    if (type == typeid(JsonFragment)) {
        const auto& text = any.extract<JsonFragment>().text;
        return out.put(text.data(), text.size());
    }
    if (any.isEmpty()) return out.put("null", 4);
    if (type == typeid(int)) return putInteger(any.extract<int>(), out);
    if (type == typeid(long)) return putInteger(any.extract<long>(), out);
    if (type == typeid(long long)) return putInteger(any.extract<long long>(), out);
    if (type == typeid(unsigned)) return putInteger(any.extract<unsigned>(), out);
    if (type == typeid(unsigned long)) return putInteger(any.extract<unsigned long>(), out);
    if (type == typeid(unsigned long long)) {
        return putInteger(any.extract<unsigned long long>(), out);
    }
    if (type == typeid(bool)) {
        return any.extract<bool>() ? out.put("true", 4) : out.put("false", 5);
    }
    // Doubles, chars, dates and the rest: Poco's conversion, as Stringifier does it.
    const auto text = any.convert<std::string>();
    if (any.isNumeric() || any.isBoolean()) {
        if (type == typeid(char)) return putString(text, out);
        return out.put(text.data(), text.size());
    }
    if (any.isString() || any.isDateTime() || any.isDate() || any.isTime()) {
        return putString(text, out);
    }
    out.put(text.data(), text.size());
}

template <class Sink>
void putObject(const Object& object, Sink& out, std::initializer_list<std::string_view> skip) {
    out.put('{');
    bool first = true;
    for (const auto& [key, value] : object) {
        if (std::find(skip.begin(), skip.end(), key) != skip.end()) continue;
        if (!first) out.put(',');
        first = false;
        putString(key, out);
        out.put(':');
        putValue(value, out);
    }
    out.put('}');
}

template <class Sink>
void putArray(const Array& array, Sink& out) {
    out.put('[');
    bool first = true;
    for (const auto& value : array) {
        if (!first) out.put(',');
        first = false;
        putValue(value, out);
    }
    out.put(']');
}

/// Poco's own text, for a value whose top level asks for escaped Unicode.
template <class Json>
std::string pocoText(const Json& value) {
    std::ostringstream out;
    value.stringify(out);
    return out.str();
}

template <class Json>
std::string exactText(const Json& value, void (*put)(const Json&, CountingSink&),
                      void (*write)(const Json&, StringSink&)) {
    if (value.getEscapeUnicode()) return pocoText(value);
    CountingSink counter;
    put(value, counter);
    std::string text;
    text.reserve(counter.size());
    StringSink sink(text);
    write(value, sink);
    return text;
}

}  // namespace

std::string jsonText(const Object& value) {
    return exactText<Object>(
        value, [](const Object& o, CountingSink& s) { putObject(o, s); },
        [](const Object& o, StringSink& s) { putObject(o, s); });
}

std::string jsonText(const Array& value) {
    return exactText<Array>(
        value, [](const Array& a, CountingSink& s) { putArray(a, s); },
        [](const Array& a, StringSink& s) { putArray(a, s); });
}

void appendJson(std::string& out, const Var& value) {
    StringSink sink(out);
    putValue(value, sink);
}

void appendJsonString(std::string& out, std::string_view value) {
    StringSink sink(out);
    putString(value, sink);
}

void appendJsonInteger(std::string& out, Poco::Int64 value) {
    StringSink sink(out);
    putInteger(value, sink);
}

void appendJsonInteger(std::string& out, Poco::UInt64 value) {
    StringSink sink(out);
    putInteger(value, sink);
}

std::string sha256Hex(std::string_view text) {
    Sha256Sink sink;
    sink.put(text.data(), text.size());
    return sink.hex();
}

std::string jsonSha256(const Object& value, std::initializer_list<std::string_view> skip) {
    Sha256Sink sink;
    if (value.getEscapeUnicode()) {
        Object copy(value);
        for (const auto key : skip) copy.remove(std::string(key));
        const auto text = pocoText(copy);
        sink.put(text.data(), text.size());
    } else {
        putObject(value, sink, skip);
    }
    return sink.hex();
}

}  // namespace soar::sync
