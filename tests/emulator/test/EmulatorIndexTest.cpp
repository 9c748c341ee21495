// List pages read by the emulator's time indexes (src/OrderIndex.h) answer as a filter and sort
// of every record would: each query is checked against the same filter and sort done here,
// over the whole table as a `page_size=0` list returns it, after creates, edits, artifacts and
// deletes have moved records about in the indexes.

#include "soar/emulator/Emulator.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/URI.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

using soar::emulator::Emulator;
using soar::emulator::EmulatorOptions;

namespace {

const std::vector<std::string> kFields = {"create_time", "container_update_time",
                                          "artifact_update_time"};

struct Record {
    std::int64_t id = 0;
    std::string label;
    /// The time fields in kFields order; nullopt = null.
    std::vector<std::optional<std::string>> times;
};

Poco::JSON::Object::Ptr getObject(const Emulator& emu, const std::string& target) {
    const auto r = emu.direct("GET", target);
    INFO(target << " -> " << r.status << " " << r.body);
    REQUIRE(r.status == 200);
    return Poco::JSON::Parser().parse(r.body).extract<Poco::JSON::Object::Ptr>();
}

std::vector<Record> table(const Emulator& emu) {
    const auto data = getObject(emu, "/rest/container?page_size=0&sort=id")->getArray("data");
    std::vector<Record> out;
    for (std::size_t i = 0; i < data->size(); ++i) {
        const auto row = data->getObject(static_cast<unsigned>(i));
        Record r;
        r.id = row->getValue<std::int64_t>("id");
        r.label = row->getValue<std::string>("label");
        for (const auto& field : kFields) {
            r.times.push_back(row->isNull(field)
                                  ? std::nullopt
                                  : std::optional<std::string>(row->getValue<std::string>(field)));
        }
        out.push_back(std::move(r));
    }
    return out;
}

std::string quoted(const std::string& text) {
    std::string out;
    Poco::URI::encode("\"" + text + "\"", "!#$&'()*+,/:;=?@[]\" ", out);
    return out;
}

/// One query: a lookup on a time field (none when `lookup` is empty), optionally a label
/// filter and a lower id bound, sorted by `sort` ("id" or a time field).
struct Query {
    std::size_t field = 0;
    std::string lookup;
    std::string value;
    std::string sort = "id";
    bool descending = false;
    std::size_t page = 0;
    std::size_t page_size = 7;
    std::string label;
    std::int64_t id_above = 0;

    [[nodiscard]] std::string target() const {
        std::string t = "/rest/container?page=" + std::to_string(page) +
                        "&page_size=" + std::to_string(page_size) + "&sort=" + sort +
                        "&order=" + (descending ? "desc" : "asc");
        if (lookup == "isnull") {
            t += "&_filter_" + kFields[field] + "__isnull=" + value;
        } else if (!lookup.empty()) {
            t += "&_filter_" + kFields[field] + (lookup == "exact" ? "" : "__" + lookup) + "=" +
                 quoted(value);
        }
        if (!label.empty()) t += "&_filter_label=" + quoted(label);
        if (id_above != 0) t += "&_filter_id__gt=" + std::to_string(id_above);
        return t;
    }

