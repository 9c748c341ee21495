#include "soar/client/Errors.h"
#include "soar/client/Paging.h"
#include "support/ListOnlyApi.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <numeric>
#include <optional>
#include <set>
#include <stdexcept>

using soar::sync::KeysetCursor;
using soar::sync::Page;
using soar::sync::Query;
using soar::sync::Record;

namespace {

/// A list endpoint over (id, timestamp) rows that understands the filters the walk sends.
/// Ties are answered in *descending* id order on purpose: SOAR promises no order among equal
/// sort keys, and the walk must not depend on one.
class FakeListApi : public soar::test::ListOnlyApi {
public:
    struct Row {
        std::int64_t id;
        std::optional<std::string> ts;
    };

    std::vector<Row> rows;
    std::size_t requests = 0;
    std::size_t max_page_records = 0;
    /// When set, answers at most this many records per page whatever was asked (a server
    /// with a maximum page size).
    std::size_t cap = 0;
    /// Rows the client cannot read: a page holding one is an UnreadablePage (as parsePage
    /// throws for a record nested too deep), which names the page's first record; the id it
    /// gives for a row of `bad_ids` is the text there.
    std::set<std::int64_t> poison;
    std::map<std::int64_t, std::string> bad_ids;
    /// Rows answered with this as their id (a server that renders its ids wrongly); the
    /// filters still see the row's own id.
    std::map<std::int64_t, Poco::Dynamic::Var> shown_ids;
    /// Rows answered with this as their time (the filters still see the row's own time), and
    /// rows whose time cannot be read from an unreadable page either.
    std::map<std::int64_t, Poco::Dynamic::Var> shown_times;
    std::set<std::int64_t> hidden_times;
    /// When set, a page of more records than this cannot be read (an answer over
    /// max_record_size).
    std::size_t readable_page = 0;

    Page listPage(const std::string&, const Query& query, std::size_t page) override {
        ++requests;
        std::vector<Row> hits;
        for (const auto& row : rows) {
            if (matches(row, query)) hits.push_back(row);
        }
        const bool by_id = query.sortField() == "id";
        std::sort(hits.begin(), hits.end(), [by_id](const Row& a, const Row& b) {
            if (by_id) return a.id < b.id;
            if (a.ts != b.ts) {
                if (!a.ts) return false;
                if (!b.ts) return true;
                return *a.ts < *b.ts;
            }
            return a.id > b.id;
        });
        Page result;
        const std::size_t size = cap > 0 ? std::min(cap, query.pageSize()) : query.pageSize();
        result.count = static_cast<std::int64_t>(hits.size());
        result.num_pages = static_cast<std::int64_t>((hits.size() + size - 1) / size);
        std::vector<std::int64_t> answered;
        for (std::size_t i = page * size; i < hits.size() && i < (page + 1) * size; ++i) {
            Poco::JSON::Object::Ptr record = new Poco::JSON::Object;
            const auto shown = shown_ids.find(hits[i].id);
            record->set("id",
                        shown == shown_ids.end() ? Poco::Dynamic::Var(hits[i].id) : shown->second);
            answered.push_back(hits[i].id);
            if (const auto time = shown_times.find(hits[i].id); time != shown_times.end()) {
                record->set("t", time->second);
            } else if (hits[i].ts) {
                record->set("t", *hits[i].ts);
            } else {
                record->set("t", Poco::Dynamic::Var());
            }
            result.records.push_back(record);
        }
        max_page_records = std::max(max_page_records, result.records.size());
        if (readable_page > 0 && result.records.size() > readable_page) {
            throw soar::sync::UnreadablePage("[instance.hq] GET /rest/container: too large",
                                             "larger than max_record_size (16 MiB)", 200);
        }
        for (const auto id : answered) {
            if (poison.count(id) == 0) continue;
            const auto& first = result.records.front();
            const auto first_id = answered.front();
            std::map<std::string, std::string> fields;
            if (hidden_times.count(first_id) == 0) fields["t"] = first->get("t").toString();
            fields["id"] = bad_ids.count(first_id) ? bad_ids[first_id] : std::to_string(first_id);
            throw soar::sync::UnreadablePage("[instance.hq] GET /rest/container: cannot be read",
                                             "nesting deeper than 128 levels at byte 99", 200,
                                             fields);
        }
        return result;
    }

private:
    static std::string unquote(const std::string& literal) {
        return literal.size() >= 2 && literal.front() == '"' ? literal.substr(1, literal.size() - 2)
                                                             : literal;
    }

