#pragma once

/// What the SOAR adapters (SoarAdapter.cpp, SoarTarget.cpp, SoarMirrorSide.cpp) share: how SOAR
/// names a change stream, how its records become the engine's typed records, and the keyset walk
/// that hands them on a page at a time. Internal to sync/src.
///
/// Pure functions and a function template; thread safety is the SoarApi's.

#include "soar/client/Paging.h"
#include "soar/client/Query.h"
#include "soar/client/SoarApi.h"
#include "soar/state/Records.h"
#include "soar/sync/Source.h"

#include <algorithm>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace soar::sync {

/// What SOAR calls a stream: the collection walked and the timestamp field it is walked by.
struct StreamPath {
    const char* collection;
    const char* field;
};

/// The collection and time field of a stream.
[[nodiscard]] StreamPath pathOf(state::Stream stream);

/// A field as text; nullopt when missing or null.
[[nodiscard]] std::optional<std::string> optString(const Poco::JSON::Object& record,
                                                   const std::string& key);
/// A field as an id (a number, or a string of digits); nullopt otherwise.
[[nodiscard]] std::optional<std::int64_t> optId(const Poco::JSON::Object& record,
                                                const std::string& key);
/// A container record as the engine reads it (a record without a usable id is an
/// UnreadablePage).
[[nodiscard]] SourceContainer containerOfRecord(const Record& record);
/// An artifact, note, comment, file or task record as the engine reads it.
[[nodiscard]] SourceItem itemOfRecord(state::RecordKind kind, const Record& record);

/// Each note (`kind` Note) or comment of a container in id order: its id and its text.
void forEachNoteOf(SoarApi& api, state::RecordKind kind, std::int64_t container,
                   std::size_t page_size,
                   const std::function<void(std::int64_t id, const std::string& text)>& each);
/// A user's username (`ph_user`); nullopt when there is none.
[[nodiscard]] std::optional<std::string> userNameOf(SoarApi& api, std::int64_t id);
/// The id of the user with that username; nullopt when there is none.
[[nodiscard]] std::optional<std::int64_t> userIdOf(SoarApi& api, const std::string& username);
/// A workbook from `container/<id>/phases` (phases with their tasks nested), phases and
/// tasks in order. A phase or task without a numeric id is a ProtocolError.
[[nodiscard]] Workbook readWorkbook(SoarApi& api, std::int64_t container, std::size_t page_size);
/// Each note of a workbook task, in id order.
void forEachNoteOfTask(SoarApi& api, std::int64_t task, std::size_t page_size,
                       const std::function<void(const Record&)>& each);

/// A keyset walk handing `on_page` a page of typed entries at a time: up to `page_size`, and
/// never more than one answer of the source's (a page the client read again smaller, around
/// a record it could not read, is handed on as it was read, not gathered up to `page_size`:
/// the records around one too large to keep may be large too).
template <class Entry, class Convert>
WalkEnd walkPages(SoarApi& api, state::Stream stream, const Query& base, std::size_t page_size,
                  const KeysetCursor& start,
                  const std::function<bool(std::vector<StreamEntry<Entry>>&)>& on_page,
                  const CountCallback& on_count, const Convert& convert) {
    const auto path = pathOf(stream);
    std::vector<StreamEntry<Entry>> page;
    page.reserve(page_size);
    bool stopped = false;
    std::size_t share = 0;  // bytes per record of the answer being handed on
    const auto flush = [&] {
        if (!stopped && !page.empty()) stopped = !on_page(page);
        page.clear();
    };
    const auto result = keysetWalk(
        api, path.collection, path.field, base, start,
        [&](const Record& record, const KeysetCursor& position) {
            page.push_back({convert(record), position, share});
            if (page.size() >= page_size) flush();
            return !stopped;
        },
        {}, on_count,
        [&](const Page& answer) {
            flush();
            share = answer.bytes / std::max<std::size_t>(1, answer.records.size());
        });
    flush();
    return WalkEnd{result.end, result.stopped || stopped};
}

}  // namespace soar::sync
