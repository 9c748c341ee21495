#include "soar/client/Paging.h"

#include "soar/client/Errors.h"
#include "soar/client/Timestamp.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>

#include <algorithm>
#include <optional>
#include <set>
#include <stdexcept>
#include <vector>

namespace soar::sync {
namespace {

/// Whether a page 0 leaves matches behind. `count` (all matches) decides when the server sent
/// it, so a server that caps page_size below what was asked cannot end a walk early.
bool hasMore(const Page& page, std::size_t page_size) {
    if (page.count > 0) return page.count > static_cast<std::int64_t>(page.records.size());
    return page.records.size() >= page_size;
}

/// The state of one keyset walk; one object per keysetWalk() call.
class Walk {
public:
    Walk(SoarApi& api, const std::string& path, const std::string& field, const Query& base,
         const KeysetCallback& callback, const PagingLimits& limits,
         const std::function<void(const Page&)>& on_answer)
        : api_(api),
          path_(path),
          field_(field),
          base_(base),
          callback_(callback),
          limits_(limits),
          on_answer_(on_answer),
          page_size_(base.pageSize()),
          size_(page_size_),
          last_size_(page_size_) {}

    KeysetWalkResult run(const KeysetCursor& start,
                         const std::function<void(std::int64_t)>& on_count) {
        result_.end = start;
        KeysetCursor position = start;
        if (!start.timestamp.empty()) {
            (void)parseTimestamp(start.timestamp, "the start cursor", 0);
        }
        // Resuming inside a group: finish it before moving past it.
        if (!start.timestamp.empty() && start.last_id != KeysetCursor::kWholeGroup) {
            if (!drain(start.timestamp, start.last_id, {}, position)) return result_;
            position = KeysetCursor::after(start.timestamp);
        }
        // Records without a usable time met right after `position`: the next request starts
        // behind them (they cannot be stepped past by a filter on their time).
        std::size_t skip = 0;
        while (true) {
            Query query = base_;
            if (position.timestamp.empty()) {
                query.isNull(field_, false);
            } else {
                query.gt(field_, position.timestamp);
            }
            query.sort(field_, SortOrder::Asc);
            const Page page = skip == 0 ? request(query) : recordAt(query, skip);
            if (on_count && result_.requests == 1) on_count(std::max<std::int64_t>(page.count, 0));
            if (page.records.empty()) break;

            std::optional<Timestamp> group;
            std::string group_text;
            std::vector<std::int64_t> group_ids;
            const auto floor = position.timestamp.empty()
                                   ? std::optional<Timestamp>()
                                   : parseTimestamp(position.timestamp, "the cursor", 0);
            bool stepped = false;
            for (const auto& record : page.records) {
                const auto usable = usableId(record);
                const std::int64_t id = usable.value_or(0);
                const auto time = fieldOf(record, id);
                if (!time) {
                    // In its place by the server's order; the records after it are not.
                    ++skip;
                    if (!yield(withoutTime(record), position)) return result_;
                    continue;
                }
                skip = 0;
                const auto& [text, at] = *time;
                if ((floor && at <= *floor) || (group && at < *group)) {
                    throw ProtocolError("keyset walk over " + path_ + "." + field_ + ": record " +
                                        std::to_string(id) + " (" + text +
                                        ") is out of order; the server ignored the filter or sort");
                }
                if (!group || at != *group) {
                    group = at;
                    group_text = text;
                    group_ids.clear();
                }
                if (!usable) {
                    // No id to order it by: its group is read by id, where it can be stepped
                    // past by offset, and the walk goes on after the group.
                    std::sort(group_ids.begin(), group_ids.end());
                    if (!drain(text, 0, group_ids, position)) return result_;
                    position = KeysetCursor::after(text);
                    skip = 0;
                    stepped = true;
                    break;
                }
                group_ids.push_back(id);
                position = {text, 0};
                if (!yield(record, position)) return result_;
            }
            if (stepped) continue;
            if (!hasMore(page, last_size_)) {
                if (!group_text.empty()) position = KeysetCursor::after(group_text);
                break;
            }
            if (group_text.empty()) continue;  // only records without a usable time
            // A full page: the last group may go on past it.
            std::sort(group_ids.begin(), group_ids.end());
            if (!drain(group_text, 0, group_ids, position)) return result_;
            position = KeysetCursor::after(group_text);
            skip = 0;  // records without a time after it come first again (handed on once)
        }
        result_.end = position;
        return result_;
    }

private:
    Timestamp parseTimestamp(const std::string& text, const char* what, std::int64_t id) const {
        const auto parsed = Timestamp::parse(text);
        if (!parsed) {
            throw ProtocolError("keyset walk over " + path_ + "." + field_ + ": " + what +
                                (id != 0 ? " " + std::to_string(id) : std::string()) +
                                " is not a timestamp: '" + text.substr(0, 64) + "'");
        }
        return *parsed;
    }

