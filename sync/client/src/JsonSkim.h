#pragma once

/// skimList(): one pass over a list answer's bytes that builds nothing, for the answers Poco's
/// parser refuses. It names the first thing that keeps the body from being read (nesting
/// deeper than the parser goes, invalid UTF-8, an unpaired surrogate escape, a raw control
/// character in a string, a syntax error) and keeps the top-level scalar fields of the first
/// record of `data`, so that a page of one unreadable record can still say which record it
/// is. Depth is counted, not recursed: any nesting costs one byte of stack per level.
///
/// Pure: no I/O, no shared state; safe from any thread. Private to soar_client.

#include <cstddef>
#include <map>
#include <string>
#include <string_view>

namespace soar::sync {

struct ListSkim {
    /// The first problem with its byte offset ("nesting deeper than 128 levels at byte 4100");
    /// empty when the body is readable JSON as far as the skim can tell.
    std::string problem;
    /// The first record's top-level fields whose values are strings or numbers, as text
    /// (strings unescaped where they are valid, numbers as written).
    std::map<std::string, std::string> first;
};

[[nodiscard]] ListSkim skimList(std::string_view body, std::size_t max_depth);

}  // namespace soar::sync
