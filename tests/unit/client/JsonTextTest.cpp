#include "soar/client/JsonText.h"
#include "soar/client/JsonTree.h"

#include <Poco/DateTime.h>
#include <Poco/DigestEngine.h>
#include <Poco/JSON/Parser.h>
#include <Poco/SHA2Engine.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;
using soar::sync::JsonFragment;
using soar::sync::jsonSha256;
using soar::sync::jsonText;
using soar::sync::parseJson;
using soar::sync::RecordShape;

namespace {

template <class Json>
std::string pocoText(const Json& value) {
    std::ostringstream out;
    value.stringify(out);
    return out.str();
}

/// A string of `size` bytes drawn from all 256 values, with the ones JSON escapes often.
std::string randomBytes(std::mt19937& random, std::size_t size) {
    static const std::string kCommon = "\"\\/\n\r\t\b\f\x01\x1f\x7f\xc3\xa9\xe2\x82\xac{}[]:,";
    std::string out;
    for (std::size_t i = 0; i < size; ++i) {
        const auto pick = random() % 4;
        out.push_back(pick == 0 ? kCommon[random() % kCommon.size()]
                                : static_cast<char>(random() % 256));
    }
    return out;
}

Var randomValue(std::mt19937& random, int depth);

Object::Ptr randomObject(std::mt19937& random, int depth) {
    Object::Ptr object = new Object;
    const auto members = random() % 6;
    for (unsigned i = 0; i < members; ++i) {
        object->set(randomBytes(random, random() % 8), randomValue(random, depth + 1));
    }
    return object;
}

Var randomValue(std::mt19937& random, int depth) {
    switch (random() % (depth > 3 ? 8 : 10)) {
        case 0:
            return Var();
        case 1:
            return randomBytes(random, random() % 40);
        case 2:
            return static_cast<int>(random() % 2'000'000'000U) - 1'000'000'000;
        case 3:
            return -static_cast<std::int64_t>(random()) * 2'147'483'647LL;  // fits in 64 bits
        case 4:
            return std::numeric_limits<std::uint64_t>::max() - random();
        case 5:
            return random() % 2 == 0;
        case 6:
            return static_cast<double>(random()) / 7.0;
        case 7:
            return std::string();
        case 8:
            return randomObject(random, depth);
        default: {
            Array::Ptr array = new Array;
            const auto items = random() % 5;
            for (unsigned i = 0; i < items; ++i) array->add(randomValue(random, depth + 1));
            return array;
        }
    }
}

/// Whether two trees hold the same node types and values all the way down.
bool sameTree(const Var& a, const Var& b) {
    if (a.type() != b.type()) return false;
    if (a.type() == typeid(Object::Ptr)) {
        const auto& x = *a.extract<Object::Ptr>();
        const auto& y = *b.extract<Object::Ptr>();
        if (x.size() != y.size()) return false;
        for (auto i = x.begin(), j = y.begin(); i != x.end(); ++i, ++j) {
            if (i->first != j->first || !sameTree(i->second, j->second)) return false;
        }
        return true;
    }
    if (a.type() == typeid(Array::Ptr)) {
        const auto& x = *a.extract<Array::Ptr>();
        const auto& y = *b.extract<Array::Ptr>();
        if (x.size() != y.size()) return false;
        for (auto i = x.begin(), j = y.begin(); i != x.end(); ++i, ++j) {
            if (!sameTree(*i, *j)) return false;
        }
        return true;
    }
    if (a.type() == typeid(double)) return a.extract<double>() == b.extract<double>();
    if (a.type() == typeid(JsonFragment)) {
        return a.extract<JsonFragment>().text == b.extract<JsonFragment>().text;
    }
    return a.isEmpty() ? b.isEmpty() : a.convert<std::string>() == b.convert<std::string>();
}

/// What Poco's own parser makes of `text`, or the text of its refusal.
std::string pocoRefusal(const std::string& text) {
    try {
        (void)Poco::JSON::Parser().parse(text);
        return "accepted";
    } catch (const Poco::Exception& e) {
        return e.displayText();
    }
}

/// Whether parseJson() builds the tree Poco's parser builds from `text`, or refuses it as Poco
/// does (random bytes are often not UTF-8).
bool sameOutcome(const std::string& text) {
    const auto refusal = pocoRefusal(text);
    if (refusal != "accepted") {
        try {
            (void)parseJson(text);
            return false;
        } catch (const Poco::Exception& e) {
            return e.displayText() == refusal;
        }
    }
    return sameTree(parseJson(text), Poco::JSON::Parser().parse(text));
}

/// The page `tree` as a RecordShape asks for it: the objects of the top object's "data" array
/// keep only the shape's members, their object members as their jsonText().
Var shapedTree(const Var& tree, const RecordShape& shape) {
    if (tree.type() != typeid(Object::Ptr)) return tree;
    Object::Ptr page = new Object(*tree.extract<Object::Ptr>());
    if (!page->isArray("data")) return page;
    Array::Ptr records = new Array;
    for (const auto& item : *page->getArray("data")) {
        if (item.type() != typeid(Object::Ptr)) {
            records->add(item);
            continue;
        }
        Object::Ptr record = new Object;
        for (const auto& [key, value] : *item.extract<Object::Ptr>()) {
            if (!shape.members.empty() &&
                std::find(shape.members.begin(), shape.members.end(), key) == shape.members.end()) {
                continue;
            }
            if (shape.objects_as_text && value.type() == typeid(Object::Ptr)) {
                record->set(key, JsonFragment{jsonText(*value.extract<Object::Ptr>())});
            } else {
                record->set(key, value);
            }
        }
        records->add(record);
    }
    page->set("data", records);
    return page;
}

/// A value of printable ASCII, UTF-8 and the escapes JSON writes: text parseJson's own reader
/// always takes.
Var plainValue(std::mt19937& random, int depth) {
    static const std::string kPieces[] = {
        "a", "k1", " ", "\"", "\\", "\n", "\x01", "\xc3\xa9", "\xf0\x9f\x94\xa5", "/", "{"};
    const auto text = [&random] {
        std::string out;
        for (auto n = random() % 6; n > 0; --n) out += kPieces[random() % std::size(kPieces)];
        return out;
    };
    switch (random() % (depth > 4 ? 6 : 9)) {
        case 0:
            return Var();
        case 1:
            return text();
        case 2:
            return -static_cast<std::int64_t>(random()) * 2'147'483'647LL;
        case 3:
            return std::numeric_limits<std::uint64_t>::max() - random();
        case 4:
            return random() % 2 == 0;
        case 5:
            return static_cast<double>(random()) / 7.0;
        case 6:
        case 7: {
            Object::Ptr object = new Object;
            for (auto n = random() % 5; n > 0; --n) {
                object->set(text(), plainValue(random, depth + 1));
            }
            return object;
        }
        default: {
            Array::Ptr array = new Array;
            for (auto n = random() % 4; n > 0; --n) array->add(plainValue(random, depth + 1));
            return array;
        }
    }
}

std::string sha256(const std::string& text) {
    Poco::SHA2Engine sha(Poco::SHA2Engine::SHA_256);
    sha.update(text);
    return Poco::DigestEngine::digestToHex(sha.digest());
}

}  // namespace

TEST_CASE("jsonText writes what Poco's stringify writes, for random records", "[json]") {
    std::mt19937 random(20261203);
    for (int i = 0; i < 2000; ++i) {
        const auto object = randomObject(random, 0);
        INFO("record " << i);
        REQUIRE(jsonText(*object) == pocoText(*object));
        Array array;
        array.add(object);
        array.add(randomValue(random, 2));
        REQUIRE(jsonText(array) == pocoText(array));
    }
}

TEST_CASE("jsonText writes every byte of a string as Poco does", "[json]") {
    Object object;
    for (int byte = 0; byte < 256; ++byte) {
        object.set("k" + std::to_string(byte), std::string(1, static_cast<char>(byte)) + "x");
    }
    CHECK(jsonText(object) == pocoText(object));
    CHECK(jsonText(Object()) == "{}");
    CHECK(jsonText(Array()) == "[]");
}

TEST_CASE("jsonText of parsed answers, other value types and Unicode escaping", "[json]") {
    const std::string body =
        R"({"id": 7, "big": 18446744073709551615, "neg": -9223372036854775808, "f": 0.1,)"
        R"( "e": 1e300, "t": true, "n": null, "s": "caf\u00e9 \ud83d\ude00 \"q\" \\ /",)"
        R"( "a": [[], {}, [1, [2, {"x": []}]]], "cef": {"src": "10.0.0.1", "z": "\u0001"}})";
    const auto parsed = Poco::JSON::Parser().parse(body).extract<Object::Ptr>();
    CHECK(jsonText(*parsed) == pocoText(*parsed));

