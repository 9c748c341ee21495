// OrderIndex (the emulator's index of a time column) against a plain sorted list of the same
// entries, through inserts and erases that split, empty and join its blocks.

#include "OrderIndex.h"

#include <Poco/JSON/Array.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

using soar::emulator::compareKeys;
using soar::emulator::Filter;
using soar::emulator::OrderIndex;
using soar::emulator::SortKey;
using soar::emulator::sortKey;

namespace {

/// The times used: a few hundred distinct ones, so that many entries tie.
Poco::Dynamic::Var value(std::mt19937& random) {
    const auto n = random() % 400;
    if (n < 20) return {};  // null
    return Poco::Dynamic::Var("2024-01-01T00:" + std::to_string(10 + n / 60) + ":" +
                              std::to_string(10 + n % 60) + ".000000Z");
}

Filter filter(const std::string& lookup, const Poco::Dynamic::Var& v) {
    Filter f;
    f.path = {"time"};
    f.lookup = lookup;
    f.value = v;
    if (v.isString()) f.text = v.extract<std::string>();
    return f;
}

struct SortedList {
    std::vector<OrderIndex::Entry> entries;  // sorted as the index sorts

    void insert(const SortKey& key, std::int64_t id) {
        const OrderIndex::Entry e{key, id};
        entries.insert(std::lower_bound(entries.begin(), entries.end(), e, less), e);
    }
    void erase(const SortKey& key, std::int64_t id) {
        entries.erase(
            std::lower_bound(entries.begin(), entries.end(), OrderIndex::Entry{key, id}, less));
    }
    /// The ranks [first, last) of the entries that `match`, which must be contiguous.
    [[nodiscard]] OrderIndex::Range rangeWhere(
        const std::function<bool(const OrderIndex::Entry&)>& match) const {
        const auto first = std::find_if(entries.begin(), entries.end(), match);
        const auto last = std::find_if_not(first, entries.end(), match);
        const auto rank = [&](auto it) {
            return static_cast<std::size_t>(std::distance(entries.begin(), it));
        };
        return first == entries.end() ? OrderIndex::Range{}
                                      : OrderIndex::Range{rank(first), rank(last)};
    }
    static bool less(const OrderIndex::Entry& a, const OrderIndex::Entry& b) {
        const int c = compareKeys(a.key, b.key);
        return c < 0 || (c == 0 && a.id < b.id);
    }
};

std::vector<std::int64_t> idsOf(const OrderIndex& index, OrderIndex::Range range, bool reverse) {
    std::vector<std::int64_t> ids;
    index.forEach(range, reverse, [&](std::int64_t id) {
        ids.push_back(id);
        return true;
    });
    return ids;
}

void checkSame(const OrderIndex& index, const SortedList& model, std::mt19937& random) {
    REQUIRE(index.size() == model.entries.size());
    std::vector<std::int64_t> expected;
    for (const auto& e : model.entries) expected.push_back(e.id);
    REQUIRE(idsOf(index, index.all(), false) == expected);
    std::reverse(expected.begin(), expected.end());
    REQUIRE(idsOf(index, index.all(), true) == expected);

    for (int i = 0; i < 20; ++i) {
        const auto v = value(random);
        const bool is_null = v.isEmpty();
        const std::string text = is_null ? std::string() : v.extract<std::string>();
        const auto isString = [](const OrderIndex::Entry& e) { return e.key.rank == 1; };
        const auto cmp = [&](const OrderIndex::Entry& e) { return e.key.text.compare(text); };
        const std::vector<std::pair<std::string, std::function<bool(const OrderIndex::Entry&)>>>
            lookups = {
                {"gt", [&](const auto& e) { return isString(e) && cmp(e) > 0; }},
                {"gte", [&](const auto& e) { return isString(e) && cmp(e) >= 0; }},
                {"lt", [&](const auto& e) { return isString(e) && cmp(e) < 0; }},
                {"lte", [&](const auto& e) { return isString(e) && cmp(e) <= 0; }},
                {"exact", [&](const auto& e) { return isString(e) && cmp(e) == 0; }},
            };
        for (const auto& [lookup, match] : lookups) {
            if (is_null) continue;
            INFO(lookup << " " << text);
            const auto range = index.rangeOf(filter(lookup, v));
            REQUIRE(range.has_value());
            const auto want = model.rangeWhere(match);
            CHECK(range->size() == want.size());
            if (want.size() > 0) CHECK(range->first == want.first);
        }
    }
    const auto nulls = index.rangeOf(filter("isnull", Poco::Dynamic::Var(true)));
    const auto others = index.rangeOf(filter("isnull", Poco::Dynamic::Var(false)));
    REQUIRE(nulls.has_value());
    REQUIRE(others.has_value());
    CHECK(nulls->size() ==
          model.rangeWhere([](const OrderIndex::Entry& e) { return e.key.rank == 3; }).size());
    CHECK(nulls->size() + others->size() == index.size());
    // A slice in the middle, both ways.
    const OrderIndex::Range slice{index.size() / 3, index.size() / 3 + 37};
    const auto forward = idsOf(index, slice, false);
    auto backward = idsOf(index, slice, true);
    std::reverse(backward.begin(), backward.end());
    CHECK(forward == backward);
    CHECK(forward.size() == std::min<std::size_t>(37, index.size() - index.size() / 3));
}

}  // namespace

