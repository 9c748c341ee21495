// toJson() and appendJson() of Model.h: the compact text Poco's Stringifier writes (Poco
// 1.11, no JSON_ESCAPE_UNICODE), appended to a string rather than put through an ostream a
// token at a time, which took most of the emulator's CPU when it served pages. soar-sync's
// client has a writer of its own; the emulator keeps this one, since it links only Poco.

#include "Model.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <array>
#include <charconv>
#include <typeinfo>

namespace soar::emulator {
namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

/// Foundation's writeString(): the bytes 0-31, '"' and '\\' escaped, every other byte as it is.
void appendString(std::string& out, const std::string& value) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    out.push_back('"');
    std::size_t run = 0;
    for (std::size_t i = 0; i < value.size(); ++i) {
        const auto byte = static_cast<unsigned char>(value[i]);
        if (byte > 31 && byte != '"' && byte != '\\') continue;
        out.append(value, run, i - run);
        run = i + 1;
        switch (byte) {
            case '\n':
                out.append("\\n");
                break;
            case '\t':
                out.append("\\t");
                break;
            case '\r':
                out.append("\\r");
                break;
            case '\b':
                out.append("\\b");
                break;
            case '\f':
                out.append("\\f");
                break;
            case '\\':
                out.append("\\\\");
                break;
            case '"':
                out.append("\\\"");
                break;
            default: {
                const char escaped[] = {'\\', 'u', '0', '0', kHex[byte >> 4U], kHex[byte & 0xFU]};
                out.append(escaped, sizeof escaped);
            }
        }
    }
    out.append(value, run, std::string::npos);
    out.push_back('"');
}

template <class Int>
void appendInteger(std::string& out, Int value) {
    std::array<char, 24> digits{};
    const auto written = std::to_chars(digits.data(), digits.data() + digits.size(), value);
    out.append(digits.data(), written.ptr);
}

void appendArray(std::string& out, const Array& array) {
    out.push_back('[');
    bool first = true;
    for (const auto& value : array) {
        if (!first) out.push_back(',');
        first = false;
        appendJson(out, value);
    }
    out.push_back(']');
}

}  // namespace

void appendJson(std::string& out, const Object& object) {
    out.push_back('{');
    bool first = true;
    for (const auto& [key, value] : object) {
        if (!first) out.push_back(',');
        first = false;
        appendString(out, key);
        out.push_back(':');
        appendJson(out, value);
    }
    out.push_back('}');
}

void appendJson(std::string& out, const Var& any) {
    const std::type_info& type = any.type();
    if (type == typeid(std::string)) return appendString(out, any.extract<std::string>());
    if (type == typeid(Object::Ptr)) {
        const auto& object = any.extract<Object::Ptr>();
        if (!object) throw Poco::NullPointerException();
        return appendJson(out, *object);
    }
    if (type == typeid(Array::Ptr)) {
        const auto& array = any.extract<Array::Ptr>();
        if (!array) throw Poco::NullPointerException();
        return appendArray(out, *array);
    }
    if (type == typeid(Object)) return appendJson(out, any.extract<Object>());
    if (type == typeid(Array)) return appendArray(out, any.extract<Array>());
    if (any.isEmpty()) {
        out.append("null");
        return;
    }
    if (type == typeid(int)) return appendInteger(out, any.extract<int>());
    if (type == typeid(long)) return appendInteger(out, any.extract<long>());
    if (type == typeid(long long)) return appendInteger(out, any.extract<long long>());
    if (type == typeid(unsigned)) return appendInteger(out, any.extract<unsigned>());
    if (type == typeid(unsigned long)) return appendInteger(out, any.extract<unsigned long>());
    if (type == typeid(unsigned long long)) {
        return appendInteger(out, any.extract<unsigned long long>());
    }
    if (type == typeid(bool)) {
        out.append(any.extract<bool>() ? "true" : "false");
        return;
    }
    // Doubles, chars, dates and the rest: Poco's conversion, as its Stringifier does it.
    const auto text = any.convert<std::string>();
    if (type == typeid(char) ||
        (!any.isNumeric() && !any.isBoolean() &&
         (any.isString() || any.isDateTime() || any.isDate() || any.isTime()))) {
        return appendString(out, text);
    }
    out.append(text);
}

std::string toJson(const Var& value) {
    std::string out;
    appendJson(out, value);
    return out;
}

std::string toJson(const Object& value) {
    std::string out;
    appendJson(out, value);
    return out;
}

}  // namespace soar::emulator