    static bool matches(const Row& row, const Query& query) {
        for (const auto& [name, literal] : query.filters()) {
            if (name == "_filter_t__gt") {
                if (!row.ts || !(*row.ts > unquote(literal))) return false;
            } else if (name == "_filter_t") {
                if (!row.ts || *row.ts != unquote(literal)) return false;
            } else if (name == "_filter_t__isnull") {
                if ((literal == "True") != !row.ts) return false;
            } else if (name == "_filter_id__gt") {
                if (!(row.id > std::stoll(literal))) return false;
            } else {
                throw std::logic_error("unexpected filter " + name);
            }
        }
        return true;
    }
};

std::string ts(int second) {
    char text[40];
    std::snprintf(text, sizeof text, "2024-05-01T00:%02d:%02d.000000Z", second / 60, second % 60);
    return text;
}

struct Seen {
    std::vector<std::int64_t> ids;
    std::vector<KeysetCursor> positions;
};

soar::sync::KeysetWalkResult walk(FakeListApi& api, std::size_t page_size,
                                  const KeysetCursor& start, Seen& seen,
                                  std::size_t stop_after = 0) {
    return soar::sync::keysetWalk(api, "container", "t", Query().pageSize(page_size), start,
                                  [&](const Record& record, const KeysetCursor& position) {
                                      seen.ids.push_back(record->getValue<std::int64_t>("id"));
                                      seen.positions.push_back(position);
                                      return stop_after == 0 || seen.ids.size() < stop_after;
                                  });
}

}  // namespace

TEST_CASE("Keyset walk drains a tie larger than the page without a miss or a repeat",
          "[client][paging]") {
    FakeListApi api;
    std::int64_t id = 0;
    for (int i = 0; i < 3; ++i) api.rows.push_back({++id, ts(1)});
    for (int i = 0; i < 23; ++i) api.rows.push_back({++id, ts(2)});  // the big tie
    for (int i = 0; i < 4; ++i) api.rows.push_back({++id, ts(3)});
    api.rows.push_back({++id, std::nullopt});  // never edited: not this stream's business
    Seen seen;
    const auto result = walk(api, 5, {}, seen);
    std::vector<std::int64_t> sorted = seen.ids;
    std::sort(sorted.begin(), sorted.end());
    CHECK(std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end());
    CHECK(sorted.size() == 30);
    CHECK(sorted.front() == 1);
    CHECK(sorted.back() == 30);
    CHECK(result.records == 30);
    CHECK_FALSE(result.stopped);
    CHECK(result.end == KeysetCursor::after(ts(3)));
    CHECK(api.max_page_records <= 5);
    // Timestamps never go backwards along the walk.
    for (std::size_t i = 1; i < seen.positions.size(); ++i) {
        CHECK(seen.positions[i - 1].timestamp <= seen.positions[i].timestamp);
    }
}

TEST_CASE("Keyset walk and paging survive a server that caps the page size", "[client][paging]") {
    FakeListApi api;
    api.cap = 3;
    std::int64_t id = 0;
    for (int i = 0; i < 8; ++i) api.rows.push_back({++id, ts(1)});
    for (int i = 0; i < 9; ++i) api.rows.push_back({++id, ts(i + 2)});
    Seen seen;
    (void)walk(api, 10, {}, seen);
    CHECK(std::set<std::int64_t>(seen.ids.begin(), seen.ids.end()).size() == 17);
    CHECK(seen.ids.size() == 17);
    std::size_t records = 0;
    (void)soar::sync::forEachPage(api, "container", Query().pageSize(10).sort("id"),
                                  [&](const Page& page) {
                                      records += page.records.size();
                                      return true;
                                  });
    CHECK(records == 17);
}

