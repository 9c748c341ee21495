#pragma once

/// Reading SOAR's JSON answers and quoting them safely: typed views of a parsed body
/// (object, array, a field as text, the `"failed"` flag, SOAR's past-the-end page answer),
/// and the two ways a body enters an error message: scrubbed of the instance's secret, and cut
/// to a short printable snippet.
///
/// Pure functions on values: no I/O, no logging, no shared state; safe from any thread.

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <string>

namespace soar::sync {

/// The object `json` holds, or null when it holds anything else.
[[nodiscard]] Poco::JSON::Object::Ptr asObject(const Poco::Dynamic::Var& json);
/// The array `json` holds, or null when it holds anything else.
[[nodiscard]] Poco::JSON::Array::Ptr asArray(const Poco::Dynamic::Var& json);
/// `object[key]` as text; empty when the object is null, the key absent or null, or the value
/// has no text form.
[[nodiscard]] std::string stringField(const Poco::JSON::Object::Ptr& object,
                                      const std::string& key);
/// Whether the body says `"failed": true` (a `failed` of an odd type counts as a failure).
[[nodiscard]] bool isFailed(const Poco::JSON::Object::Ptr& object);
/// Whether a list answer is SOAR's for a page past the end: a failure, or at least no list,
/// whose message is Django's EmptyPage text.
[[nodiscard]] bool isPastEnd(const Poco::JSON::Object::Ptr& object);

/// `text` with every occurrence of `secret` masked as `***`.
[[nodiscard]] std::string scrubbed(std::string text, const std::string& secret);
/// The first bytes of a body, safe for a log line: no secret, no control bytes.
[[nodiscard]] std::string snippetOf(const std::string& body, const std::string& secret);

/// Throws the ProtocolError for an answer of the wrong shape: "<what>: expected <expected>,
/// got '<the JSON, cut short>'", carrying `status`.
[[noreturn]] void throwShape(const std::string& what, const Poco::Dynamic::Var& json, int status,
                             const std::string& expected, const std::string& secret);

}  // namespace soar::sync