TEST_CASE("emulator: the order index keeps the order of a sorted list through inserts and erases",
          "[emulator][index]") {
    std::mt19937 random(7);
    OrderIndex index;
    SortedList model;
    std::vector<Poco::Dynamic::Var> values;  // by id - 1; empty once erased
    std::vector<bool> live;
    const auto add = [&] {
        const auto v = value(random);
        const auto id = static_cast<std::int64_t>(values.size()) + 1;
        values.push_back(v);
        live.push_back(true);
        index.insert(sortKey(v), id);
        model.insert(sortKey(v), id);
    };
    const auto remove = [&](std::size_t at) {
        const auto id = static_cast<std::int64_t>(at) + 1;
        index.erase(sortKey(values[at]), id);
        model.erase(sortKey(values[at]), id);
        live[at] = false;
    };
    for (int i = 0; i < 3000; ++i) add();
    checkSame(index, model, random);

    // Updates: an entry leaves its place for another (most for the newest times).
    for (int i = 0; i < 2000; ++i) {
        const auto at = random() % values.size();
        if (!live[at]) continue;
        const auto id = static_cast<std::int64_t>(at) + 1;
        index.erase(sortKey(values[at]), id);
        model.erase(sortKey(values[at]), id);
        values[at] = i % 3 == 0 ? value(random) : Poco::Dynamic::Var("2025-06-01T00:00:00.000000Z");
        index.insert(sortKey(values[at]), id);
        model.insert(sortKey(values[at]), id);
    }
    checkSame(index, model, random);

    // Erase nine in ten, the blocks emptying and joining, then refill.
    for (std::size_t at = 0; at < values.size(); ++at) {
        if (live[at] && at % 10 != 0) remove(at);
    }
    checkSame(index, model, random);
    for (int i = 0; i < 1000; ++i) add();
    checkSame(index, model, random);
    for (std::size_t at = 0; at < values.size(); ++at) {
        if (live[at]) remove(at);
    }
    CHECK(index.size() == 0);
    CHECK(idsOf(index, index.all(), false).empty());
    CHECK_THROWS_AS(index.erase(sortKey(values[0]), 1), std::logic_error);
}

TEST_CASE("emulator: the order index leaves filters it cannot answer exactly to the records",
          "[emulator][index]") {
    OrderIndex index;
    index.insert(sortKey(Poco::Dynamic::Var("2024-01-01T00:00:00Z")), 1);
    index.insert(sortKey(Poco::Dynamic::Var(5)), 2);
    // A numeric string also matches numbers; a number compares as text with strings.
    Filter numeric = filter("gt", Poco::Dynamic::Var("4"));
    numeric.number = 4;
    CHECK_FALSE(index.rangeOf(numeric).has_value());
    Filter number = filter("gt", Poco::Dynamic::Var(4));
    CHECK_FALSE(index.rangeOf(number).has_value());
    Filter excluded = filter("gt", Poco::Dynamic::Var("2000"));
    excluded.exclude = true;
    CHECK_FALSE(index.rangeOf(excluded).has_value());
    CHECK_FALSE(index.rangeOf(filter("contains", Poco::Dynamic::Var("2024"))).has_value());
    CHECK(index.rangeOf(filter("gt", Poco::Dynamic::Var("2000")))->size() == 1);
    // A value of another kind (a list) in the column: its text could compare, so no ranges.
    Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
    index.insert(sortKey(Poco::Dynamic::Var(list)), 3);
    CHECK_FALSE(index.rangeOf(filter("gt", Poco::Dynamic::Var("2000"))).has_value());
    CHECK(index.rangeOf(filter("isnull", Poco::Dynamic::Var(false)))->size() == 3);
}