    [[nodiscard]] bool matches(const Record& r) const {
        if (!label.empty() && r.label != label) return false;
        if (r.id <= id_above) return false;
        const auto& time = r.times[field];
        if (lookup.empty()) return true;
        if (lookup == "isnull") return !time.has_value() == (value == "True");
        if (!time) return false;
        const int c = time->compare(value);
        if (lookup == "gt") return c > 0;
        if (lookup == "gte") return c >= 0;
        if (lookup == "lt") return c < 0;
        if (lookup == "lte") return c <= 0;
        return c == 0;
    }
};

/// What the query should answer: (count, num_pages, the page's ids).
std::tuple<std::size_t, std::size_t, std::vector<std::int64_t>> expected(
    const std::vector<Record>& records, const Query& q) {
    std::vector<const Record*> hits;
    for (const auto& r : records) {
        if (q.matches(r)) hits.push_back(&r);
    }
    if (q.sort != "id") {
        const auto at = static_cast<std::size_t>(std::find(kFields.begin(), kFields.end(), q.sort) -
                                                 kFields.begin());
        // Nulls last; ties by id; the whole order reversed for desc.
        std::sort(hits.begin(), hits.end(), [at](const Record* a, const Record* b) {
            const auto& x = a->times[at];
            const auto& y = b->times[at];
            if (x.has_value() != y.has_value()) return x.has_value();
            if (x && *x != *y) return *x < *y;
            return a->id < b->id;
        });
    }
    if (q.descending) std::reverse(hits.begin(), hits.end());
    const std::size_t total = hits.size();
    const std::size_t size = q.page_size == 0 ? total : q.page_size;
    const std::size_t pages = size == 0 ? 0 : (total + size - 1) / size;
    std::vector<std::int64_t> ids;
    for (std::size_t i = q.page * size; i < total && i < (q.page + 1) * size; ++i) {
        ids.push_back(hits[i]->id);
    }
    return {total, pages, ids};
}

void checkQueries(const Emulator& emu) {
    const auto records = table(emu);
    REQUIRE(records.size() > 100);
    std::vector<Query> queries;
    for (std::size_t field = 0; field < kFields.size(); ++field) {
        // Values that exist (at a quarter, half and near the end of the id order) and one
        // between any two.
        std::vector<std::string> values;
        for (const std::size_t at : {records.size() / 4, records.size() / 2, records.size() - 3}) {
            if (const auto& t = records[at].times[field]) values.push_back(*t);
        }
        values.push_back("2024-01-01T00:10:00.5Z");
        for (const auto& value : values) {
            for (const char* lookup : {"gt", "gte", "lt", "lte", "exact"}) {
                for (const std::string& sort : {kFields[field], std::string("id")}) {
                    Query q;
                    q.field = field;
                    q.lookup = lookup;
                    q.value = value;
                    q.sort = sort;
                    queries.push_back(q);
                    q.descending = true;
                    q.page = 1;
                    queries.push_back(q);
                }
            }
        }
        for (const char* isnull : {"True", "False"}) {
            Query q;
            q.field = field;
            q.lookup = "isnull";
            q.value = isnull;
            q.sort = kFields[field];
            queries.push_back(q);
            q.page = 2;
            q.label = "events";
            queries.push_back(q);
        }
        Query walk;  // the keyset walk's first page, with a filter and an id bound beside it
        walk.field = field;
        walk.sort = kFields[field];
        walk.page_size = 0;
        queries.push_back(walk);
        walk.page_size = 200;
        walk.id_above = static_cast<std::int64_t>(records.size() / 3);
        queries.push_back(walk);
        walk.lookup = "gt";
        walk.value = values.front();
        walk.label = "events";
        walk.id_above = 0;
        queries.push_back(walk);
        walk.sort = kFields[(field + 1) % kFields.size()];  // filtered on one, sorted by another
        queries.push_back(walk);
    }
    for (const auto& q : queries) {
        const auto [count, pages, ids] = expected(records, q);
        const std::string target = q.target();
        const auto r = emu.direct("GET", target);
        INFO(target << " -> " << r.status << " " << r.body.substr(0, 200));
        if (q.page > 0 && q.page >= pages) {
            CHECK(r.status == 404);
            continue;
        }
        REQUIRE(r.status == 200);
        const auto body = Poco::JSON::Parser().parse(r.body).extract<Poco::JSON::Object::Ptr>();
        CHECK(body->getValue<std::size_t>("count") == count);
        CHECK(body->getValue<std::size_t>("num_pages") == pages);
        const auto data = body->getArray("data");
        std::vector<std::int64_t> got;
        for (std::size_t i = 0; i < data->size(); ++i) {
            got.push_back(data->getObject(static_cast<unsigned>(i))->getValue<std::int64_t>("id"));
        }
        CHECK(got == ids);
    }
}

}  // namespace

TEST_CASE("emulator: time-indexed pages agree with a filter and sort of every record",
          "[emulator][index]") {
    EmulatorOptions o;
    o.seed = 11;
    o.containers = 1500;
    o.artifacts = 1;
    o.labels = {"events", "incident"};
    SECTION("distinct times") {}
    SECTION("whole seconds, with ties") { o.coarse_time = true; }
    SECTION("null update times until edited") { o.null_update_time = true; }
    Emulator emu(o);
    checkQueries(emu);

    // Edits, artifacts and deletes move records within and between the index blocks.
    for (std::int64_t id = 3; id <= 1500; id += 7) {
        emu.editContainer(id, R"({"severity": "low"})");
    }
    for (std::int64_t id = 5; id <= 1500; id += 11) {
        (void)emu.addArtifact(R"({"container_id": )" + std::to_string(id) + R"(, "name": "n"})");
    }
    for (std::int64_t id = 2; id <= 1500; id += 13) {
        REQUIRE(emu.deleteContainer(id));
    }
    for (int i = 0; i < 300; ++i) {
        (void)emu.createContainer(R"({"name": "new )" + std::to_string(i) +
                                  R"(", "label": "incident"})");
    }
    checkQueries(emu);
}