    Object values;
    values.set("char", 'c');
    values.set("short", static_cast<short>(-3));
    values.set("float", 2.5F);
    values.set("date", Poco::DateTime(2026, 12, 3, 12, 0, 0));
    values.set("object", Object(*parsed));  // held by value, not by pointer
    CHECK(jsonText(values) == pocoText(values));

    Object escaped(*parsed);
    escaped.setEscapeUnicode(true);
    CHECK(jsonText(escaped) == pocoText(escaped));
    CHECK(jsonText(escaped).find("\\u00E9") != std::string::npos);
}

TEST_CASE("jsonSha256 hashes the text of the record without the members it skips", "[json]") {
    std::mt19937 random(7);
    for (int i = 0; i < 300; ++i) {
        auto object = randomObject(random, 0);
        if (i % 3 != 0) object->set("container_id", static_cast<std::int64_t>(i));
        if (i % 2 != 0) object->set("run_automation", false);
        Object copy(*object);
        copy.remove("container_id");
        copy.remove("run_automation");
        REQUIRE(jsonSha256(*object, {"container_id", "run_automation"}) == sha256(pocoText(copy)));
    }
    // Longer than the sink's block, and a single string longer still.
    Object large;
    large.set("a", std::string(5000, 'a'));
    large.set("b", std::string(20000, '\n'));
    large.set("container_id", 1);
    const auto hash = jsonSha256(large, {"container_id"});
    large.remove("container_id");
    CHECK(hash == sha256(pocoText(large)));
}

