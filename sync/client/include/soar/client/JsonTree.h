#pragma once

/// parseJson(): a JSON text to Poco's tree (Object::Ptr, Array::Ptr, Int64, UInt64, double,
/// bool, std::string, empty for null), exactly as `Poco::JSON::Parser().parse()` builds it and
/// refusing exactly what it refuses: the same parser reads the text, with its checks and its
/// nesting limit. Only the tree is built differently. Poco's own handler copies every value
/// twice into its object, and its parent once more on the way; here each value is made once
/// and swapped into place, which halves the cost of reading a page of records.
///
/// Pure: no I/O, no shared state; safe from any thread.

#include <Poco/Dynamic/Var.h>

#include <string>

namespace soar::sync {

/// Throws Poco::JSON::JSONException (a Poco::Exception) for text Poco's parser refuses.
[[nodiscard]] Poco::Dynamic::Var parseJson(const std::string& text);

}  // namespace soar::sync
