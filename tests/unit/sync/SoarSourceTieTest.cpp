/// A tie larger than a page reaches the target whole (design.md §5, "Nothing missed"): draining
/// a group of equal timestamps is the REST adapter's job (keysetWalk by id), so this test runs
/// the engine on SoarSource over an in-process SoarApi that answers SOAR's list filters, and
/// on FakeTarget and InMemoryStore. No sockets.

#include "EngineFixture.h"
#include "soar/client/Paging.h"
#include "soar/client/SoarApi.h"
#include "soar/sync/SoarAdapter.h"
#include "soar/sync/TargetSync.h"
#include "support/ListOnlyApi.h"

#include <Poco/JSON/Object.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using soar::state::Stream;
using soar::sync::KeysetCursor;
using soar::sync::Page;
using soar::sync::PassOutcome;
using soar::sync::Query;
using soar::sync::Record;
using soar::test::EngineFixture;
using soar::test::sourceTime;

/// A source instance's `container` collection that understands the filters a keyset walk and
/// SoarSource send (`__gt`, exact, `__isnull`, `id__gt`) and sorts by any field. Ties are
/// answered in *descending* id order on purpose: SOAR orders equal sort keys in no particular
/// way, and the walk must not depend on one. Every other call throws, so the test notices
/// one it did not expect.
class ContainerListApi final : public soar::test::ListOnlyApi {
public:
    void add(std::int64_t id, const std::string& create_time) {
        Poco::JSON::Object::Ptr record = new Poco::JSON::Object;
        record->set("id", id);
        record->set("name", "container " + std::to_string(id));
        record->set("label", "events");
        record->set("severity", "medium");
        record->set("status", "new");
        record->set("create_time", create_time);
        record->set("container_update_time", Poco::Dynamic::Var());
        record->set("artifact_update_time", Poco::Dynamic::Var());
        record->set("artifact_count", 0);
        std::lock_guard<std::mutex> lock(mutex_);
        rows_.push_back(record);
    }

    [[nodiscard]] std::size_t largestPage() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return largest_page_;
    }

    Page listPage(const std::string& path, const Query& query, std::size_t page) override {
        if (path != "container") throw std::logic_error("unexpected list of " + path);
        std::lock_guard<std::mutex> lock(mutex_);
        std::vector<Record> hits;
        for (const auto& row : rows_) {
            if (matches(*row, query)) hits.push_back(row);
        }
        const auto field = query.sortField();
        const bool desc = query.sortOrder() == soar::sync::SortOrder::Desc;
        std::sort(hits.begin(), hits.end(), [&](const Record& a, const Record& b) {
            const auto ka = key(*a, field);
            const auto kb = key(*b, field);
            if (ka != kb) return desc ? kb < ka : ka < kb;
            return idOf(*a) > idOf(*b);  // ties: no useful order
        });
        Page result;
        const std::size_t size = query.pageSize();
        result.count = static_cast<std::int64_t>(hits.size());
        result.num_pages = static_cast<std::int64_t>((hits.size() + size - 1) / size);
        for (std::size_t i = page * size; i < hits.size() && i < (page + 1) * size; ++i) {
            // A copy: records are the caller's once returned.
            Poco::JSON::Object::Ptr copy = new Poco::JSON::Object(*hits[i]);
            result.records.push_back(copy);
        }
        result.past_end = result.records.empty() && page > 0;
        largest_page_ = std::max(largest_page_, result.records.size());
        return result;
    }

private:
    static std::int64_t idOf(const Poco::JSON::Object& row) {
        return row.getValue<std::int64_t>("id");
    }
    /// The value sorted and compared by: ids as numbers (zero-padded), times as their text
    /// (they all have one format here), null as nothing.
    static std::optional<std::string> key(const Poco::JSON::Object& row, const std::string& field) {
        if (field == "id") {
            char text[24];
            std::snprintf(text, sizeof text, "%020lld", static_cast<long long>(idOf(row)));
            return std::string(text);
        }
        if (!row.has(field) || row.isNull(field)) return std::nullopt;
        return row.get(field).toString();
    }
    static std::string unquote(const std::string& literal) {
        return literal.size() >= 2 && literal.front() == '"' ? literal.substr(1, literal.size() - 2)
                                                             : literal;
    }

    static bool matches(const Poco::JSON::Object& row, const Query& query) {
        for (const auto& [name, literal] : query.filters()) {
            const std::string prefix = "_filter_";
            if (name.compare(0, prefix.size(), prefix) != 0) {
                throw std::logic_error("unexpected filter " + name);
            }
            auto field = name.substr(prefix.size());
            std::string lookup;
            if (const auto at = field.find("__"); at != std::string::npos) {
                lookup = field.substr(at + 2);
                field = field.substr(0, at);
            }
            if (field == "id") {
                if (lookup != "gt") throw std::logic_error("unexpected filter " + name);
                if (!(idOf(row) > std::stoll(literal))) return false;
                continue;
            }
            const auto value = key(row, field);
            if (lookup == "isnull") {
                if ((literal == "True") != !value) return false;
            } else if (lookup == "gt") {
                if (!value || !(*value > unquote(literal))) return false;
            } else if (lookup.empty()) {
                if (!value || *value != unquote(literal)) return false;
            } else {
                throw std::logic_error("unexpected filter " + name);
            }
        }
        return true;
    }

    mutable std::mutex mutex_;
    std::vector<Record> rows_;
    std::size_t largest_page_ = 0;
};

}  // namespace

TEST_CASE("Engine: a tie of 25 containers with a page of 10 reaches the target whole",
          "[engine][unit]") {
    EngineFixture f;
    f.route.page_size = 10;
    f.route.artifacts = false;
    ContainerListApi api;
    const auto tie = sourceTime(5);
    for (std::int64_t id = 1; id <= 25; ++id) api.add(id, tie);
    soar::sync::SoarSource source(api, f.route);

    soar::sync::TargetSync engine(f.route, f.options, source, f.target, f.store);
    const auto result = engine.runPass();
    CHECK(result.outcome == PassOutcome::Ok);
    CHECK(result.counts.containers_created == 25);
    CHECK(api.largestPage() <= 10);
    CHECK(f.target.containerCount() == 25);
    for (std::int64_t id = 1; id <= 25; ++id) {
        INFO("source container " << id);
        CHECK(f.target.containerBySdi(f.sdi(id)));
        CHECK(f.store.containerMapping(f.key, id));
    }
    const auto cursor = f.cursor(Stream::ContainersCreated);
    REQUIRE(cursor);
    CHECK(cursor->timestamp == tie);
    CHECK(cursor->last_id == KeysetCursor::kWholeGroup);

    // The next pass finds nothing new and writes nothing.
    f.target.resetCounts();
    CHECK(engine.runPass().outcome == PassOutcome::Ok);
    CHECK(f.target.writes() == 0);
    CHECK(f.target.containerCount() == 25);
}