TEST_CASE(
    "A JsonFragment goes into the text as it is, and appendJson and sha256Hex agree with jsonText",
    "[json]") {
    std::mt19937 random(11);
    for (int i = 0; i < 100; ++i) {
        const auto inner = randomObject(random, 0);
        Array::Ptr items = new Array;
        items->add(inner);
        items->add(soar::sync::JsonFragment{jsonText(*inner)});
        Object outer;
        outer.set("items", items);
        outer.set("one", soar::sync::JsonFragment{"[1,2]"});
        const auto text = jsonText(outer);
        const auto written = jsonText(*inner);
        REQUIRE(text == R"({"items":[)" + written + "," + written + R"(],"one":[1,2]})");
        REQUIRE(jsonSha256(outer, {}) == sha256(text));

        std::string appended;
        soar::sync::appendJson(appended, Var(inner));
        soar::sync::appendJsonString(appended, "q\"\n");
        REQUIRE(appended == written + R"("q\"\n")");
        REQUIRE(soar::sync::sha256Hex(text) == sha256(text));
    }
    CHECK(soar::sync::sha256Hex("abc") ==
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("parseJson builds the tree Poco's parser builds", "[json]") {
    std::mt19937 random(11);
    for (int i = 0; i < 1000; ++i) {
        auto object = randomObject(random, 0);
        object->set("dup", 1);
        auto text = jsonText(*object);
        text.insert(1, R"("dup": "first", )");  // the last of two equal keys wins
        INFO(text);
        REQUIRE(sameOutcome(text));
        Array array;
        array.add(object);
        array.add(Var());
        array.add(std::numeric_limits<std::uint64_t>::max());
        REQUIRE(sameOutcome(jsonText(array)));
    }
    int accepted = 0;
    for (int i = 0; i < 300; ++i) {
        // Printable ASCII keys and values, which Poco takes.
        Object::Ptr object = new Object;
        for (int k = 0; k < 20; ++k) {
            std::string key = "k" + std::to_string(random() % 30);
            object->set(key, k % 3 == 0 ? randomValue(random, 3) : Var(key + " \"v\"\n"));
        }
        const auto text = jsonText(*object);
        if (pocoRefusal(text) == "accepted") ++accepted;
        REQUIRE(sameOutcome(text));
    }
    CHECK(accepted > 30);
    const auto empty = parseJson("{}");
    CHECK(empty.extract<Object::Ptr>()->size() == 0);
}

TEST_CASE("parseJson reads texts near the edges of JSON as Poco's parser does", "[json]") {
    // Each is read by parseJson's own reader or handed to Poco's: either way the outcome,
    // tree or refusal message, is Poco's.
    for (const std::string& text : std::vector<std::string>{
             R"([0, -0, 1, -1, 9223372036854775807, -9223372036854775808, 9223372036854775808,
                 18446744073709551615, 18446744073709551616, -9223372036854775809])",
             R"([0.5, -0.0, 1e5, 1E+5, 1e-5, 2.2250738585072014e-308, 4.9e-324, 1e308, 1e309,
                 -1e400, 1e-400, 0.1, 123456789012345678901234567890.5, 3.141592653589793238462643])",
             R"([01], [-], [1.], [.5], [1e], [1e+], [+1], [--1], [1-1], [0x10], [1.5.5])",
             "[01]",
             "[-]",
             "[1.]",
             "[.5]",
             "[1e]",
             "[+1]",
             "[0x10]",
             "[1 2]",
             "[1,]",
             "[,1]",
             R"(["\u00e9\u20ac\ud83d\ude00", "\/\b\f\n\r\t\"\\", "\u0041", "\uD83D\uDE00"])",
             R"(["\u0000"])",
             R"({"a\u0000b": 1})",
             R"(["\ud83d"])",
             R"(["\ude00"])",
             R"(["\ud83d\u0041"])",
             R"(["\x"])",
             R"(["\u12"])",
             R"(["\u12g4"])",
             "[\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"]",
             "[\"\xc0\x80\"]",
             "[\"\xed\xa0\x80\"]",
             "[\"\xf4\x90\x80\x80\"]",
             "[\"\xe0\x80\xaf\"]",
             "[\"\xf0\x80\x80\xaf\"]",
             "[\"\xc3\"]",
             "[\"\x7f\"]",
             "[\"\x1f\"]",
             std::string("[\"a\0b\"]", 7),
             " \t\r\n{ \"a\" : [ true , false , null ] } \n",
             "{\"a\":1}{",
             "{\"a\" 1}",
             "{\"a\":1,}",
             "{1:2}",
             "[true false]",
             "[tru]",
             "[nul]",
             "[truex]",
             "{} ",
             std::string(
                 "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
                 "1]]]]"
                 "]"
                 "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"),
         }) {
        INFO(text);
        CHECK(sameOutcome(text));
    }
}

