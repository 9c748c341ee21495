#include "soar/client/Query.h"

#include <catch2/catch.hpp>

using soar::sync::PyValue;
using soar::sync::Query;
using soar::sync::SortOrder;

TEST_CASE("Python literals quote strings, leave ints bare and spell booleans", "[client][query]") {
    CHECK(PyValue("events").literal() == "\"events\"");
    CHECK(PyValue(std::string("it's \"x\"")).literal() == R"("it's \"x\"")");
    CHECK(PyValue("C:\\temp\\").literal() == R"("C:\\temp\\")");
    CHECK(PyValue("a\nb\tc\x01").literal() == R"("a\nb\tc\x01")");
    CHECK(PyValue("Zürich ✓").literal() == "\"Zürich ✓\"");
    CHECK(PyValue(42).literal() == "42");
    CHECK(PyValue(std::int64_t{-7}).literal() == "-7");
    CHECK(PyValue::boolean(true).literal() == "True");
    CHECK(PyValue::boolean(false).literal() == "False");
    CHECK(PyValue::none().literal() == "None");
    CHECK(PyValue::list({"a", "b"}).literal() == R"(["a", "b"])");
    CHECK(PyValue::list({1, 2, 3}).literal() == "[1, 2, 3]");
    CHECK(PyValue::list({}).literal() == "[]");
}

TEST_CASE("urlEncode encodes everything but unreserved characters", "[client][query]") {
    using soar::sync::urlEncode;
    CHECK(urlEncode("abc-_.~XYZ09") == "abc-_.~XYZ09");
    CHECK(urlEncode("\"a b\"") == "%22a%20b%22");
    CHECK(urlEncode("[\"a\", 1]") == "%5B%22a%22%2C%201%5D");
    CHECK(urlEncode("ü") == "%C3%BC");
    CHECK(urlEncode("a&b=c+d/e?f#g%") == "a%26b%3Dc%2Bd%2Fe%3Ff%23g%25");
}

TEST_CASE("Query writes filters, sort and paging as SOAR reads them", "[client][query]") {
    Query query;
    query.exact("status", "new")
        .in("label", {"events", "incident"})
        .gt("create_time", "2024-01-01T00:00:00.000000Z")
        .gte("id", 5)
        .lt("severity_id", 9)
        .lte("id", 100)
        .isNull("container_update_time", false)
        .filter("name", "icontains", "it's \"odd\"")
        .exclude("tags", "", "noise")
        .raw("_filter_sensitivity=\"amber\"")
        .sort("create_time", SortOrder::Asc)
        .pageSize(500);
    CHECK(query.toQueryString(3) ==
          "page=3&page_size=500"
          "&_filter_status=%22new%22"
          "&_filter_label__in=%5B%22events%22%2C%20%22incident%22%5D"
          "&_filter_create_time__gt=%222024-01-01T00%3A00%3A00.000000Z%22"
          "&_filter_id__gte=5"
          "&_filter_severity_id__lt=9"
          "&_filter_id__lte=100"
          "&_filter_container_update_time__isnull=False"
          "&_filter_name__icontains=%22it%27s%20%5C%22odd%5C%22%22"
          "&_exclude_tags=%22noise%22"
          "&_filter_sensitivity=%22amber%22"
          "&sort=create_time&order=asc");
    CHECK(Query().sort("id", SortOrder::Desc).pageSize(10).toQueryString(0) ==
          "page=0&page_size=10&sort=id&order=desc");
}

TEST_CASE("Query keeps the unencoded literals for inspection", "[client][query]") {
    Query query;
    query.exact("name", "back\\slash \"q\"").in("id", {1, 2});
    REQUIRE(query.filters().size() == 2);
    CHECK(query.filters()[0].first == "_filter_name");
    CHECK(query.filters()[0].second == R"("back\\slash \"q\"")");
    CHECK(query.filters()[1].second == "[1, 2]");
}

TEST_CASE("Query refuses raw filters that are not _filter_ or _exclude_", "[client][query]") {
    Query query;
    CHECK_THROWS_AS(query.raw("sensitivity=\"amber\""), std::invalid_argument);
    CHECK_THROWS_AS(query.raw("_filter_x"), std::invalid_argument);
    CHECK_THROWS_AS(query.raw("_filter_=1"), std::invalid_argument);
    CHECK_THROWS_AS(query.raw("_filter_x="), std::invalid_argument);
    CHECK_THROWS_AS(query.exact("", 1), std::invalid_argument);
    CHECK_NOTHROW(query.raw("_exclude_tags__in=[\"a\"]"));
}
