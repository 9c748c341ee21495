#include "soar/client/Errors.h"
#include "soar/client/PocoSoarApi.h"

#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>

using soar::sync::Page;
using soar::sync::PageSource;
using soar::sync::parsePage;
using soar::sync::ProtocolError;
using soar::sync::RecordError;

namespace {

const std::string kWhat = "[instance.hq] GET /rest/container";

PageSource source(int status = 200) { return PageSource{kWhat, status, soar::sync::Secret()}; }

/// The ProtocolError parsePage throws for `body`; fails the test when it throws none.
ProtocolError protocolError(const std::string& body, const PageSource& from = source()) {
    try {
        (void)parsePage(body, from);
    } catch (const ProtocolError& e) {
        return e;
    }
    FAIL("no ProtocolError for: " << body);
    throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("parsePage reads a list answer into a page", "[client][page]") {
    const Page page = parsePage(
        R"({"count": 7, "num_pages": 3, "data": [{"id": 1, "name": "a"}, {"id": "2"}]})", source());
    CHECK_FALSE(page.past_end);
    CHECK(page.count == 7);
    CHECK(page.num_pages == 3);
    REQUIRE(page.records.size() == 2);
    CHECK(page.records[0]->getValue<int>("id") == 1);
    CHECK(page.records[0]->getValue<std::string>("name") == "a");
    CHECK(page.records[1]->getValue<std::string>("id") == "2");
}

TEST_CASE("parsePage reads an empty first page, numeric strings and whole floats",
          "[client][page]") {
    const Page empty = parsePage(R"({"count": 0, "num_pages": 0, "data": []})");
    CHECK_FALSE(empty.past_end);
    CHECK(empty.records.empty());
    CHECK(empty.count == 0);

    const Page strings = parsePage(R"({"count": "12", "num_pages": "2", "data": [{}]})");
    CHECK(strings.count == 12);
    CHECK(strings.num_pages == 2);
    CHECK(strings.records.size() == 1);

    const Page floats = parsePage(R"({"count": 4.0, "num_pages": 1e1, "data": [{}]})");
    CHECK(floats.count == 4);
    CHECK(floats.num_pages == 10);
}

TEST_CASE("parsePage takes missing or null count and num_pages as not sent", "[client][page]") {
    const Page missing = parsePage(R"({"data": [{"id": 1}]})");
    CHECK(missing.count == 0);
    CHECK(missing.num_pages == 0);
    CHECK(missing.records.size() == 1);

    const Page null = parsePage(R"({"count": null, "num_pages": null, "data": []})");
    CHECK(null.count == 0);
    CHECK(null.num_pages == 0);
}

TEST_CASE("parsePage answers the page past the end with an empty past_end page", "[client][page]") {
    SECTION("the failure SOAR sends, at any status") {
        for (const int status : {200, 404}) {
            const Page page = parsePage(
                R"({"failed": true, "message": "Invalid page: That page contains no results"})",
                source(status));
            CHECK(page.past_end);
            CHECK(page.records.empty());
            CHECK(page.count == 0);
            CHECK(page.num_pages == 0);
        }
    }
    SECTION("the message without failed, as long as there is no data") {
        CHECK(parsePage(R"({"message": "That page contains no results"})").past_end);
    }
    SECTION("data and no failure is a list, whatever the message says") {
        const Page page =
            parsePage(R"({"message": "That page contains no results", "data": [{"id": 3}]})");
        CHECK_FALSE(page.past_end);
        CHECK(page.records.size() == 1);
    }
}

TEST_CASE("parsePage turns another failure into a record error with the server's message",
          "[client][page]") {
    try {
        (void)parsePage(R"({"failed": true, "message": "Bad filter"})", source(200));
        FAIL("no error");
    } catch (const RecordError& e) {
        CHECK(std::string(e.what()) == kWhat + ": failed (HTTP 200): Bad filter");
        CHECK(e.serverMessage() == "Bad filter");
        CHECK(e.httpStatus() == 200);
    }
    // An odd `failed` is no success either.
    CHECK_THROWS_AS(parsePage(R"({"failed": "yes?", "data": []})"), RecordError);
}

TEST_CASE("parsePage refuses missing or ill-typed data", "[client][page]") {
    CHECK(std::string(protocolError(R"({"count": 1, "num_pages": 1})").what()) ==
          kWhat + ": expected a list with \"data\", got '{\"count\":1,\"num_pages\":1}'");
    CHECK(std::string(protocolError(R"({"count": 1, "data": {"id": 1}})").what()) ==
          kWhat + ": expected a list with \"data\", got '{\"count\":1,\"data\":{\"id\":1}}'");
    CHECK_THAT(protocolError(R"({"data": null})").what(),
               Catch::StartsWith(kWhat + ": expected a list with \"data\""));
    CHECK_THAT(protocolError(R"({"data": "[]"})").what(),
               Catch::StartsWith(kWhat + ": expected a list with \"data\""));
}

TEST_CASE("parsePage refuses ill-typed count and num_pages", "[client][page]") {
    const auto with = [](const std::string& key, const std::string& value) {
        return "{\"" + key + "\": " + value + ", \"data\": []}";
    };
    for (const std::string key : {"count", "num_pages"}) {
        CAPTURE(key);
        CHECK(std::string(protocolError(with(key, "\"many\"")).what()) ==
              kWhat + ": expected a whole number of 0 or more in \"" + key + "\", got '\"many\"'");
        CHECK(std::string(protocolError(with(key, "-1")).what()) ==
              kWhat + ": expected a whole number of 0 or more in \"" + key + "\", got '-1'");
        CHECK(std::string(protocolError(with(key, "1.5")).what()) ==
              kWhat + ": expected a whole number of 0 or more in \"" + key + "\", got '1.5'");
        CHECK(std::string(protocolError(with(key, "true")).what()) ==
              kWhat + ": expected a whole number of 0 or more in \"" + key + "\", got 'true'");
        CHECK_THAT(protocolError(with(key, "1e30")).what(),
                   Catch::Contains("0 or more in \"" + key + "\", got '1e+30'"));
        CHECK_THAT(protocolError(with(key, "[3]")).what(),
                   Catch::Contains("0 or more in \"" + key + "\", got '[3]'"));
        CHECK_THAT(protocolError(with(key, "{}")).what(),
                   Catch::Contains("0 or more in \"" + key + "\", got '{}'"));
        CHECK_THAT(protocolError(with(key, "\"12 \"")).what(),
                   Catch::Contains("0 or more in \"" + key + "\", got '\"12 \"'"));
    }
    // Beyond int64 but within uint64 Poco parses it; beyond that it is not even JSON to it.
    CHECK(std::string(protocolError(with("count", "18446744073709551615")).what()) ==
          kWhat +
              ": expected a whole number of 0 or more in \"count\", got '18446744073709551615'");
    CHECK(parsePage(with("count", "9223372036854775807")).count == 9223372036854775807);
    CHECK_THAT(protocolError(with("count", "99999999999999999999999")).what(),
               Catch::Contains("is not JSON"));
}

TEST_CASE("parsePage refuses records that are not objects, naming the item", "[client][page]") {
    CHECK(std::string(protocolError(R"({"count": 2, "data": [{"id": 1}, 7]})").what()) ==
          kWhat + ": expected objects in \"data\" (item 1), got '7'");
    CHECK(std::string(protocolError(R"({"data": [null]})").what()) ==
          kWhat + ": expected objects in \"data\" (item 0), got 'null'");
    CHECK(std::string(protocolError(R"({"data": [[{"id": 1}]]})").what()) ==
          kWhat + ": expected objects in \"data\" (item 0), got '[{\"id\":1}]'");
}

TEST_CASE("parsePage refuses JSON that is not an object", "[client][page]") {
    CHECK(std::string(protocolError(R"([{"id": 1}])").what()) ==
          kWhat + ": expected a list object, got '[{\"id\":1}]'");
    // A bare scalar is not a JSON text to Poco's parser.
    CHECK(std::string(protocolError("null").what()) ==
          kWhat + ": the answer (HTTP 200) is not JSON: 'null'");
    CHECK(std::string(protocolError("42").what()) ==
          kWhat + ": the answer (HTTP 200) is not JSON: '42'");
}

TEST_CASE("parsePage refuses a body that is not JSON, quoting it", "[client][page]") {
    const auto e = protocolError("{\"count\": 3, \"data\": [{\"id\": 1},", source(200));
    CHECK(std::string(e.what()) ==
          kWhat + ": the answer (HTTP 200) is not JSON: '{\"count\": 3, \"data\": [{\"id\": 1},'");
    CHECK(e.httpStatus() == 200);

    CHECK(std::string(protocolError("").what()) ==
          kWhat + ": the answer (HTTP 200) is not JSON: ''");
    CHECK(std::string(protocolError("<html>\n<body>502</body></html>", source(202)).what()) ==
          kWhat + ": the answer (HTTP 202) is not JSON: '<html> <body>502</body></html>'");

    const auto long_body = "<p>" + std::string(300, 'x');
    CHECK_THAT(protocolError(long_body).what(),
               Catch::EndsWith("is not JSON: '<p>" + std::string(197, 'x') + "...'"));
}

TEST_CASE("parsePage never quotes the secret", "[client][page]") {
    const std::string secret = "Tok3n/abc+def=";
    const PageSource from{kWhat, 200, soar::sync::Secret(secret)};
    const auto text = [&](const std::string& body) -> std::string {
        try {
            (void)parsePage(body, from);
        } catch (const soar::sync::SoarError& e) {
            return e.what();
        }
        FAIL("no error for: " << body);
        return {};
    };
    CHECK(text("not json " + secret) ==
          kWhat + ": the answer (HTTP 200) is not JSON: 'not json ***'");
    CHECK(text(R"({"data": [")" + secret + R"("]})") ==
          kWhat + ": expected objects in \"data\" (item 0), got '\"***\"'");
    CHECK(text(R"({"count": ")" + secret + R"(", "data": []})") ==
          kWhat + ": expected a whole number of 0 or more in \"count\", got '\"***\"'");
    CHECK(text(R"({"failed": true, "message": "bad token )" + secret + R"("})") ==
          kWhat + ": failed (HTTP 200): bad token ***");
}

TEST_CASE("parseId takes whole numbers and numeric strings, nothing else", "[client][page]") {
    using Poco::Dynamic::Var;
    using soar::sync::parseId;
    CHECK(parseId(Var(42)) == 42);
    CHECK(parseId(Var(std::string("42"))) == 42);
    CHECK(parseId(Var(42.0)) == 42);
    CHECK(parseId(Var(-3)) == -3);
    CHECK_FALSE(parseId(Var()));
    CHECK_FALSE(parseId(Var(true)));
    CHECK_FALSE(parseId(Var(4.5)));
    CHECK_FALSE(parseId(Var(1e30)));  // beyond int64: no cast (undefined behaviour)
    CHECK_FALSE(parseId(Var(-1e30)));
    CHECK_FALSE(parseId(Var(9223372036854775808.0)));
    CHECK_FALSE(parseId(Var(std::string("42x"))));
    CHECK_FALSE(parseId(Var(std::string(""))));
    CHECK_FALSE(parseId(Var(std::string("99999999999999999999"))));
}

namespace {

/// The UnreadablePage parsePage throws for `body`; fails the test when it throws none.
soar::sync::UnreadablePage unreadable(const std::string& body) {
    try {
        (void)parsePage(body, source());
    } catch (const soar::sync::UnreadablePage& e) {
        return e;
    } catch (const std::exception& e) {
        FAIL("another error: " << e.what());
    }
    FAIL("no UnreadablePage");
    throw std::logic_error("unreachable");
}

/// A one-record list answer whose record carries `inner` in its "data" field.
std::string page(const std::string& inner) {
    return R"({"count": 1, "num_pages": 1, "data": [{"id": 42, "create_time": )"
           R"("2026-01-02T03:04:05.000000Z", "container": 7, "data": )" +
           inner + R"(, "name": "x"}]})";
}

}  // namespace

TEST_CASE("parsePage names JSON it cannot read for what it is, with the record's id and time",
          "[client][page]") {
    std::string deep;
    for (int i = 0; i < 127; ++i) deep += "[";
    for (int i = 0; i < 127; ++i) deep += "]";
    const auto too_deep = unreadable(page(deep));
    CHECK_THAT(too_deep.reason(), Catch::StartsWith("nesting deeper than 128 levels at byte "));
    CHECK_THAT(too_deep.what(), Catch::StartsWith(kWhat + ": the answer (HTTP 200) cannot be "
                                                          "read: nesting deeper than 128 levels") &&
                                    !Catch::Contains("not JSON"));
    CHECK(too_deep.first().at("id") == "42");
    CHECK(too_deep.first().at("create_time") == "2026-01-02T03:04:05.000000Z");
    CHECK(too_deep.first().at("container") == "7");
    CHECK(too_deep.first().at("name") == "x");
    CHECK(too_deep.first().count("data") == 0);  // not a scalar

    const auto bad_utf8 = unreadable(page("\"caf\xc3\x28\""));
    CHECK_THAT(bad_utf8.reason(), Catch::StartsWith("invalid UTF-8 at byte "));
    CHECK(bad_utf8.first().at("id") == "42");
    for (const char* bytes :
         {"\"\xff\"", "\"\xc0\xaf\"", "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"", "\"\xe2\x82\""}) {
        INFO(bytes);
        CHECK_THAT(unreadable(page(bytes)).reason(), Catch::StartsWith("invalid UTF-8"));
    }
    CHECK_THAT(unreadable(page(R"("\ud800")")).reason(),
               Catch::StartsWith("an unpaired UTF-16 surrogate escape"));
    CHECK_THAT(unreadable(page(R"("\udc00 x")")).reason(),
               Catch::StartsWith("an unpaired UTF-16 surrogate escape"));
    // A valid pair, a valid multi-byte character and 128 levels in all read fine.
    std::string deep_ok;
    for (int i = 0; i < 125; ++i) deep_ok += "[";
    for (int i = 0; i < 125; ++i) deep_ok += "]";
    for (const auto& inner : {std::string(R"("\ud83d\ude00 caf)") + "\xc3\xa9\"", deep_ok}) {
        CHECK(parsePage(page(inner), source()).records.size() == 1);
    }
}

TEST_CASE("parsePage reads a cut or broken body as not JSON, not as unreadable", "[client][page]") {
    for (const std::string body : {R"({"data": [{"id": 1}, )", R"({"data": [}]})", "<html>"}) {
        INFO(body);
        try {
            (void)parsePage(body, source());
            FAIL("accepted");
        } catch (const soar::sync::UnreadablePage&) {
            FAIL("called unreadable");
        } catch (const ProtocolError& e) {
            CHECK_THAT(e.what(), Catch::Contains("is not JSON"));
        }
    }
}