TEST_CASE("parseJson and Poco's parser agree on mutated records", "[json]") {
    // Random bytes of every kind put into valid texts, the reader's edges among them.
    static const std::string kPieces[] = {"\"",       "\\",   "\\u",  "\\ud83d", "\\udc00", "\xc3",
                                          "\xe2\x82", "\xff", "\x01", "{",       "}",       "[",
                                          "]",        ",",    ":",    "-",       "0",       "1e",
                                          ".",        "e+",   " ",    "\n",      "null",    "tru"};
    std::mt19937 random(5);
    int accepted = 0;
    for (int i = 0; i < 3000; ++i) {
        auto text = jsonText(*randomObject(random, 0));
        const auto edits = 1 + random() % 3;
        for (unsigned e = 0; e < edits; ++e) {
            const auto at = random() % (text.size() + 1);
            const auto& piece = kPieces[random() % std::size(kPieces)];
            if (random() % 2 == 0 && at < text.size()) {
                text.replace(at, 1, piece);
            } else {
                text.insert(at, piece);
            }
        }
        INFO(text);
        if (pocoRefusal(text) == "accepted") ++accepted;
        REQUIRE(sameOutcome(text));
    }
    CHECK(accepted > 10);  // most edits break the text; both outcomes are met
}

TEST_CASE("parseJson refuses what Poco's parser refuses, with the same message", "[json]") {
    std::string deep(200, '[');
    deep += std::string(200, ']');
    for (const std::string& text :
         {std::string("5"), std::string("\"not a container\""), std::string("{\"a\": }"),
          std::string("{\"a\": 1} x"), std::string("{\"a\": \"\xff\"}"),
          std::string("{\"a\": \"\\ud800\"}"), std::string("{\"a\": \"x\ny\"}"),
          std::string("[1, 2"), std::string(""), deep}) {
        INFO(text.substr(0, 40));
        const auto expected = pocoRefusal(text);
        REQUIRE(expected != "accepted");
        try {
            (void)parseJson(text);
            FAIL("accepted");
        } catch (const Poco::Exception& e) {
            CHECK(e.displayText() == expected);
        }
    }
}

