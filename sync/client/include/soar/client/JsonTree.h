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

#include <cstddef>
#include <string>
#include <vector>

namespace soar::sync {

/// What a reader needs of each record of a list answer (an object in the array that is the
/// top object's `data` member), so that the rest is never built: a page of artifacts is most
/// of a sync's parsing, and a Poco tree costs several heap blocks a value. Anything else in
/// the answer is read whole.
/// Members not kept are still read, and checked as JSON, but dropped; a kept member whose
/// value is an object may come as its compact text (a JsonFragment of JsonText.h), exactly as
/// jsonText() writes the tree it stands for: keys sorted, the last of two equal keys kept.
///
/// A shape is what the caller asks for, not a promise: text that only Poco's parser takes
/// comes whole, as parseJson(text) builds it, so a reader takes either form.
struct RecordShape {
    /// The members kept, in any order; empty keeps every member.
    std::vector<std::string> members;
    /// Object members as JsonFragment rather than as Object::Ptr.
    bool objects_as_text = false;
};

/// Throws Poco::JSON::JSONException (a Poco::Exception) for text Poco's parser refuses.
[[nodiscard]] Poco::Dynamic::Var parseJson(const std::string& text);
/// As above, with the records read as `shape` asks (null: all of each).
[[nodiscard]] Poco::Dynamic::Var parseJson(const std::string& text, const RecordShape* shape);

}  // namespace soar::sync
