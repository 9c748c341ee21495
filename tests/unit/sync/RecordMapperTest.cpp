#include "soar/client/JsonText.h"
#include "soar/client/JsonTree.h"
#include "soar/sync/RecordMapper.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <sstream>
#include <string>

using Poco::JSON::Object;
using soar::sync::MappingRules;
using soar::sync::RecordMapper;

namespace {

Object::Ptr parse(const std::string& text) {
    return Poco::JSON::Parser().parse(text).extract<Object::Ptr>();
}

template <typename Json>
std::string text(const Json& json) {
    std::ostringstream out;
    json.stringify(out);
    return out.str();
}

const char* const kContainer = R"({
    "id": 42, "name": "Phishing report", "label": "events", "severity": "high",
    "status": "new", "sensitivity": "amber", "description": "d", "owner": 7, "asset": 3,
    "tags": ["mail", "ops"], "source_data_identifier": "mail-881",
    "custom_fields": {"region": "eu", "nested": {"list": [1, {"deep": true}]}},
    "data": {"ticket": "T-1"}, "start_time": "2026-01-01T00:00:00.000000Z"
})";

const char* const kArtifact = R"({
    "id": 9001, "container": 42, "name": "sender", "label": "email", "severity": "low",
    "type": "network", "cef": {"fromEmail": "a@b.example", "hops": [1, 2]},
    "cef_types": {"fromEmail": ["email"]}, "tags": ["x"], "owner": 7,
    "source_data_identifier": "orig-sdi", "run_automation": true
})";

}  // namespace

TEST_CASE("RecordMapper maps a container: label map, added tags, sdi and origin", "[mapper]") {
    const RecordMapper mapper(MappingRules{"hq", {{"events", "hq_events"}}, {"from-hq", "ops"}});
    const auto mapped = mapper.container(*parse(kContainer));
    CHECK(mapped->getValue<std::string>("name") == "Phishing report");
    CHECK(mapped->getValue<std::string>("label") == "hq_events");
    CHECK(mapped->getValue<std::string>("source_data_identifier") == "soar-sync:hq:42");
    CHECK(mapped->getValue<bool>("run_automation") == false);
    CHECK(text(*mapped->getArray("tags")) == R"(["mail","ops","from-hq"])");  // no duplicate
    CHECK_FALSE(mapped->has("owner"));
    CHECK_FALSE(mapped->has("asset"));
    CHECK_FALSE(mapped->has("id"));
    const auto origin = mapped->getObject("data")->getObject("soar_sync");
    CHECK(origin->getValue<std::string>("instance") == "hq");
    CHECK(origin->getValue<std::int64_t>("id") == 42);
    CHECK(origin->getValue<std::string>("source_data_identifier") == "mail-881");
    CHECK(mapped->getObject("data")->getValue<std::string>("ticket") == "T-1");
    CHECK(text(*mapped->getObject("custom_fields")) ==
          R"({"nested":{"list":[1,{"deep":true}]},"region":"eu"})");
}

TEST_CASE("RecordMapper maps an artifact into the target container, automation off", "[mapper]") {
    const RecordMapper mapper(MappingRules{"hq", {}, {}});
    const auto mapped = mapper.artifact(*parse(kArtifact), 555);
    CHECK(mapped->getValue<std::int64_t>("container_id") == 555);
    CHECK(mapped->getValue<std::string>("source_data_identifier") == "soar-sync:hq:artifact:9001");
    CHECK(mapped->getValue<bool>("run_automation") == false);
    CHECK(text(*mapped->getObject("cef")) == R"({"fromEmail":"a@b.example","hops":[1,2]})");
    CHECK(text(*mapped->getObject("data")) == "{}");  // missing -> empty object
    CHECK_FALSE(mapped->has("owner"));
    CHECK_FALSE(mapped->has("container"));
}

TEST_CASE("RecordMapper copies a container's nested fields", "[mapper]") {
    const RecordMapper mapper(MappingRules{"hq", {}, {}});
    // A container's data gains the origin, so its nested fields are the body's own copies.
    const auto container = parse(kContainer);
    const auto mapped_container = mapper.container(*container);
    const auto before = text(*mapped_container);
    container->getObject("custom_fields")->getObject("nested")->set("list", 0);
    container->getObject("data")->set("ticket", "T-2");
    CHECK(text(*mapped_container) == before);
    CHECK_FALSE(container->getObject("data")->has("soar_sync"));
}