TEST_CASE("Keyset walk from a cursor skips what is not newer", "[client][paging]") {
    FakeListApi api;
    for (std::int64_t id = 1; id <= 12; ++id) api.rows.push_back({id, ts(static_cast<int>(id))});
    Seen seen;
    const auto result = walk(api, 4, KeysetCursor::after(ts(8)), seen);
    CHECK(seen.ids == std::vector<std::int64_t>{9, 10, 11, 12});
    CHECK(result.end == KeysetCursor::after(ts(12)));

    Seen again;
    const auto idle = walk(api, 4, result.end, again);
    CHECK(again.ids.empty());
    CHECK(idle.requests == 1);  // an idle pass costs one request
    CHECK(idle.end == result.end);
}

TEST_CASE("Keyset walk resumed from any checkpoint misses nothing", "[client][paging]") {
    FakeListApi api;
    std::int64_t id = 0;
    for (int second = 1; second <= 4; ++second) {
        for (int i = 0; i < 7; ++i) api.rows.push_back({++id, ts(second)});
    }
    Seen full;
    (void)walk(api, 3, {}, full);
    REQUIRE(full.ids.size() == 28);
    for (std::size_t stop = 1; stop < full.ids.size(); ++stop) {
        Seen first;
        const auto partial = walk(api, 3, {}, first, stop);
        REQUIRE(partial.stopped);
        Seen rest;
        (void)walk(api, 3, partial.end, rest);
        std::set<std::int64_t> all(first.ids.begin(), first.ids.end());
        all.insert(rest.ids.begin(), rest.ids.end());
        INFO("stopped after " << stop);
        CHECK(all.size() == 28);
    }
}

TEST_CASE("Keyset walk refuses a server that ignores its filter", "[client][paging]") {
    /// Answers every query as if it had no filter at all.
    struct IgnoresFilters : FakeListApi {
        Page listPage(const std::string& path, const Query& query, std::size_t n) override {
            return FakeListApi::listPage(path, Query().pageSize(query.pageSize()), n);
        }
    };
    IgnoresFilters stale;
    stale.rows = {{1, ts(5)}};
    Seen seen;
    CHECK_THROWS_AS(walk(stale, 5, KeysetCursor::after(ts(5)), seen), soar::sync::ProtocolError);

    IgnoresFilters nulls;
    nulls.rows = {{1, ts(5)}, {2, std::nullopt}};
    Seen more;
    CHECK_THROWS_WITH(walk(nulls, 5, {}, more), Catch::Contains("record 2 has no t"));
}

TEST_CASE("Paging stops at the end, on empty data and on the cap", "[client][paging]") {
    FakeListApi api;
    for (std::int64_t id = 1; id <= 10; ++id) api.rows.push_back({id, ts(1)});
    std::size_t records = 0;
    const auto requests = soar::sync::forEachPage(api, "container", Query().pageSize(4).sort("id"),
                                                  [&](const Page& page) {
                                                      records += page.records.size();
                                                      return true;
                                                  });
    CHECK(records == 10);
    CHECK(requests == 3);

    soar::sync::PagingLimits limits;
    limits.max_requests = 2;
    CHECK_THROWS_AS(soar::sync::forEachPage(
                        api, "container", Query().pageSize(4).sort("id"),
                        [](const Page&) { return true; }, limits),
                    soar::sync::ProtocolError);
}

