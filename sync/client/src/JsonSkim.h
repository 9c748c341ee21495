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

/// An answer too large to keep, fed in pieces as it arrives and kept small enough for
/// skimList() to name its first record: values nested deeper than a list's records (the
/// envelope, `data`, a record: 3 levels) become empty (`{}`, `[]`), strings are cut after
/// 1 KiB, and the whole after 1 MiB. Pure, like skimList().
class JsonCompactor {
public:
    void feed(std::string_view piece);
    [[nodiscard]] const std::string& text() const { return out_; }

private:
    static constexpr std::size_t kKeepDepth = 3;
    static constexpr std::size_t kKeepString = 1024;
    static constexpr std::size_t kKeepTotal = 1U << 20U;

    void keep(char c) {
        if (out_.size() < kKeepTotal) out_.push_back(c);
    }

    std::string out_;
    std::size_t depth_ = 0;
    bool in_string_ = false;
    bool escape_ = false;
    bool cut_ = false;
    std::size_t string_bytes_ = 0;
};

}  // namespace soar::sync
