#pragma once

/// parseJson(): a JSON text to Poco's tree (Object::Ptr, Array::Ptr, Int64, UInt64, double,
/// bool, std::string, empty for null), exactly as `Poco::JSON::Parser().parse()` builds it and
/// refusing exactly what it refuses. Plain JSON (valid UTF-8, integers of 64 bits, finite
/// doubles, at most 64 deep, no `\u0000`) is read by a reader of its own that takes only
/// what Poco's parser takes and reads it alike (Poco's rounding of negative integers below
/// -2^53 included); any other text goes to Poco's parser, with its checks, limits and
/// messages. Poco's own handler copies every value twice into its object, and its parent once
/// more on the way; here each value is made once and swapped into place.
///
/// Pure: no I/O, no shared state; safe from any thread.

#include <Poco/Dynamic/Var.h>

#include <string>

namespace soar::sync {

/// Throws Poco::JSON::JSONException (a Poco::Exception) for text Poco's parser refuses.
[[nodiscard]] Poco::Dynamic::Var parseJson(const std::string& text);

}  // namespace soar::sync