TEST_CASE("Keyset walk isolates a record it cannot read and goes on past it", "[client][paging]") {
    FakeListApi api;
    std::int64_t id = 0;
    for (int i = 0; i < 3; ++i) api.rows.push_back({++id, ts(1)});
    for (int i = 0; i < 23; ++i) api.rows.push_back({++id, ts(2)});  // a tie past the page
    for (int i = 0; i < 14; ++i) api.rows.push_back({++id, ts(3 + i)});
    api.poison = {2, 17, 33};  // one alone, one inside the tie, one among distinct times
    std::vector<std::int64_t> ids;
    std::map<std::int64_t, std::string> reasons;
    const auto result =
        soar::sync::keysetWalk(api, "container", "t", Query().pageSize(8), {},
                               [&](const Record& record, const KeysetCursor&) {
                                   const auto walked = record->getValue<std::int64_t>("id");
                                   ids.push_back(walked);
                                   if (const auto reason = soar::sync::unreadableReason(record))
                                       reasons[walked] = *reason;
                                   return true;
                               });
    std::sort(ids.begin(), ids.end());
    CHECK(std::adjacent_find(ids.begin(), ids.end()) == ids.end());
    CHECK(ids.size() == 40);
    CHECK(result.unreadable == 3);
    REQUIRE(reasons.size() == 3);
    CHECK(reasons.at(17) == "nesting deeper than 128 levels at byte 99");
    CHECK(reasons.count(2) == 1);
    CHECK(reasons.count(33) == 1);
    CHECK(result.end == KeysetCursor::after(ts(16)));
}

TEST_CASE("Keyset walk steps past records without a usable id and hands them on",
          "[client][paging]") {
    FakeListApi api;
    // 1..6 at distinct times, 7..12 one tie at 10, 13..15 at distinct times again.
    for (std::int64_t id = 1; id <= 6; ++id) api.rows.push_back({id, ts(static_cast<int>(id))});
    for (std::int64_t id = 7; id <= 12; ++id) api.rows.push_back({id, ts(10)});
    for (std::int64_t id = 13; id <= 15; ++id) api.rows.push_back({id, ts(static_cast<int>(id))});
    api.shown_ids[4] = 1e300;                     // readable, alone at its time
    api.shown_ids[8] = std::string("12abc");      // readable, inside the tie
    api.shown_ids[9] = -9;                        // right behind it
    api.poison = {14};                            // unreadable, and its id unusable too
    api.bad_ids[14] = "99999999999999999999999";  // (as it reads from the page alone)
    std::vector<std::int64_t> ids;
    std::map<std::int64_t, std::string> reasons;
    const auto walk_all = [&](std::size_t page_size) {
        ids.clear();
        reasons.clear();
        return soar::sync::keysetWalk(api, "container", "t", Query().pageSize(page_size), {},
                                      [&](const Record& record, const KeysetCursor&) {
                                          const auto id = record->getValue<std::int64_t>("id");
                                          ids.push_back(id);
                                          if (const auto why = soar::sync::unreadableReason(record))
                                              reasons[id] = *why;
                                          return true;
                                      });
    };
    for (const std::size_t page_size : {1U, 3U, 4U, 50U}) {
        CAPTURE(page_size);
        const auto result = walk_all(page_size);
        std::vector<std::int64_t> good;
        std::vector<std::string> why;
        for (const auto id : ids) (id > 0 ? good.push_back(id) : why.push_back(reasons.at(id)));
        std::sort(good.begin(), good.end());
        CHECK(good == std::vector<std::int64_t>{1, 2, 3, 5, 6, 7, 10, 11, 12, 13, 15});
        std::sort(why.begin(), why.end());
        CHECK(why ==
              std::vector<std::string>{"id out of range ('-9')", "id out of range ('12abc')",
                                       "id out of range ('1e+300')",
                                       "nesting deeper than 128 levels at byte 99; id out of range "
                                       "('99999999999999999999999')"});
        CHECK(result.unreadable == 4);
        CHECK(result.end == KeysetCursor::after(ts(15)));
        // The same record gets the same key each time it is read.
        const auto first = reasons;
        (void)walk_all(page_size);
        CHECK(reasons == first);
    }
}