TEST_CASE("parseJson with a record shape keeps the members asked for, objects as their text",
          "[json]") {
    RecordShape shape;
    shape.members = {"cef", "data", "id", "tags"};
    shape.objects_as_text = true;
    // Keys out of order and twice, nested objects and arrays, a member left out that holds
    // an object: the text is jsonText() of the object Poco's parser builds.
    const std::string page =
        R"({"count": 1, "data": [{"drop": {"x": [1, {"y": 2}]}, "id": 7, "tags": ["a"],)"
        R"( "cef": {"b": 1, "a": {"y": "\u00e9\n", "x": [1, {"d": 1, "c": 2.5}]}, "b": 3},)"
        R"( "data": {}, "name": "left out"}], "num_pages": 1})";
    const auto tree = parseJson(page, &shape);
    const auto record = tree.extract<Object::Ptr>()->getArray("data")->getObject(0);
    REQUIRE(record->size() == 4);
    const auto cef = record->get("cef");
    REQUIRE(cef.type() == typeid(JsonFragment));
    CHECK(cef.extract<JsonFragment>().text ==
          "{\"a\":{\"x\":[1,{\"c\":2.5,\"d\":1}],\"y\":\"\xc3\xa9\\n\"},\"b\":3}");
    CHECK(record->get("data").extract<JsonFragment>().text == "{}");
    CHECK(record->getValue<int>("id") == 7);
    CHECK(record->getArray("tags")->getElement<std::string>(0) == "a");
    // The envelope around the records is read whole.
    CHECK(tree.extract<Object::Ptr>()->getValue<int>("count") == 1);

    // No members named keeps every one; without objects_as_text objects stay objects.
    RecordShape all;
    REQUIRE(sameTree(parseJson(page, &all), parseJson(page)));
}

TEST_CASE("parseJson with a record shape reads random pages as shapedTree() of Poco's tree",
          "[json]") {
    std::mt19937 random(23);
    RecordShape shape;
    shape.members = {"a", "k1", "o"};
    shape.objects_as_text = true;
    for (int i = 0; i < 500; ++i) {
        Array::Ptr records = new Array;
        for (auto n = random() % 4; n > 0; --n) {
            Object::Ptr record = new Object;
            for (const char* key : {"a", "b", "k1", "o", "z"}) {
                if (random() % 3 != 0) record->set(key, plainValue(random, 3));
            }
            records->add(record);
        }
        if (random() % 4 == 0) records->add(plainValue(random, 3));
        Object envelope;
        envelope.set("data", records);
        envelope.set("count", records->size());
        // Objects as deep as the records, elsewhere in the answer, are read whole.
        Array::Ptr other = new Array;
        if (records->size() > 0) other->add(records->get(0));
        envelope.set("other", other);
        const auto text = jsonText(envelope);
        INFO(text);
        const auto whole = Poco::JSON::Parser().parse(text);
        REQUIRE(sameTree(parseJson(text, &shape), shapedTree(whole, shape)));
    }
    // Text only Poco's parser takes comes whole, and what it refuses is refused alike.
    const std::string poco_only = R"({"data": [{"a": {"b": "\u0000"}, "z": 1}]})";
    CHECK(sameTree(parseJson(poco_only, &shape), Poco::JSON::Parser().parse(poco_only)));
    const std::string broken = R"({"data": [{"z": {"b": tru}, "a": 1}]})";
    CHECK_THROWS_AS(parseJson(broken, &shape), Poco::Exception);
    const std::string skipped_bad_utf8 = "{\"data\": [{\"z\": \"\xff\", \"a\": 1}]}";
    CHECK(pocoRefusal(skipped_bad_utf8) != "accepted");
    CHECK_THROWS_AS(parseJson(skipped_bad_utf8, &shape), Poco::Exception);
}
