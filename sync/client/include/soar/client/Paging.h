#pragma once

/// Reading lists without holding them: page-by-page iteration, and the keyset walk over a
/// timestamp field that finds what changed (design.md §5 "Finding what changed").
///
/// Both are free functions over SoarApi, so the route engine's fakes get the same behaviour.
/// Memory: at most one page of records is alive at a time (plus, in a walk, the ids of the
/// tail group of one page). Thread safety: as the SoarApi they are given; one walk per thread.

#include "soar/client/SoarApi.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>

namespace soar::sync {

/// Called once per page; return false to stop.
using PageCallback = std::function<bool(const Page& page)>;

struct PagingLimits {
    /// A walk that needs more requests than this is a ProtocolError (a server that never
    /// signals the end must not hold a pass forever).
    std::size_t max_requests = 100'000;
};

/// Pages 0, 1, 2, ... of `query` until the last page (`num_pages`), an empty `data`, or the
/// "page contains no results" answer. Offset paging: not stable while the list changes; the
/// sync uses keysetWalk instead. A page that cannot be read (UnreadablePage: larger than
/// max_record_size, too deep, ...) is read again at half the size from the same record, down
/// to one record, whose UnreadablePage is thrown. Returns the number of requests made.
std::size_t forEachPage(SoarApi& api, const std::string& path, const Query& query,
                        const PageCallback& callback, const PagingLimits& limits = {});

/// A position in a keyset walk: every record with `field < timestamp`, and those with
/// `field == timestamp` and `id <= last_id`, have been seen. `last_id == kWholeGroup` means
/// the whole `timestamp` group has been seen (resume strictly after it).
struct KeysetCursor {
    static constexpr std::int64_t kWholeGroup = std::numeric_limits<std::int64_t>::max();

    /// The field value as SOAR wrote it; empty = the beginning.
    std::string timestamp;
    std::int64_t last_id = kWholeGroup;

    /// Everything with `field <= timestamp` done: what `cursor - lookback` is.
    [[nodiscard]] static KeysetCursor after(std::string timestamp) {
        return {std::move(timestamp), kWholeGroup};
    }
    friend bool operator==(const KeysetCursor& a, const KeysetCursor& b) {
        return a.timestamp == b.timestamp && a.last_id == b.last_id;
    }
};

/// The field a keyset walk adds to a record it could not read (see keysetWalk): its value is
/// the reason ("nesting deeper than 128 levels at byte 4100").
inline constexpr const char* kUnreadableKey = "_soar_sync_unreadable";

/// The reason `record` could not be read, when the walk handed it on as unreadable.
[[nodiscard]] std::optional<std::string> unreadableReason(const Record& record);

/// Called per record with the position a caller may checkpoint after handling it; return
/// false to stop the walk.
using KeysetCallback = std::function<bool(const Record& record, const KeysetCursor& position)>;

struct KeysetWalkResult {
    std::size_t records = 0;
    std::size_t requests = 0;
    /// Records handed on as unreadable (kUnreadableKey).
    std::size_t unreadable = 0;
    /// Where a later walk resumes; equal to the start when nothing was found.
    KeysetCursor end;
    /// The callback returned false.
    bool stopped = false;
};

/// Walks `path` (e.g. "container") in ascending order of the timestamp `field`, from `start`,
/// with `base` (filters only; its sort is replaced) and `base.pageSize()` records per request:
///
/// 1. Always page 0 of `_filter_<field>__gt="<T>"&sort=<field>&order=asc` (at the beginning:
///    `_filter_<field>__isnull=False`), so records created behind the walk cannot shift pages.
/// 2. A full page may end inside a group of equal timestamps T that goes on past the page
///    (`--coarse-time`, bulk imports). The group is then drained by id keyset:
///    `_filter_<field>="T"&_filter_id__gt=<id>&sort=id`, page 0 each time; the records of T
///    already seen on the page are skipped, since SOAR does not order ties by id.
/// 3. Then on with `__gt="T"`.
///
/// Records whose `field` is null never match `__gt` nor `isnull=False`, so a walk never sees
/// them: a never-edited container with `container_update_time: null` is found by the
/// `create_time` walk, which the engine runs as a separate stream (design.md §5). A record
/// returned with a null or out-of-order `field` is a ProtocolError (the server ignored the
/// filter or the sort), as is exceeding `limits.max_requests`.
///
/// Positions handed to the callback: {T, id} while draining by id; {T, 0} for records met
/// in timestamp order (resuming there re-reads T's group, which the content hash makes
/// free). The result's `end` is after() the last group when the walk ran to the end.
///
/// Poison is isolated: a page the client cannot read (UnreadablePage: nesting too deep,
/// invalid UTF-8, an unpaired surrogate escape, over the size cap) is asked for again at half
/// the page size, down to one record. That record is handed to the callback as a record of
/// its id, `field`, `container` (where it could be read) and kUnreadableKey with the reason,
/// so the caller can dead-letter it and the walk goes on after it at full page size. A record
/// without a usable id (none, `1e300`, `"12abc"`, 0 or less; readable or not) is stepped past
/// in its group's id order by offset (page N at one per page) and handed on with kUnreadableKey
/// ("id out of range ('12abc')") and a key of its own below 0 as its id. A record whose `field`
/// is there but is no time ("yesterday", a number, an unreadable record's) is handed on in its
/// place in the server's order ("create_time out of range ('yesterday')"), by its id or such a
/// key, and the walk reads on behind it by offset; each such record is handed on once per walk.
/// A null or missing `field` in a record read whole is a ProtocolError (the server ignored the
/// filter).
/// `on_count`, when set, is told the `count` of the walk's first page: how many records the
/// walk expects to read (for progress; the source may change while the walk goes on).
/// `on_answer`, when set, is told of each page read, before its records are handed on.
KeysetWalkResult keysetWalk(SoarApi& api, const std::string& path, const std::string& field,
                            const Query& base, const KeysetCursor& start,
                            const KeysetCallback& callback, const PagingLimits& limits = {},
                            const std::function<void(std::int64_t)>& on_count = {},
                            const std::function<void(const Page&)>& on_answer = {});

}  // namespace soar::sync
