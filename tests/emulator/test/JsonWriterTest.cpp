// The emulator's JSON writer (toJson, appendJson) against Poco's Stringifier: the same bytes
// for every kind of value the emulator stores, so that its answers and content hashes are
// what Poco wrote before.

#include "Model.h"

#include <Poco/DateTime.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <catch2/catch.hpp>

#include <cstdint>
#include <sstream>
#include <string>

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;
using soar::emulator::appendJson;
using soar::emulator::toJson;

namespace {

std::string pocoText(const Var& value) {
    std::ostringstream out;
    Poco::JSON::Stringifier::condense(value, out);
    return out.str();
}

}  // namespace

TEST_CASE("the emulator's JSON writer writes the bytes Poco's Stringifier writes",
          "[emulator][json]") {
    Object::Ptr inner = new Object;
    inner->set("quote\"back\\slash", "tab\there\nnew\rline\bback\fform/slash");
    inner->set("control", std::string("a\x01"
                                      "b\x1f"
                                      "c\x7f",
                                      6));
    inner->set("utf8", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92");
    inner->set("empty", std::string());
    Array::Ptr list = new Array;
    list->add(1);
    list->add(std::int64_t{-9007199254740993});
    list->add(std::uint64_t{18446744073709551615ULL});
    list->add(true);
    list->add(false);
    list->add(Var());
    list->add(2.5);
    list->add(1e-7);
    list->add('q');
    list->add(inner);
    list->add(Array::Ptr(new Array));
    Object::Ptr root = new Object;
    root->set("list", list);
    root->set("z-last", std::int64_t{0});
    root->set("a-first", Object::Ptr(new Object));
    root->set("unsigned", 42U);
    root->set("long", 42L);
    root->set("when", Poco::DateTime(2026, 12, 5, 8, 30, 0));
    root->set("null", Var());

    CHECK(toJson(root) == pocoText(root));
    CHECK(toJson(*root) == pocoText(root));
    CHECK(toJson(list) == pocoText(list));
    std::string appended = "[";
    appendJson(appended, *root);
    CHECK(appended == "[" + pocoText(root));

    SECTION("a record parsed from text, as the emulator stores one") {
        const std::string text =
            R"({"id": 7, "name": "phish \u00e9 \"x\"", "tags": ["a", "b"], "data": {"k": [1, 2.0, null]},)"
            R"( "severity": "high", "open": true, "due": null})";
        const Var parsed = Poco::JSON::Parser().parse(text);
        CHECK(toJson(parsed) == pocoText(parsed));
    }

    SECTION("every byte value inside a string") {
        std::string all;
        for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
        Object::Ptr o = new Object;
        o->set(all, all);
        CHECK(toJson(o) == pocoText(o));
    }
}
