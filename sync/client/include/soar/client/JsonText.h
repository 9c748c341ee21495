#pragma once

/// The compact JSON text of Poco values, byte for byte as Poco 1.11's `stringify()` writes it,
/// without its stream layer: Poco writes a string one byte at a time through `ostream::write`,
/// which made serialising request bodies and content hashes the largest CPU cost of a sync.
///
/// "Byte for byte" holds for objects that keep their keys sorted: Poco's default, and every
/// object its parser builds. An object made with `JSON_PRESERVE_KEY_ORDER` is written in sorted
/// order here (its members are the same), and one set to escape Unicode is handed to Poco.
/// Numbers other than integers and booleans, and values of other types, go through Poco's own
/// conversion, so they read as Poco writes them.
///
/// Pure functions on values: no I/O, no shared state; safe from any thread.

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <initializer_list>
#include <string>
#include <string_view>

namespace soar::sync {

/// JSON text written already, held in a tree (as a Poco::Dynamic::Var of this type) and put
/// as it is by jsonText() and jsonSha256(): a record written once, for its content hash, and
/// then sent inside a larger body. Poco's own stringify() does not know it.
struct JsonFragment {
    std::string text;
};

/// The JSON text of `value`, in a string of exactly its size: measured first, then written, so
/// that a body of megabytes is held once.
[[nodiscard]] std::string jsonText(const Poco::JSON::Object& value);
[[nodiscard]] std::string jsonText(const Poco::JSON::Array& value);

/// The SHA-256 (lowercase hex) of the JSON text of `value` without the top-level members named
/// in `skip` (as if they were removed from a copy). The text goes to OpenSSL's digest in blocks
/// of a few KiB: nothing is copied, and a record of megabytes is never written out whole.
[[nodiscard]] std::string jsonSha256(const Poco::JSON::Object& value,
                                     std::initializer_list<std::string_view> skip);

/// Append the JSON text of `value` (a string: appendJsonString) to `out`, as jsonText() writes
/// it: for writing a record's text member by member.
void appendJson(std::string& out, const Poco::Dynamic::Var& value);
void appendJsonString(std::string& out, std::string_view value);
void appendJsonInteger(std::string& out, Poco::Int64 value);
void appendJsonInteger(std::string& out, Poco::UInt64 value);

/// The SHA-256 (lowercase hex) of `text`.
[[nodiscard]] std::string sha256Hex(std::string_view text);

}  // namespace soar::sync
