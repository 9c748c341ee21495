#include "AnswerBody.h"

#include "soar/client/Errors.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Stringifier.h>

#include <algorithm>
#include <sstream>

namespace soar::sync {
namespace {

/// How much of a body an error message quotes.
constexpr std::size_t kSnippetBytes = 200;
constexpr const char* kPastEndMessage = "That page contains no results";

}  // namespace

Poco::JSON::Object::Ptr asObject(const Poco::Dynamic::Var& json) {
    if (json.type() == typeid(Poco::JSON::Object::Ptr)) {
        return json.extract<Poco::JSON::Object::Ptr>();
    }
    return {};
}

Poco::JSON::Array::Ptr asArray(const Poco::Dynamic::Var& json) {
    if (json.type() == typeid(Poco::JSON::Array::Ptr)) {
        return json.extract<Poco::JSON::Array::Ptr>();
    }
    return {};
}

std::string stringField(const Poco::JSON::Object::Ptr& object, const std::string& key) {
    if (!object || !object->has(key)) return {};
    const auto value = object->get(key);
    if (value.isEmpty()) return {};
    try {
        return value.convert<std::string>();
    } catch (const Poco::Exception&) {
        return {};
    }
}

bool isFailed(const Poco::JSON::Object::Ptr& object) {
    if (!object || !object->has("failed")) return false;
    const auto value = object->get("failed");
    try {
        return !value.isEmpty() && value.convert<bool>();
    } catch (const Poco::Exception&) {
        return true;  // `failed` present with an odd value: do not call it a success
    }
}

bool isPastEnd(const Poco::JSON::Object::Ptr& object) {
    if (!object || (!isFailed(object) && object->has("data"))) return false;
    return stringField(object, "message").find(kPastEndMessage) != std::string::npos;
}

std::string scrubbed(std::string text, const std::string& secret) {
    if (secret.empty()) return text;
    for (auto pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos + 3)) {
        text.replace(pos, secret.size(), "***");
    }
    return text;
}

std::string snippetOf(const std::string& body, const std::string& secret) {
    std::string text = scrubbed(body.substr(0, kSnippetBytes + secret.size()), secret);
    const bool cut = text.size() > kSnippetBytes;
    text.resize(std::min(text.size(), kSnippetBytes));
    for (char& c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte >= 0x7f)
            c = byte == '\n' || byte == '\r' || byte == '\t' ? ' ' : '?';
    }
    return cut || body.size() > kSnippetBytes ? text + "..." : text;
}

void throwShape(const std::string& what, const Poco::Dynamic::Var& json, int status,
                const std::string& expected, const std::string& secret) {
    std::ostringstream out;
    try {
        json.isEmpty() ? void(out << "null") : Poco::JSON::Stringifier::stringify(json, out);
    } catch (const Poco::Exception&) {
        out << "?";
    }
    throw ProtocolError(
        what + ": expected " + expected + ", got '" + snippetOf(out.str(), secret) + "'", status);
}

}  // namespace soar::sync