    /// The id of `record` when it is one SOAR gives: a whole number above 0.
    static std::optional<std::int64_t> usableId(const Record& record) {
        const auto id = record && record->has("id") ? parseId(record->get("id")) : std::nullopt;
        if (!id || *id <= 0) return std::nullopt;
        return id;
    }

    /// Copies the container id a record names, where it names a usable one.
    static void copyContainer(const Poco::JSON::Object& from, Poco::JSON::Object& to) {
        if (!from.has("container")) return;
        if (const auto of = parseId(from.get("container"))) to.set("container", *of);
    }

    /// What the walk hands on for a record without a usable id (as read, or as
    /// unreadableRecord() made it): kUnreadableKey with the reason, and as its id a key of its
    /// own, below 0 so that it never meets a real id, made from the id's text and `text` (its
    /// `field_`), so that reading it again gives the same key.
    Record withoutId(const Record& record, const std::string& text) const {
        const bool has_id = record->has("id") && !record->isNull("id");
        const std::string id_text = has_id ? record->get("id").toString() : std::string();
        std::string reason = unreadableReason(record).value_or("");
        if (!reason.empty()) reason += "; ";
        reason += has_id ? "id out of range ('" + id_text.substr(0, 32) + "')" : "no id";
        std::uint64_t hash = 1469598103934665603ULL;  // FNV-1a
        for (const char c : id_text + '\n' + text) {
            hash = (hash ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
        }
        Record out = new Poco::JSON::Object;
        out->set("id", -1 - static_cast<std::int64_t>(hash >> 2));
        out->set(field_, text);
        copyContainer(*record, *out);
        out->set(kUnreadableKey, reason);
        return out;
    }

    /// The record's `field_` and its time; nullopt when it is there but is no time (a number,
    /// "yesterday", a year 99999), or when the record could not be read. A null or missing
    /// `field_` in a record that was read means the server ignored the filter: ProtocolError.
    std::optional<std::pair<std::string, Timestamp>> fieldOf(const Record& record,
                                                             std::int64_t id) const {
        const auto value = record->has(field_) ? record->get(field_) : Poco::Dynamic::Var();
        if (value.isEmpty()) {
            if (record->has(kUnreadableKey)) return std::nullopt;
            throw ProtocolError("keyset walk over " + path_ + "." + field_ + ": record " +
                                std::to_string(id) + " has no " + field_ +
                                " although the filter excludes nulls");
        }
        if (!value.isString()) return std::nullopt;
        auto text = value.extract<std::string>();
        const auto at = Timestamp::parse(text);
        if (!at) return std::nullopt;
        return std::make_pair(std::move(text), *at);
    }

    /// What the walk hands on for a record whose `field_` is no time: kUnreadableKey with the
    /// reason, and its id, or a key made as withoutId() makes one.
    Record withoutTime(const Record& record) const {
        const auto value = record->has(field_) ? record->get(field_) : Poco::Dynamic::Var();
        const std::string shown = value.isEmpty() ? std::string() : value.toString();
        const std::string time_reason =
            value.isEmpty() ? std::string()
                            : field_ + " out of range ('" + shown.substr(0, 40) + "')";
        const auto join = [](std::string a, const std::string& b) {
            return a.empty() ? b : b.empty() ? a : a + "; " + b;
        };
        if (const auto id = usableId(record)) {
            Record out = new Poco::JSON::Object;
            out->set("id", *id);
            copyContainer(*record, *out);
            out->set(kUnreadableKey, join(unreadableReason(record).value_or(""), time_reason));
            return out;
        }
        Record out = withoutId(record, shown);
        out->remove(field_);
        out->set(kUnreadableKey, join(unreadableReason(out).value_or(""), time_reason));
        return out;
    }

    /// Page 0 of `query`. A page that cannot be read is read again at half the size, down
    /// to one record, which comes back as an unreadable record (see unreadableRecord()); the
    /// pages after it are read at full size again.
    Page request(Query query) {
        while (true) {
            checkRequests();
            query.pageSize(size_);
            last_size_ = size_;
            try {
                return answered(api_.listPage(path_, query, 0));
            } catch (const UnreadablePage& e) {
                if (size_ > 1) {
                    size_ /= 2;
                    continue;
                }
                size_ = page_size_;
                return answered(unreadableRecord(e));
            }
        }
    }

    /// Counts a request against limits_.max_requests.
    void checkRequests() {
        if (result_.requests >= limits_.max_requests) {
            throw ProtocolError("keyset walk over " + path_ + "." + field_ + " did not end after " +
                                std::to_string(limits_.max_requests) + " requests");
        }
        ++result_.requests;
    }

    /// The one record at `offset` of `query`'s matches (page `offset` at one per page), as
    /// request() reads it: the way past records without a usable id, which an id filter cannot
    /// step over.
    Page recordAt(Query query, std::size_t offset) {
        checkRequests();
        query.pageSize(1);
        last_size_ = 1;
        try {
            return answered(api_.listPage(path_, query, offset));
        } catch (const UnreadablePage& e) {
            return answered(unreadableRecord(e));
        }
    }

    Page answered(Page page) const {
        if (on_answer_) on_answer_(page);
        return page;
    }

    /// A page of the one record a page of one could not read: its id, its `field_` and its
    /// container as far as they could be read, and kUnreadableKey with the reason. Without a
    /// usable `field_` the walk cannot step past it: a ProtocolError that says so.
    Page unreadableRecord(const UnreadablePage& e) {
        const auto& first = e.first();
        const auto text = [&](const std::string& key) {
            const auto it = first.find(key);
            return it == first.end() ? std::optional<std::string>() : it->second;
        };
        const auto id_text = text("id");
        const auto at = text(field_);
        Record record = new Poco::JSON::Object;
        if (id_text) {
            const auto id = parseId(Poco::Dynamic::Var(*id_text));
            record->set("id", id ? Poco::Dynamic::Var(*id) : Poco::Dynamic::Var(*id_text));
        }
        if (at) record->set(field_, *at);
        if (const auto container = text("container")) {
            if (const auto of = parseId(Poco::Dynamic::Var(*container))) {
                record->set("container", *of);
            }
        }
        record->set(kUnreadableKey, e.reason());
        Page page;
        page.records.push_back(std::move(record));
        return page;
    }

    bool yield(const Record& record, const KeysetCursor& position) {
        if (record->has(kUnreadableKey)) {
            // A record without a usable time may be met again in a group's drain: once is
            // enough (its key is the same each time).
            const auto key = parseId(record->get("id")).value_or(0);
            if (!unreadable_.insert(key).second) return true;
            ++result_.unreadable;
        }
        ++result_.records;
        result_.end = position;
        if (callback_(record, position)) return true;
        result_.stopped = true;
        return false;
    }

    /// Reads the group `text` by ascending id after `after_id`, skipping `seen` (sorted).
    /// False when the callback stopped the walk.
    bool drain(const std::string& text, std::int64_t after_id,
               const std::vector<std::int64_t>& seen, KeysetCursor& position) {
        const Timestamp at = parseTimestamp(text, "the group", 0);
        std::int64_t last = after_id;
        // Records after `last` without a usable id, met since `last` was read: the next
        // request starts behind them.
        std::size_t skip = 0;
        while (true) {
            Query query = base_;
            query.exact(field_, text).gt("id", last).sort("id", SortOrder::Asc);
            const Page page = skip == 0 ? request(query) : recordAt(query, skip);
            for (const auto& record : page.records) {
                const auto usable = usableId(record);
                const std::int64_t id = usable.value_or(0);
                const auto value = fieldOf(record, id);
                if ((value && value->second != at) || (usable && id <= last)) {
                    throw ProtocolError("keyset walk over " + path_ + "." + field_ + ": draining " +
                                        text + " returned record " + std::to_string(id) + " (" +
                                        (value ? value->first : std::string("?")) +
                                        ") out of the group or out of id order");
                }
                if (!usable) {
                    ++skip;
                    position = {text, last};
                    if (!yield(value ? withoutId(record, text) : withoutTime(record), position)) {
                        return false;
                    }
                    continue;
                }
                if (!value) {  // the filter says its time is `text`; it reads otherwise
                    last = id;
                    skip = 0;
                    position = {text, id};
                    if (!yield(withoutTime(record), position)) return false;
                    continue;
                }
                last = id;
                skip = 0;
                if (std::binary_search(seen.begin(), seen.end(), id)) continue;
                position = {text, id};
                if (!yield(record, position)) return false;
            }
            if (page.records.empty() || !hasMore(page, last_size_)) return true;
        }
    }

    SoarApi& api_;
    const std::string& path_;
    const std::string& field_;
    const Query& base_;
    const KeysetCallback& callback_;
    const PagingLimits& limits_;
    const std::function<void(const Page&)>& on_answer_;
    std::size_t page_size_;
    /// The size of the next request, and of the last one (halved while isolating a record
    /// that cannot be read).
    std::size_t size_;
    std::size_t last_size_;
    KeysetWalkResult result_;
    /// Keys of the records handed on as unreadable.
    std::set<std::int64_t> unreadable_;
};

}  // namespace

std::optional<std::string> unreadableReason(const Record& record) {
    if (!record || !record->has(kUnreadableKey)) return std::nullopt;
    // The walk writes a text there. A source record that carries the key itself is handed on
    // as unreadable too, whatever its value (null, an object) holds.
    const auto value = record->get(kUnreadableKey);
    if (value.isString()) return value.extract<std::string>();
    try {
        if (!value.isEmpty()) return value.toString();
    } catch (const Poco::Exception&) {
        // no text form: named below
    }
    return std::string("the record carries the field ") + kUnreadableKey;
}

std::size_t forEachPage(SoarApi& api, const std::string& path, const Query& query,
                        const PageCallback& callback, const PagingLimits& limits) {
    std::size_t requests = 0;
    // Where the next page starts, and its size: a page that cannot be read is read again at
    // half the size from the same record (page 2n at half the size starts where page n did),
    // down to one record, whose error is the caller's; the size grows back where it can.
    const std::size_t full = query.pageSize();
    std::size_t size = full;
    std::size_t offset = 0;
    Query sized = query;
    while (true) {
        if (requests >= limits.max_requests) {
            throw ProtocolError("paging " + path + " did not end after " +
                                std::to_string(limits.max_requests) + " requests");
        }
        ++requests;
        const std::size_t number = size == 0 ? 0 : offset / size;
        Page page;
        try {
            page = api.listPage(path, sized.pageSize(size), number);
        } catch (const UnreadablePage&) {
            if (size <= 1) throw;
            size /= 2;
            continue;
        }
        if (page.past_end || page.records.empty()) break;
        if (!callback(page)) break;
        // num_pages decides when the server sent it (it may cap page_size below the request).
        const bool last = page.num_pages > 0
                              ? static_cast<std::int64_t>(number) + 1 >= page.num_pages
                              : size == 0 || page.records.size() < size;
        if (last) break;
        offset += page.records.size();
        while (size < full && offset % (size * 2) == 0) size *= 2;
        if (size != 0 && offset % size != 0) {
            // The server answered fewer records than asked (a cap of its own): go on in
            // pages of what it answers.
            size = page.records.size();
        }
    }
    return requests;
}

KeysetWalkResult keysetWalk(SoarApi& api, const std::string& path, const std::string& field,
                            const Query& base, const KeysetCursor& start,
                            const KeysetCallback& callback, const PagingLimits& limits,
                            const std::function<void(std::int64_t)>& on_count,
                            const std::function<void(const Page&)>& on_answer) {
    if (base.pageSize() == 0) {
        throw std::invalid_argument("keyset walk over " + path + ": page size must not be 0");
    }
    Walk walk(api, path, field, base, callback, limits, on_answer);
    return walk.run(start, on_count);
}

}  // namespace soar::sync