TEST_CASE("Offset paging reads a page it cannot read again smaller, from the same record",
          "[client][paging]") {
    FakeListApi api;
    for (std::int64_t id = 1; id <= 21; ++id) api.rows.push_back({id, ts(static_cast<int>(id))});
    std::vector<std::int64_t> ids;
    const auto collect = [&](const Page& page) {
        for (const auto& record : page.records) ids.push_back(record->getValue<std::int64_t>("id"));
        return true;
    };
    SECTION("pages over the size cap: each record once, in order") {
        api.readable_page = 3;
        (void)soar::sync::forEachPage(api, "container", Query().sort("id").pageSize(8), collect);
        std::vector<std::int64_t> all(21);
        std::iota(all.begin(), all.end(), 1);
        CHECK(ids == all);
        CHECK(api.max_page_records == 8);  // the first ask was at full size
    }
    SECTION("one record that cannot be read even alone: its error, after those before it") {
        api.poison = {6};
        CHECK_THROWS_AS(
            soar::sync::forEachPage(api, "container", Query().sort("id").pageSize(4), collect),
            soar::sync::UnreadablePage);
        CHECK(ids == std::vector<std::int64_t>{1, 2, 3, 4, 5});
    }
}

TEST_CASE("Keyset walk steps past records whose time is no time and hands them on once",
          "[client][paging]") {
    FakeListApi api;
    for (std::int64_t id = 1; id <= 5; ++id) api.rows.push_back({id, ts(static_cast<int>(id))});
    for (std::int64_t id = 6; id <= 9; ++id) api.rows.push_back({id, ts(10)});
    for (std::int64_t id = 10; id <= 12; ++id)
        api.rows.push_back({id, ts(static_cast<int>(id + 1))});
    api.shown_times[3] = std::string("yesterday");
    api.shown_times[5] = std::string("9999-99-99T00:00:00Z");
    api.shown_times[7] = 12345;  // inside the tie
    api.poison = {11};
    api.hidden_times = {11};  // unreadable, and its time cannot be read alone either
    api.shown_ids[12] = std::string("x");
    api.shown_times[12] = std::string("?");  // the last record: neither id nor time
    for (const std::size_t page_size : {1U, 2U, 4U, 50U}) {
        CAPTURE(page_size);
        std::vector<std::int64_t> good;
        std::map<std::int64_t, std::string> bad;
        const auto result =
            soar::sync::keysetWalk(api, "container", "t", Query().pageSize(page_size), {},
                                   [&](const Record& record, const KeysetCursor&) {
                                       const auto id = record->getValue<std::int64_t>("id");
                                       if (const auto why = soar::sync::unreadableReason(record)) {
                                           CHECK(bad.emplace(id, *why).second);  // once
                                       } else {
                                           good.push_back(id);
                                       }
                                       return true;
                                   });
        std::sort(good.begin(), good.end());
        CHECK(good == std::vector<std::int64_t>{1, 2, 4, 6, 8, 9, 10});
        REQUIRE(bad.size() == 5);
        CHECK(bad.at(3) == "t out of range ('yesterday')");
        CHECK(bad.at(5) == "t out of range ('9999-99-99T00:00:00Z')");
        CHECK(bad.at(7) == "t out of range ('12345')");
        CHECK(bad.at(11) == "nesting deeper than 128 levels at byte 99");
        CHECK(bad.begin()->first < 0);
        CHECK(bad.begin()->second == "id out of range ('x'); t out of range ('?')");
        CHECK(result.unreadable == 5);
        CHECK(result.end == KeysetCursor::after(ts(11)));
    }
}

TEST_CASE("A source record that carries the walk's unreadable marker itself is named, not a crash",
          "[client][paging]") {
    Poco::JSON::Object::Ptr record = new Poco::JSON::Object;
    record->set("id", 1);
    CHECK_FALSE(soar::sync::unreadableReason(record));
    record->set(soar::sync::kUnreadableKey, std::string("nesting deeper than 128 levels"));
    CHECK(soar::sync::unreadableReason(record) == "nesting deeper than 128 levels");
    // Found by fuzz-page: a null there made the walk throw Poco's InvalidAccessException.
    record->set(soar::sync::kUnreadableKey, Poco::Dynamic::Var());
    CHECK(soar::sync::unreadableReason(record) ==
          std::string("the record carries the field ") + soar::sync::kUnreadableKey);
    record->set(soar::sync::kUnreadableKey, 7);
    CHECK(soar::sync::unreadableReason(record) == "7");
}