TEST_CASE("RecordMapper writes an artifact's text as Poco writes its object, and hashes it so",
          "[mapper]") {
    const RecordMapper mapper(MappingRules{"hq", {}, {}});
    // The text and hash a state written by earlier versions holds for kArtifact.
    const auto artifact = parse(kArtifact);
    const auto written = mapper.artifactText(*artifact);
    CHECK(
        written ==
        R"({"cef":{"fromEmail":"a@b.example","hops":[1,2]},"cef_types":{"fromEmail":["email"]},)"
        R"("data":{},"label":"email","name":"sender","severity":"low",)"
        R"("source_data_identifier":"soar-sync:hq:artifact:9001","tags":["x"],"type":"network"})");
    CHECK(soar::sync::sha256Hex(written) ==
          "c390b182ac2b718b02c7466a4f31a23c8403ddc65729ef210fa50d670f4bfeab");
    CHECK(RecordMapper::contentHash(*mapper.artifact(*artifact, 3)) ==
          soar::sync::sha256Hex(written));

    // Whatever the source holds: its object, without the two members that do not count,
    // stringified by Poco itself is the same text.
    for (const char* source : {
             kArtifact,
             R"({"id": "12", "type": "host", "name": "zo\u00eb \"q\" \\ \t\u0001 ü",
                 "description": null, "cef": null, "cef_types": "no", "data": {"z": 1, "a": [1.5,
                 -2, 1e300, true, null, {"k": "v"}], "m": {}}, "tags": [1, "a", null, 2.5],
                 "label": "", "kill_chain": "delivery", "end_time": null, "start_time": "s",
                 "severity": "medium", "extra": {"x": 1}})",
             R"({"tags": "solo", "cef": {"b": {"y": [], "x": {}}, "a": "\u2028/"}, "data": []})",
             R"({"id": 3, "container": 1, "name": 7, "severity": false, "tags": null})",
         }) {
        INFO(source);
        const auto record = parse(source);
        auto object = mapper.artifact(*record, 99);
        CHECK(object->getValue<std::int64_t>("container_id") == 99);
        CHECK(object->getValue<bool>("run_automation") == false);
        object->remove("container_id");
        object->remove("run_automation");
        CHECK(mapper.artifactText(*record) == text(*object));
    }
}

TEST_CASE("RecordMapper writes the same artifact text from a record read with only its members",
          "[mapper]") {
    // What SoarSource reads of an artifact page: artifactMembers(), objects as text.
    const RecordMapper mapper(MappingRules{"hq", {}, {}});
    soar::sync::RecordShape shape;
    shape.members = RecordMapper::artifactMembers();
    shape.objects_as_text = true;
    REQUIRE(std::is_sorted(shape.members.begin(), shape.members.end()));
    const char* const sources[] = {
        kArtifact,
        R"({"id": 5, "cef": {"z": {"b": 1, "a": [{"y": 1, "x": null}]}, "z": "last",
            "\u00e9": 1}, "cef_types": {"b": ["ip"], "a": ["domain", "url"]},
            "data": {"n": 1.25}, "name": "zo\u00eb", "owner": {"id": 3}, "hash": "abc"})",
        R"({"id": 6, "cef": [], "cef_types": "x", "data": null, "tags": "solo"})",
    };
    for (const char* source : sources) {
        INFO(source);
        const std::string page = std::string(R"({"data": [)") + source + "]}";
        const auto whole = soar::sync::parseJson(page);
        const auto shaped = soar::sync::parseJson(page, &shape);
        const auto record = [](const Poco::Dynamic::Var& tree) {
            return tree.extract<Object::Ptr>()->getArray("data")->getObject(0);
        };
        CHECK(mapper.artifactText(*record(shaped)) == mapper.artifactText(*record(whole)));
        CHECK_FALSE(record(shaped)->has("owner"));
    }
}

TEST_CASE("contentHash ignores where the copy lives and follows the content", "[mapper]") {
    const RecordMapper mapper(MappingRules{"hq", {}, {}});
    const auto source = parse(kArtifact);
    const auto a = RecordMapper::contentHash(*mapper.artifact(*source, 1));
    CHECK(a.size() == 64);
    CHECK(RecordMapper::contentHash(*mapper.artifact(*source, 2)) == a);
    source->getObject("cef")->set("fromEmail", "other@example");
    CHECK(RecordMapper::contentHash(*mapper.artifact(*source, 1)) != a);
}

TEST_CASE("Note markers are found again, and only for this source instance", "[mapper]") {
    const RecordMapper hq(MappingRules{"hq", {}, {}});
    const RecordMapper dr(MappingRules{"dr", {}, {}});
    const auto note = hq.note(*parse(R"({"id": 77, "title": "t", "content": "body",
                                          "author_name": "ana", "create_time": "x"})"),
                              5);
    const auto content = note->getValue<std::string>("content");
    CHECK(content.rfind("body\n\n[soar-sync:hq:note:77] copied from hq note 77 by ana", 0) == 0);
    CHECK(hq.markedSourceId(false, content) == 77);
    CHECK(hq.markedSourceId(true, content) == -1);
    CHECK(dr.markedSourceId(false, content) == -1);
    CHECK(hq.markedSourceId(false, "[soar-sync:hq:note:12") == -1);
    CHECK(hq.markedSourceId(false, "[soar-sync:hq:note:]") == -1);
}
