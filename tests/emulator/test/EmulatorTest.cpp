// Behaviour of soar-emulator over real HTTP(S): auth, paging, filters, sorting, the
// container/artifact/note/comment/playbook semantics of shared/soar-api.md, custom lists
// (soar-api-more.md §2), seeded data, time variants and fault injection.

#include "EmulatorTestClient.h"
#include "soar/emulator/Emulator.h"
#include "support/TestCertificate.h"

#include <Poco/JSON/Stringifier.h>
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using soar::emulator::Emulator;
using soar::emulator::EmulatorOptions;
using soar::emulator::PlaybookSpec;
using soar::emulator::test::Auth;
using soar::emulator::test::Client;
using soar::emulator::test::enc;
using soar::emulator::test::HttpResult;

namespace {

EmulatorOptions seeded(int containers, int artifacts = 0, std::uint64_t seed = 7) {
    EmulatorOptions o;
    o.seed = seed;
    o.containers = containers;
    o.artifacts = artifacts;
    return o;
}

std::vector<std::int64_t> ids(const Poco::JSON::Array::Ptr& data) {
    std::vector<std::int64_t> out;
    for (std::size_t i = 0; i < data->size(); ++i) {
        out.push_back(data->getObject(static_cast<unsigned int>(i))->getValue<Poco::Int64>("id"));
    }
    return out;
}

std::size_t countOf(Client& c, const std::string& target) {
    const HttpResult r = c.get(target);
    INFO(target << " -> " << r.status << " " << r.body);
    REQUIRE(r.status == 200);
    return r.object()->getValue<std::size_t>("count");
}

std::int64_t createContainer(Client& c, const std::string& body) {
    const HttpResult r = c.post("/rest/container", body);
    INFO(r.body);
    REQUIRE(r.status == 200);
    return r.object()->getValue<Poco::Int64>("id");
}

const std::regex kTimestamp(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$)");

}  // namespace

TEST_CASE("emulator: authentication by token, bearer and basic", "[emulator]") {
    Emulator emu({});
    Client c(emu);
    CHECK(c.get("/rest/version").status == 200);
    c.setAuth(Auth::Bearer);
    CHECK(c.get("/rest/version").status == 200);
    c.setAuth(Auth::BasicUser);
    CHECK(c.get("/rest/version").status == 200);
    c.setAuth(Auth::BasicToken);
    CHECK(c.get("/rest/version").status == 200);

    for (Auth bad : {Auth::None, Auth::BadToken}) {
        c.setAuth(bad);
        const HttpResult r = c.get("/rest/container");
        CHECK(r.status == 401);
        CHECK(r.failed());
        CHECK(!r.object()->getValue<std::string>("message").empty());
    }
    c.setAuth(Auth::Bearer);
    c.setToken("wrong");
    CHECK(c.get("/rest/version").status == 401);
}

TEST_CASE("emulator: DELETE needs a user, not a token", "[emulator]") {
    Emulator emu(seeded(3, 2));
    Client token(emu);
    Client user(emu, Auth::BasicUser);
    for (const char* target : {"/rest/container/1", "/rest/artifact/3"}) {
        const HttpResult r = token.del(target);
        CHECK(r.status == 403);
        CHECK(r.failed());
    }
    CHECK(user.del("/rest/artifact/3").status == 200);
    CHECK(token.get("/rest/artifact/3").status == 404);
    CHECK(user.del("/rest/container/1").status == 200);
    CHECK(token.get("/rest/container/1").status == 404);
    CHECK(emu.containerCount() == 2);
    CHECK(emu.artifactCount() == 3);  // the container's artifacts went with it
    CHECK(user.del("/rest/container/1").status == 404);
}

TEST_CASE("emulator: paging envelope, defaults and the page past the end", "[emulator]") {
    Emulator emu(seeded(25));
    Client c(emu);
    HttpResult r = c.get("/rest/container");
    REQUIRE(r.status == 200);
    auto env = r.object();
    CHECK(env->getValue<int>("count") == 25);
    CHECK(env->getValue<int>("num_pages") == 3);
    CHECK(env->getArray("data")->size() == 10);
    CHECK(ids(env->getArray("data")).front() == 1);

    CHECK(c.get("/rest/container?page=2").data()->size() == 5);
    r = c.get("/rest/container?page=3");
    CHECK(r.status == 404);
    CHECK(r.failed());
    CHECK(r.object()->getValue<std::string>("message").find("That page contains no results") !=
          std::string::npos);

    r = c.get("/rest/container?page_size=0");
    CHECK(r.object()->getValue<int>("num_pages") == 1);
    CHECK(r.data()->size() == 25);

    // Walking pages of 7 visits every id once, in order, across the page boundaries.
    std::vector<std::int64_t> seen;
    for (int page = 0; page < 4; ++page) {
        r = c.get("/rest/container?page_size=7&page=" + std::to_string(page));
        REQUIRE(r.status == 200);
        CHECK(r.object()->getValue<int>("num_pages") == 4);
        const auto part = ids(r.data());
        seen.insert(seen.end(), part.begin(), part.end());
    }
    REQUIRE(seen.size() == 25);
    for (std::size_t i = 0; i < seen.size(); ++i) {
        CHECK(seen[i] == static_cast<std::int64_t>(i + 1));
    }
    CHECK(c.get("/rest/container?page_size=7&page=4").status == 404);

    // An empty result is an empty first page, not an error.
    r = c.get("/rest/container?_filter_id__gt=1000");
    CHECK(r.status == 200);
    CHECK(r.object()->getValue<int>("count") == 0);
    CHECK(r.data()->size() == 0);
    CHECK(c.get("/rest/container?page_size=x").status == 400);
    CHECK(c.get("/rest/container?page=-1").status == 400);
}

TEST_CASE("emulator: filter lookups and excludes", "[emulator]") {
    Emulator emu({});
    Client c(emu);
    const auto a =
        createContainer(c, R"({"name": "Alpha Beta", "label": "events", "severity": "high",
        "tags": ["x", "y"], "custom_fields": {"region": "emea"}, "source_data_identifier": "s-a"})");
    const auto b =
        createContainer(c, R"({"name": "alpha gamma", "label": "incident", "severity": "low",
        "tags": ["y"], "source_data_identifier": "s-b"})");
    const auto d = createContainer(c, R"({"name": "Delta 'quoted' \"name\"", "label": "events",
        "status": "closed", "source_data_identifier": "s-d"})");
    auto q = [&](const std::string& params) {
        const HttpResult r = c.get("/rest/container?page_size=0&" + params);
        INFO(params << " -> " << r.body);
        REQUIRE(r.status == 200);
        return ids(r.data());
    };
    using V = std::vector<std::int64_t>;
    CHECK(q("_filter_name=" + enc("\"Alpha Beta\"")) == V{a});
    CHECK(q("_filter_name=" + enc("'Alpha Beta'")) == V{a});
    CHECK(q("_filter_name__exact=" + enc("\"alpha beta\"")).empty());
    CHECK(q("_filter_name__iexact=" + enc("\"alpha beta\"")) == V{a});
    CHECK(q("_filter_name__contains=" + enc("\"lpha\"")) == (V{a, b}));
    CHECK(q("_filter_name__contains=" + enc("\"ALPHA\"")).empty());
    CHECK(q("_filter_name__icontains=" + enc("\"ALPHA\"")) == (V{a, b}));
    CHECK(q("_filter_name__startswith=" + enc("\"alpha\"")) == V{b});
    CHECK(q("_filter_name__endswith=" + enc("\"Beta\"")) == V{a});
    CHECK(q("_filter_name=" + enc(R"("Delta 'quoted' \"name\"")")) == V{d});
    CHECK(q("_filter_name=" + enc(R"('Delta \'quoted\' "name"')")) == V{d});
    CHECK(q("_filter_id__gt=" + std::to_string(a)) == (V{b, d}));
    CHECK(q("_filter_id__gte=" + std::to_string(b)) == (V{b, d}));
    CHECK(q("_filter_id__lt=" + std::to_string(b)) == V{a});
    CHECK(q("_filter_id__lte=" + std::to_string(b)) == (V{a, b}));
    CHECK(q("_filter_id__in=" + enc("[" + std::to_string(a) + ", " + std::to_string(d) + "]")) ==
          (V{a, d}));
    CHECK(q("_filter_id=" + enc("\"" + std::to_string(b) + "\"")) == V{b});  // "5" for an int
    CHECK(q("_filter_label__in=" + enc("[\"incident\"]")) == V{b});
    CHECK(q("_exclude_label=" + enc("\"incident\"")) == (V{a, d}));
    CHECK(q("_filter_label=" + enc("\"events\"") + "&_filter_severity=" + enc("\"high\"")) == V{a});
    CHECK(q("_filter_close_time__isnull=False") == V{d});
    CHECK(q("_filter_close_time__isnull=True") == (V{a, b}));
    CHECK(q("_filter_close_time__gt=" + enc("\"2000-01-01T00:00:00Z\"")) == V{d});
    CHECK(q("_filter_close_time__lt=" + enc("\"2999-01-01T00:00:00Z\"")) == V{d});
    CHECK(q("_filter_tags__contains=" + enc("[\"x\"]")) == V{a});
    CHECK(q("_filter_tags__contains=" + enc("[\"y\"]")) == (V{a, b}));
    CHECK(q("_filter_custom_fields__region=" + enc("\"emea\"")) == V{a});
    CHECK(q("_exclude_custom_fields__region=" + enc("\"emea\"")) == (V{b, d}));
    CHECK(q("_filter_in_case=False").size() == 3);
    CHECK(q("_filter_name__regex=" + enc("\"^[Aa]lpha\"")) == (V{a, b}));
    CHECK(q("_filter_id__range=" + enc("[" + std::to_string(b) + ", " + std::to_string(d) + "]")) ==
          (V{b, d}));
    // The incremental-read pattern: a time watermark plus an id order.
    const std::string t = Poco::JSON::Parser()
                              .parse(emu.recordJson("container", b))
                              .extract<Poco::JSON::Object::Ptr>()
                              ->getValue<std::string>("create_time");
    CHECK(q("_filter_create_time__gte=" + enc("\"" + t + "\"") + "&sort=id&order=asc") ==
          (V{b, d}));
    CHECK(q("_filter_create_time__gt=" + enc("\"" + t + "\"")) == V{d});
}

TEST_CASE("emulator: malformed filters answer 400 with a failed body", "[emulator]") {
    Emulator emu(seeded(3));
    Client c(emu);
    for (const std::string& params :
         {std::string("_filter_name=unquoted"), std::string("_filter_bogus=1"),
          std::string("_filter_name__bogus=") + enc("\"x\""), std::string("_filter_id__in=5"),
          std::string("_filter_name=") + enc("\"open"),
          std::string("_filter_id__isnull=") + enc("\"yes\""), std::string("_filter_id=[1,"),
          std::string("_exclude_id__range=[1]"), std::string("sort=nosuchfield"),
          std::string("sort=id&order=sideways"),
          std::string("_filter_name__regex=") + enc("\"(\"")}) {
        const HttpResult r = c.get("/rest/container?" + params);
        INFO(params << " -> " << r.body);
        CHECK(r.status == 400);
        CHECK(r.failed());
    }
    const HttpResult r = c.get("/rest/container?_filter_bogus=1");
    CHECK(r.object()->getValue<std::string>("message").find("bogus") != std::string::npos);
}

TEST_CASE("emulator: sort and order with a stable id tiebreak", "[emulator]") {
    Emulator emu(seeded(40));
    Client c(emu);
    auto check_sorted = [&](const std::string& field, bool desc) {
        const HttpResult r = c.get("/rest/container?page_size=0&sort=" + field +
                                   "&order=" + (desc ? "desc" : "asc"));
        REQUIRE(r.status == 200);
        const auto data = r.data();
        REQUIRE(data->size() == 40);
        for (unsigned int i = 1; i < data->size(); ++i) {
            const auto prev = data->getObject(i - 1);
            const auto cur = data->getObject(i);
            const std::string p = prev->get(field).toString();
            const std::string n = cur->get(field).toString();
            INFO(field << ": " << p << " then " << n);
            if (p == n) {
                const auto pid = prev->getValue<Poco::Int64>("id");
                const auto nid = cur->getValue<Poco::Int64>("id");
                CHECK((desc ? pid > nid : pid < nid));
            } else {
                CHECK((desc ? p > n : p < n));
            }
        }
    };
    check_sorted("severity", false);
    check_sorted("severity", true);
    check_sorted("name", false);
    check_sorted("create_time", true);
    const auto desc_ids = ids(c.get("/rest/container?order=desc&page_size=3").data());
    CHECK(desc_ids == std::vector<std::int64_t>{40, 39, 38});
}

TEST_CASE("emulator: container create, read, update and validation", "[emulator]") {
    Emulator emu({});
    Client c(emu);
    HttpResult r = c.post("/rest/container", R"({"name": "c1", "label": "events",
        "source_data_identifier": "src:1", "tags": ["a", "b"], "custom_fields": {"k1": "v1", "k2": "v2"},
        "severity": "High", "status": "new", "data": {"x": 1}})");
    REQUIRE(r.status == 200);
    CHECK(r.object()->getValue<bool>("success"));
    const auto id = r.object()->getValue<Poco::Int64>("id");

    r = c.get("/rest/container/" + std::to_string(id));
    REQUIRE(r.status == 200);
    auto obj = r.object();
    CHECK(!obj->has("data") == false);
    CHECK(obj->getValue<std::string>("severity") == "high");
    CHECK(obj->getValue<int>("version") == 1);
    CHECK(obj->getValue<int>("artifact_count") == 0);
    const std::string created = obj->getValue<std::string>("create_time");
    CHECK(std::regex_match(created, kTimestamp));
    CHECK(obj->getValue<std::string>("container_update_time") == created);
    CHECK(obj->getValue<std::string>("artifact_update_time") == created);
    for (const char* field : {"owner_name", "sensitivity", "container_type", "tenant", "hash",
                              "due_time", "kill_chain", "start_time", "close_time", "open_time"}) {
        CHECK(obj->has(field));
    }

    r = c.post("/rest/container/" + std::to_string(id),
               R"({"tags": ["c"], "custom_fields": {"k2": "changed"}, "status": "closed"})");
    REQUIRE(r.status == 200);
    obj = c.get("/rest/container/" + std::to_string(id)).object();
    CHECK(obj->getArray("tags")->size() == 1);  // tags are replaced
    CHECK(obj->getObject("custom_fields")->getValue<std::string>("k1") == "v1");  // merged
    CHECK(obj->getObject("custom_fields")->getValue<std::string>("k2") == "changed");
    CHECK(obj->getValue<int>("version") == 2);
    CHECK(obj->getValue<std::string>("container_update_time") > created);
    CHECK(!obj->get("close_time").isEmpty());

    // Timestamps strictly increase from write to write.
    std::string previous = obj->getValue<std::string>("container_update_time");
    for (int i = 0; i < 20; ++i) {
        const auto nid = createContainer(c, R"({"name": "n", "label": "events"})");
        const std::string t = Poco::JSON::Parser()
                                  .parse(emu.recordJson("container", nid))
                                  .extract<Poco::JSON::Object::Ptr>()
                                  ->getValue<std::string>("create_time");
        CHECK(t > previous);
        previous = t;
    }

    for (const char* bad :
         {R"({"name": "x", "label": "events", "severity": "catastrophic"})",
          R"({"name": "x", "label": "events", "status": 2})",
          R"({"name": "x", "label": "events", "sensitivity": "purple"})", R"({"label": "events"})",
          R"({"name": "x", "label": "events", "tags": 5})",
          R"({"name": "x", "label": "events", "start_time": "yesterday"})", R"([1, 2)",
          R"("just a string")"}) {
        r = c.post("/rest/container", bad);
        INFO(bad << " -> " << r.body);
        CHECK(r.status == 400);
        CHECK(r.failed());
    }
    CHECK(c.get("/rest/container/99999").status == 404);
    CHECK(c.get("/rest/container/99999").failed());
    CHECK(c.post("/rest/container/99999", "{}").status == 404);
}

TEST_CASE("emulator: unknown label is refused until added", "[emulator]") {
    Emulator emu({});
    Client c(emu);
    const std::string body = R"({"name": "x", "label": "threat_intel"})";
    HttpResult r = c.post("/rest/container", body);
    CHECK(r.status == 400);
    CHECK(r.object()->getValue<std::string>("message") ==
          "Label \"threat_intel\" is not a known label.");
    auto labels = c.get("/rest/container_options").object()->getArray("label");
    CHECK(labels->size() == 2);

    r = c.post("/rest/system_settings/events",
               R"({"add_label": true, "label_name": "threat_intel"})");
    CHECK(r.status == 200);
    CHECK(r.object()->getValue<bool>("success"));
    CHECK(c.post("/rest/container", body).status == 200);
    labels = c.get("/rest/container_options").object()->getArray("label");
    CHECK(labels->size() == 3);
    CHECK(c.post("/rest/system_settings/events",
                 R"({"remove_label": true, "label_name": "threat_intel"})")
              .status == 200);
    CHECK(c.post("/rest/container", R"({"name": "y", "label": "threat_intel"})").status == 400);
    emu.addLabel("added_in_process");
    CHECK(c.post("/rest/container", R"({"name": "z", "label": "added_in_process"})").status == 200);
}

TEST_CASE("emulator: duplicate source_data_identifier answers existing_container_id",
          "[emulator]") {
    Emulator emu({});
    Client c(emu);
    const auto first = createContainer(
        c, R"({"name": "a", "label": "events", "source_data_identifier": "dup-1"})");
    const HttpResult r =
        c.post("/rest/container",
               R"({"name": "b", "label": "events", "source_data_identifier": "dup-1"})");
    CHECK(r.status == 400);
    CHECK(r.failed());
    CHECK(r.object()->getValue<std::string>("message").rfind("duplicate", 0) == 0);
    CHECK(r.object()->getValue<Poco::Int64>("existing_container_id") == first);
    CHECK(emu.containerCount() == 1);
}

TEST_CASE("emulator: artifacts, content dedup, list POST and cef replacement", "[emulator]") {
    Emulator emu({});
    Client c(emu);
    const auto cid = createContainer(c, R"({"name": "c", "label": "events"})");
    const std::string cs = std::to_string(cid);
    const std::string art = R"({"container_id": )" + cs +
                            R"(, "name": "ip", "label": "event", "source_data_identifier": "a-1",
        "cef": {"sourceAddress": "10.0.0.1", "destinationAddress": "10.0.0.2"},
        "cef_types": {"sourceAddress": ["ip"]}, "run_automation": false})";
    HttpResult r = c.post("/rest/artifact", art);
    REQUIRE(r.status == 200);
    const auto aid = r.object()->getValue<Poco::Int64>("id");
    auto container = c.get("/rest/container/" + cs).object();
    CHECK(container->getValue<int>("artifact_count") == 1);
    const std::string aut1 = container->getValue<std::string>("artifact_update_time");

    r = c.post("/rest/artifact", art);  // same content: no new artifact
    CHECK(r.status == 200);
    CHECK(r.object()->getValue<Poco::Int64>("existing_artifact_id") == aid);
    CHECK(emu.artifactCount() == 1);

    // Same SDI, different content: a second artifact (SOAR does not dedup by SDI).
    std::string changed = art;
    changed.replace(changed.find("10.0.0.1"), 8, "10.0.0.9");
    r = c.post("/rest/artifact", changed);
    CHECK(r.status == 200);
    CHECK(r.object()->has("id"));
    CHECK(emu.artifactCount() == 2);

    // List form: per-item results in order; 200 when at least one succeeded.
    r = c.post("/rest/artifact",
               "[" + art + R"(, {"container_id": 424242, "name": "bad"}, {"container_id": )" + cs +
                   R"(, "name": "new one", "cef": {"fileHash": "abc"}}])");
    REQUIRE(r.status == 200);
    auto results = r.array();
    REQUIRE(results->size() == 3);
    CHECK(results->getObject(0)->getValue<Poco::Int64>("existing_artifact_id") == aid);
    CHECK(results->getObject(1)->getValue<bool>("failed"));
    CHECK(results->getObject(2)->has("id"));
    r = c.post("/rest/artifact", R"([{"container_id": 424242}])");
    CHECK(r.status == 400);
    CHECK(c.post("/rest/artifact", R"({"name": "no container"})").status == 400);
    CHECK(c.post("/rest/artifact", R"({"container_id": 424242})").failed());

    // Update: top-level fields merge, cef is replaced wholesale.
    r = c.post("/rest/artifact/" + std::to_string(aid),
               R"({"cef": {"requestURL": "http://x"}, "severity": "high"})");
    REQUIRE(r.status == 200);
    auto a = c.get("/rest/artifact/" + std::to_string(aid)).object();
    CHECK(a->getObject("cef")->size() == 1);
    CHECK(a->getObject("cef")->getValue<std::string>("requestURL") == "http://x");
    CHECK(a->getValue<std::string>("name") == "ip");
    CHECK(a->getValue<std::string>("severity") == "high");
    CHECK(a->getValue<Poco::Int64>("container") == cid);
    CHECK(a->getValue<std::string>("update_time") > a->getValue<std::string>("create_time"));
    CHECK(a->getValue<int>("version") == 2);
    container = c.get("/rest/container/" + cs).object();
    CHECK(container->getValue<std::string>("artifact_update_time") > aut1);
    CHECK(container->getValue<int>("artifact_count") == 3);
    CHECK(container->getValue<int>("version") == 1);  // artifacts do not edit the container

    // Listing: sub-collection, filter by container (and its _id alias), cef sub-keys.
    r = c.get("/rest/container/" + cs + "/artifacts?sort=id&order=asc&page_size=0");
    CHECK(r.object()->getValue<int>("count") == 3);
    CHECK(countOf(c, "/rest/artifact?_filter_container=" + cs) == 3);
    CHECK(countOf(c, "/rest/artifact?_filter_container_id=" + cs) == 3);
    CHECK(countOf(c, "/rest/artifact?_filter_cef__sourceAddress=" + enc("\"10.0.0.9\"")) == 1);
    CHECK(countOf(c, "/rest/artifact?_filter_cef__fileHash__icontains=" + enc("\"ABC\"")) == 1);
    CHECK(countOf(c, "/rest/artifact?_filter_container__name=" + enc("\"c\"")) == 3);
    CHECK(countOf(c, "/rest/artifact?_filter_source_data_identifier=" + enc("\"a-1\"")) == 2);
    CHECK(c.get("/rest/container/999/artifacts").status == 404);

    // Embedded artifacts in a container POST.
    r = c.post("/rest/container", R"({"name": "with artifacts", "label": "events", "artifacts": [
        {"name": "one", "cef": {"a": 1}}, {"name": "two", "cef": {"a": 2}}, {"name": "one", "cef": {"a": 1}}]})");
    REQUIRE(r.status == 200);
    CHECK(r.object()->getArray("new_artifact_ids")->size() == 2);
    CHECK(r.object()->getArray("artifacts")->getObject(2)->has("existing_artifact_id"));
    CHECK(countOf(c, "/rest/container/" + std::to_string(r.object()->getValue<Poco::Int64>("id")) +
                         "/artifacts") == 2);
}

TEST_CASE("emulator: notes and comments", "[emulator]") {
    Emulator emu({});
    Client c(emu);
    const auto cid = createContainer(c, R"({"name": "c", "label": "events"})");
    const std::string cs = std::to_string(cid);
    HttpResult r = c.post(
        "/rest/note",
        R"({"container_id": )" + cs +
            R"(, "title": "T", "content": "body", "note_type": "general", "note_format": "markdown"})");
    REQUIRE(r.status == 200);
    const auto nid = r.object()->getValue<Poco::Int64>("id");
    auto note = c.get("/rest/note/" + std::to_string(nid)).object();
    CHECK(note->getValue<std::string>("title") == "T");
    const std::string created = note->getValue<std::string>("create_time");
    CHECK(std::regex_match(created, kTimestamp));
    REQUIRE(c.post("/rest/note/" + std::to_string(nid), R"({"content": "edited"})").status == 200);
    note = c.get("/rest/note/" + std::to_string(nid)).object();
    CHECK(note->getValue<std::string>("content") == "edited");
    CHECK(note->getValue<std::string>("title") == "T");
    CHECK(note->getValue<std::string>("modified_time") > created);
    CHECK(countOf(c, "/rest/container/" + cs + "/notes") == 1);
    CHECK(countOf(c, "/rest/note?_filter_container=" + cs +
                         "&_filter_modified_time__gt=" + enc("\"" + created + "\"")) == 1);
    CHECK(c.post("/rest/note", R"({"container_id": 999, "title": "x"})").status == 400);
    CHECK(c.post("/rest/note", R"({"container_id": )" + cs + R"(, "note_format": "rtf"})").status ==
          400);

    r = c.post("/rest/container_comment", R"({"container_id": )" + cs + R"(, "comment": "hello"})");
    REQUIRE(r.status == 200);
    const auto comment = r.object()->getValue<Poco::Int64>("id");
    CHECK(countOf(c, "/rest/container/" + cs + "/comments") == 1);
    CHECK(countOf(c, "/rest/container_comment?_filter_container=" + cs) == 1);
    auto row = c.get("/rest/container_comment/" + std::to_string(comment)).object();
    CHECK(std::regex_match(row->getValue<std::string>("time"), kTimestamp));
    Client user(emu, Auth::BasicUser);
    r = user.del("/rest/container_comment/" + std::to_string(comment));
    CHECK(r.status == 405);
    CHECK(r.failed());
    CHECK(c.post("/rest/container_comment", R"({"container_id": )" + cs + "}").status == 400);
    CHECK(emu.noteCount() == 1);
    CHECK(emu.commentCount() == 1);
}

TEST_CASE("emulator: playbook runs progress, fail and cancel", "[emulator]") {
    EmulatorOptions o;
    o.playbooks = {PlaybookSpec{"local", "enrich", "success", 0.2},
                   PlaybookSpec{"community", "contain", "failed", 0.2},
                   PlaybookSpec{"local", "slow", "success", 30}};
    Emulator emu(o);
    Client c(emu);
    const auto cid = createContainer(c, R"({"name": "c", "label": "events"})");
    const std::string cs = std::to_string(cid);

    HttpResult r = c.get("/rest/playbook?_filter_name=" + enc("\"enrich\""));
    REQUIRE(r.object()->getValue<int>("count") == 1);
    const auto enrich = r.data()->getObject(0)->getValue<Poco::Int64>("id");
    CHECK(countOf(c, "/rest/playbook?_filter_scm__name=" + enc("\"community\"")) == 1);
    CHECK(countOf(c, "/rest/playbook?_filter_active=True") == 3);

    auto start = [&](const std::string& playbook) {
        const HttpResult s =
            c.post("/rest/playbook_run", R"({"container_id": )" + cs + R"(, "playbook_id": )" +
                                             playbook + R"(, "scope": "new", "run": true})");
        INFO(s.body);
        REQUIRE(s.status == 200);
        const auto body = s.object();
        CHECK(body->getValue<bool>("received"));
        REQUIRE(body->get("playbook_run_id").isString());  // a string, like the real one
        return body->getValue<std::string>("playbook_run_id");
    };
    const std::string ok = start(std::to_string(enrich));
    const std::string bad = start("\"community/contain\"");
    const std::string slow = start("\"local/slow\"");
    CHECK(c.get("/rest/playbook_run/" + ok).object()->getValue<std::string>("status") == "running");
    CHECK(countOf(c, "/rest/playbook_run?_filter_container=" + cs +
                         "&_filter_status=" + enc("\"running\"")) == 3);

    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    auto run = c.get("/rest/playbook_run/" + ok).object();
    CHECK(run->getValue<std::string>("status") == "success");
    CHECK(!run->get("end_time").isEmpty());
    CHECK(c.get("/rest/playbook_run/" + bad).object()->getValue<std::string>("status") == "failed");
    CHECK(c.get("/rest/playbook_run/" + slow).object()->getValue<std::string>("status") ==
          "running");

    r = c.post("/rest/playbook_run/" + slow, R"({"cancel": true})");
    CHECK(r.status == 200);
    CHECK(r.object()->getValue<std::string>("playbook_run_id") == slow);
    CHECK(c.get("/rest/playbook_run/" + slow).object()->getValue<std::string>("status") ==
          "cancelled");
    // Cancelling a finished run is accepted and changes nothing.
    CHECK(c.post("/rest/playbook_run/" + ok, R"({"cancel": true})").status == 200);
    CHECK(c.get("/rest/playbook_run/" + ok).object()->getValue<std::string>("status") == "success");
    CHECK(countOf(c, "/rest/container/" + cs + "/playbook_runs") == 3);

    r = c.post("/rest/playbook_run",
               R"({"container_id": )" + cs + R"(, "playbook_id": 999, "run": true})");
    CHECK(r.status == 404);
    CHECK(r.object()->getValue<std::string>("message") == "Playbook \"999\" not found");
    CHECK(c.post("/rest/playbook_run", R"({"container_id": 999, "playbook_id": 1, "run": true})")
              .status == 404);
    CHECK(c.post("/rest/playbook_run/" + ok, R"({"nothing": true})").status == 400);
    CHECK(emu.playbookRunCount() == 3);
}

TEST_CASE("emulator: version, system_info, vocabularies and error routes", "[emulator]") {
    Emulator emu({});
    Client c(emu);
    CHECK(c.get("/rest/version").object()->getValue<std::string>("version") == "6.4.1.361");
    const auto info = c.get("/rest/system_info").object();
    CHECK(info->getValue<std::string>("time_zone") == "UTC");
    CHECK(info->getValue<std::string>("base_url") == emu.baseUrl());
    CHECK(countOf(c, "/rest/severity") == 3);
    CHECK(countOf(c, "/rest/container_status?_filter_name=" + enc("\"closed\"")) == 1);
    CHECK(c.post("/rest/severity", R"({"name": "critical", "color": "purple"})").status == 200);
    CHECK(c.post("/rest/container", R"({"name": "x", "label": "events", "severity": "critical"})")
              .status == 200);

    HttpResult r = c.get("/rest/no_such_thing");
    CHECK(r.status == 404);
    CHECK(r.failed());
    CHECK(c.get("/nowhere").status == 404);
    r = c.send("PUT", "/rest/container", "{}");
    CHECK(r.status == 405);
    CHECK(r.failed());
    CHECK(c.del("/rest/version").status == 405);
    r = c.post("/rest/container", "{not json");
    CHECK(r.status == 400);
    CHECK(r.failed());
}

TEST_CASE("emulator: seeded data is deterministic and varied", "[emulator]") {
    Emulator one(seeded(60, 3, 42));
    Emulator two(seeded(60, 3, 42));
    Emulator other(seeded(60, 3, 43));
    Client c1(one), c2(two), c3(other);
    for (const char* target : {"/rest/container?page_size=0", "/rest/artifact?page_size=0"}) {
        const std::string a = c1.get(target).body;
        CHECK(a == c2.get(target).body);
        CHECK(a != c3.get(target).body);
    }
    CHECK(one.containerCount() == 60);
    CHECK(one.artifactCount() == 180);
    std::set<std::string> labels, severities, statuses, cef_keys;
    bool unicode = false;
    const auto containers = c1.get("/rest/container?page_size=0").data();
    for (unsigned int i = 0; i < containers->size(); ++i) {
        const auto row = containers->getObject(i);
        labels.insert(row->getValue<std::string>("label"));
        severities.insert(row->getValue<std::string>("severity"));
        statuses.insert(row->getValue<std::string>("status"));
        const std::string name = row->getValue<std::string>("name");
        unicode = unicode || std::any_of(name.begin(), name.end(), [](char ch) {
                      return static_cast<unsigned char>(ch) >= 0x80;
                  });
    }
    const auto artifacts = c1.get("/rest/artifact?page_size=0").data();
    for (unsigned int i = 0; i < artifacts->size(); ++i) {
        for (const auto& [key, value] : *artifacts->getObject(i)->getObject("cef")) {
            cef_keys.insert(key);
        }
    }
    CHECK(labels.size() == 2);
    CHECK(severities.size() == 3);
    CHECK(statuses.size() == 3);
    CHECK(cef_keys.size() >= 6);
    CHECK(unicode);
    CHECK(countOf(c1, "/rest/container?_filter_label__in=" + enc("[\"events\"]")) > 0);
}

TEST_CASE("emulator: seeded notes and comments are deterministic and keep the containers",
          "[emulator]") {
    auto withNotes = [](std::uint64_t seed, int notes) {
        EmulatorOptions o = seeded(20, 2, seed);
        o.notes = notes;
        return o;
    };
    Emulator one(withNotes(42, 2));
    Emulator two(withNotes(42, 2));
    Emulator other(withNotes(43, 2));
    Emulator without(withNotes(42, 0));
    Client c1(one), c2(two), c3(other), c0(without);
    CHECK(one.noteCount() == 40);
    CHECK(one.commentCount() == 40);
    CHECK(without.noteCount() == 0);
    CHECK(without.commentCount() == 0);
    for (const char* target : {"/rest/note?page_size=0", "/rest/container_comment?page_size=0"}) {
        const std::string a = c1.get(target).body;
        CHECK(a == c2.get(target).body);
        CHECK(a != c3.get(target).body);
    }
    // Notes draw from their own sequence: the containers and artifacts are those of the seed.
    for (const char* target : {"/rest/container?page_size=0", "/rest/artifact?page_size=0"}) {
        CHECK(c1.get(target).body == c0.get(target).body);
    }
    std::set<std::string> contents;
    const auto containers = c1.get("/rest/container?page_size=0").data();
    for (unsigned int i = 0; i < containers->size(); ++i) {
        const auto container = containers->getObject(i);
        const std::string cs = std::to_string(container->getValue<Poco::Int64>("id"));
        const std::string created = container->getValue<std::string>("create_time");
        const auto notes = c1.get("/rest/container/" + cs + "/notes?page_size=0").data();
        const auto comments = c1.get("/rest/container/" + cs + "/comments?page_size=0").data();
        REQUIRE(notes->size() == 2);
        REQUIRE(comments->size() == 2);
        for (unsigned int k = 0; k < 2; ++k) {
            const auto note = notes->getObject(k);
            CHECK(!note->getValue<std::string>("title").empty());
            contents.insert(note->getValue<std::string>("content"));
            CHECK(note->getValue<std::string>("note_type") == "general");
            CHECK(note->getValue<std::string>("note_format") == "markdown");
            CHECK(std::regex_match(note->getValue<std::string>("modified_time"), kTimestamp));
            CHECK(note->getValue<std::string>("create_time") > created);
            const auto comment = comments->getObject(k);
            CHECK(!comment->getValue<std::string>("comment").empty());
            CHECK(comment->getValue<std::string>("time") > created);
        }
    }
    CHECK(contents.size() >= 5);
    // Writes after seeding are dated after every seeded record.
    const auto last = c1.get("/rest/container_comment?sort=time&order=desc&page_size=1")
                          .data()
                          ->getObject(0)
                          ->getValue<std::string>("time");
    const HttpResult r =
        c1.post("/rest/container_comment", R"({"container_id": 1, "comment": "x"})");
    REQUIRE(r.status == 200);
    CHECK(
        c1.get("/rest/container_comment/" + std::to_string(r.object()->getValue<Poco::Int64>("id")))
            .object()
            ->getValue<std::string>("time") > last);
}

TEST_CASE("emulator: containers seeded with an extra label come after the others", "[emulator]") {
    EmulatorOptions o = seeded(10, 1, 5);
    o.extra_label = "phishing";
    o.extra_label_containers = 3;
    Emulator emu(o);
    Emulator plain(seeded(10, 1, 5));
    Client c(emu), p(plain);
    CHECK(emu.containerCount() == 13);
    CHECK(emu.artifactCount() == 13);
    const std::string first_ten = "/rest/container?page_size=0&_filter_id__lte=10";
    CHECK(c.get(first_ten).body == p.get(first_ten).body);
    const auto labelled =
        c.get("/rest/container?page_size=0&_filter_label=" + enc("\"phishing\"")).data();
    CHECK(ids(labelled) == std::vector<std::int64_t>{11, 12, 13});
    const auto labels = c.get("/rest/container_options").object()->getArray("label");
    REQUIRE(labels->size() == 3);
    CHECK(labels->getElement<std::string>(2) == "phishing");
    CHECK(c.get("/rest/container/12").object()->getValue<std::string>("source_data_identifier") ==
          "seed-5-12");
    Emulator again(o);
    Client a(again);
    CHECK(a.get("/rest/container?page_size=0").body == c.get("/rest/container?page_size=0").body);

    // A target without the label refuses such a container until the label is added.
    Emulator target({});
    Client t(target);
    const std::string copy = R"({"name": "copy", "label": "phishing"})";
    CHECK(t.post("/rest/container", copy).status == 400);
    REQUIRE(
        t.post("/rest/system_settings/events", R"({"add_label": true, "label_name": "phishing"})")
            .status == 200);
    CHECK(t.post("/rest/container", copy).status == 200);
}

TEST_CASE("emulator: coarse time makes records tie on whole seconds", "[emulator]") {
    EmulatorOptions o = seeded(1100, 0);
    o.coarse_time = true;
    Emulator emu(o);
    Client c(emu);
    const auto first = c.get("/rest/container/1").object()->getValue<std::string>("create_time");
    CHECK(first.substr(19) == ".000000Z");
    CHECK(countOf(c, "/rest/container?_filter_create_time=" + enc("\"" + first + "\"")) >= 500);
    std::set<std::string> stamps;
    for (int i = 0; i < 5; ++i) {
        const auto id = createContainer(c, R"({"name": "tie", "label": "events"})");
        const std::string t = c.get("/rest/container/" + std::to_string(id))
                                  .object()
                                  ->getValue<std::string>("create_time");
        CHECK(t.substr(19) == ".000000Z");
        stamps.insert(t);
    }
    CHECK(stamps.size() <= 2);  // five quick writes share (at most two) whole seconds
}

TEST_CASE("emulator: null update time on never-edited containers", "[emulator]") {
    EmulatorOptions o = seeded(20, 1);
    o.null_update_time = true;
    Emulator emu(o);
    Client c(emu);
    const auto id = createContainer(c, R"({"name": "fresh", "label": "events"})");
    const std::string path = "/rest/container/" + std::to_string(id);
    auto row = c.get(path).object();
    CHECK(row->get("container_update_time").isEmpty());
    CHECK(row->get("artifact_update_time").isEmpty());
    const std::size_t never_edited =
        countOf(c, "/rest/container?_filter_container_update_time__isnull=True");
    CHECK(never_edited >= 1);
    // A null never matches gt/lt.
    const std::size_t after = countOf(
        c, "/rest/container?_filter_container_update_time__gt=" + enc("\"2000-01-01T00:00:00Z\""));
    CHECK(after + never_edited == 21);
    emu.editContainer(id, R"({"severity": "low"})");
    row = c.get(path).object();
    CHECK(!row->get("container_update_time").isEmpty());
    CHECK(countOf(c, "/rest/container?_filter_container_update_time__isnull=True") ==
          never_edited - 1);
    emu.addArtifact(R"({"container_id": )" + std::to_string(id) + R"(, "name": "a"})");
    CHECK(!c.get(path).object()->get("artifact_update_time").isEmpty());
}

TEST_CASE("emulator: fault injection rates, Retry-After and determinism", "[emulator]") {
    auto statuses = [](double fail, double throttle, int n) {
        EmulatorOptions o;
        o.seed = 99;
        o.fail_rate = fail;
        o.throttle_rate = throttle;
        o.retry_after_seconds = 3;
        Emulator emu(o);
        Client c(emu);
        std::vector<int> out;
        for (int i = 0; i < n; ++i) {
            const HttpResult r = c.get("/rest/version");
            if (r.status == 429) {
                CHECK(r.retry_after == "3");
            }
            out.push_back(r.status);
        }
        CHECK(emu.requestCount() == static_cast<std::uint64_t>(n));
        return out;
    };
    const auto a = statuses(0.1, 0.05, 2000);
    const auto fails = std::count(a.begin(), a.end(), 500);
    const auto throttles = std::count(a.begin(), a.end(), 429);
    CHECK(fails >= 140);
    CHECK(fails <= 260);
    CHECK(throttles >= 50);
    CHECK(throttles <= 150);
    CHECK(std::count(a.begin(), a.end(), 200) + fails + throttles == 2000);
    CHECK(statuses(0.1, 0.05, 300) == std::vector<int>(a.begin(), a.begin() + 300));
}

TEST_CASE("emulator: a 500 may come after the write was applied", "[emulator]") {
    EmulatorOptions o;
    o.fail_rate = 1.0;
    Emulator emu(o);
    Client c(emu);
    for (int i = 0; i < 200; ++i) {
        CHECK(c.post("/rest/container", R"({"name": "x", "label": "events"})").status == 500);
    }
    CHECK(emu.containerCount() > 60);
    CHECK(emu.containerCount() < 140);
    emu.setFaults(0, 0, 0);
    CHECK(c.get("/rest/version").status == 200);
}

TEST_CASE("emulator: latency is added to requests", "[emulator]") {
    EmulatorOptions o;
    o.latency_ms = 50;
    Emulator emu(o);
    Client c(emu);
    const auto t0 = std::chrono::steady_clock::now();
    CHECK(c.get("/rest/version").status == 200);
    CHECK(std::chrono::steady_clock::now() - t0 >= std::chrono::milliseconds(50));
}

TEST_CASE("emulator: serves HTTPS with a test certificate", "[emulator]") {
    soar::test::TestCertificate cert;
    EmulatorOptions o = seeded(12);
    o.tls_cert = cert.certFile().string();
    o.tls_key = cert.keyFile().string();
    Emulator emu(o);
    CHECK(emu.baseUrl().rfind("https://127.0.0.1:", 0) == 0);
    Client c(emu, Auth::Token, cert.caFile().string());
    CHECK(c.get("/rest/version").status == 200);
    CHECK(countOf(c, "/rest/container?page_size=5&page=2") == 12);
    CHECK(c.post("/rest/container", R"({"name": "tls", "label": "events"})").status == 200);
    c.setAuth(Auth::BadToken);
    CHECK(c.get("/rest/version").status == 401);
}

TEST_CASE("emulator: a port in use is refused, not shared", "[emulator]") {
    Emulator first({});
    EmulatorOptions o;
    o.port = first.port();
    CHECK_THROWS(Emulator(o));
}

TEST_CASE("emulator: concurrent clients get unique ids", "[emulator]") {
    Emulator emu({});
    constexpr int kThreads = 8;
    constexpr int kEach = 50;
    std::vector<std::thread> threads;
    std::atomic<int> ok{0};
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&emu, &ok, t] {
            Client c(emu);
            for (int i = 0; i < kEach; ++i) {
                const HttpResult r =
                    c.post("/rest/container",
                           R"({"name": "p", "label": "events", "source_data_identifier": "t)" +
                               std::to_string(t) + "-" + std::to_string(i) + "\"}");
                if (r.status == 200) {
                    ++ok;
                }
                (void)c.get("/rest/container?page_size=5&sort=create_time&order=desc");
            }
        });
    }
    for (auto& th : threads) {
        th.join();
    }
    CHECK(ok == kThreads * kEach);
    CHECK(emu.containerCount() == static_cast<std::size_t>(kThreads * kEach));
    Client c(emu);
    const auto all = ids(c.get("/rest/container?page_size=0").data());
    CHECK(std::set<std::int64_t>(all.begin(), all.end()).size() == all.size());
}

TEST_CASE("emulator: in-process helpers and bulk container POST", "[emulator]") {
    Emulator emu({});
    const auto id = emu.createContainer(R"({"name": "direct", "label": "events"})");
    CHECK(emu.containerCount() == 1);
    const auto before = Poco::JSON::Parser()
                            .parse(emu.recordJson("container", id))
                            .extract<Poco::JSON::Object::Ptr>();
    emu.editContainer(id, R"({"status": "open"})");
    const auto after = Poco::JSON::Parser()
                           .parse(emu.recordJson("container", id))
                           .extract<Poco::JSON::Object::Ptr>();
    CHECK(after->getValue<int>("version") == before->getValue<int>("version") + 1);
    CHECK(after->getValue<std::string>("container_update_time") >
          before->getValue<std::string>("container_update_time"));
    CHECK(!after->get("open_time").isEmpty());
    CHECK_THROWS(emu.editContainer(id, R"({"label": "unknown"})"));
    CHECK_THROWS(emu.createContainer("{}"));
    CHECK(emu.recordJson("container", 999).empty());

    const auto direct = emu.direct("GET", "/rest/container?_filter_name=" + enc("\"direct\""));
    CHECK(direct.status == 200);
    CHECK(emu.requestCount() == 0);  // direct calls are not HTTP requests

    Client c(emu);
    // Bulk: an item with an id updates, one without creates, a bad one fails on its own.
    const HttpResult r =
        c.post("/rest/container", "[{\"id\": " + std::to_string(id) +
                                      R"(, "severity": "low"}, {"name": "new", "label": "events"},
            {"name": "bad", "label": "nope"}])");
    REQUIRE(r.status == 200);
    const auto results = r.array();
    REQUIRE(results->size() == 3);
    CHECK(results->getObject(0)->getValue<bool>("success"));
    CHECK(results->getObject(1)->getValue<bool>("success"));
    CHECK(results->getObject(2)->getValue<bool>("failed"));
    CHECK(emu.containerCount() == 2);
    CHECK(c.get("/rest/container/" + std::to_string(id))
              .object()
              ->getValue<std::string>("severity") == "low");
    CHECK(c.post("/rest/container", R"([{"name": "bad", "label": "nope"}])").status == 400);
    CHECK(emu.deleteContainer(id));
    CHECK(!emu.deleteContainer(id));
}

TEST_CASE("emulator: vault files are attached, listed, downloaded and deleted",
          "[emulator][vault]") {
    Emulator emu(seeded(2));
    Client token(emu);
    Client user(emu, Auth::BasicUser);
    std::string bytes = "MZ\x90";
    bytes += std::string(1, '\0') + "binary \xff\xfe payload";
    const auto first = emu.addAttachment(1, "evil.exe", bytes);
    // The same bytes again under another name, in the same container and in another one.
    const auto again = emu.addAttachment(1, "copy.bin", bytes);
    const auto other = emu.addAttachment(2, "evil.exe", bytes);
    CHECK(again != first);  // undocumented: this reading makes a second attachment
    CHECK(emu.attachmentCount() == 3);
    CHECK(emu.vaultDocumentCount() == 1);  // one document per content

    const auto listed = token.get("/rest/container_attachment?_filter_container_id=1");
    REQUIRE(listed.status == 200);
    REQUIRE(listed.data()->size() == 2);
    const auto row = listed.data()->getObject(0);
    const auto hash = row->getValue<std::string>("hash");
    CHECK(hash.size() == 40);
    CHECK(row->getValue<std::string>("vault_id") == hash);
    CHECK(row->getValue<std::int64_t>("size") == static_cast<std::int64_t>(bytes.size()));
    CHECK(row->getObject("metadata")->getValue<std::string>("sha1") == hash);
    CHECK(row->getValue<std::string>("name") == "evil.exe");
    CHECK(countOf(token, "/rest/container_attachment?_filter_container=2") == 1);
    CHECK(countOf(token, "/rest/container/1/attachments") == 2);
    CHECK(countOf(token,
                  "/rest/container_attachment?_filter_container_id=1&"
                  "_filter_vault_document__hash=" +
                      enc("\"" + hash + "\"")) == 2);
    CHECK(countOf(token, "/rest/vault_document?_filter_hash=" + enc("\"" + hash + "\"")) == 1);

    const auto download = token.get("/rest/download_attachment?vault_id=" + hash);
    CHECK(download.status == 200);
    CHECK(download.content_type == "application/octet-stream");
    CHECK(download.body == bytes);
    CHECK(token.get("/rest/download_attachment?vault_id=" + std::string(40, '0')).status == 404);

    const auto bad = token.post("/rest/container_attachment",
                                R"({"container_id": 1, "file_name": "x", "file_content": "%%%"})");
    CHECK(bad.status == 400);
    CHECK(bad.failed());
    CHECK(token
              .post("/rest/container_attachment",
                    R"({"container_id": 99, "file_name": "x", "file_content": "eA=="})")
              .status == 400);

    // A file stays in the vault while an attachment uses it.
    CHECK(token.del("/rest/container_attachment/" + std::to_string(first)).status == 403);
    CHECK(user.del("/rest/container_attachment/" + std::to_string(first)).status == 200);
    CHECK(user.del("/rest/container/1").status == 200);  // takes `again` with it
    CHECK(emu.attachmentCount() == 1);
    CHECK(emu.vaultDocumentCount() == 1);
    CHECK(user.del("/rest/container_attachment/" + std::to_string(other)).status == 200);
    CHECK(emu.vaultDocumentCount() == 0);
    CHECK(token.get("/rest/download_attachment?vault_id=" + hash).status == 404);
}

TEST_CASE("emulator: the other vault readings behind their flags", "[emulator][vault]") {
    EmulatorOptions options = seeded(1);
    options.attachment_dedup = true;
    options.attachment_answer_without_vault_id = true;
    Emulator emu(options);
    Client token(emu);
    const auto first = emu.addAttachment(1, "a.txt", "same");
    CHECK(emu.addAttachment(1, "b.txt", "same") == first);
    CHECK(emu.attachmentCount() == 1);
    const auto answer =
        token.post("/rest/container_attachment",
                   R"({"container_id": 1, "file_name": "c.txt", "file_content": "b3RoZXI="})");
    REQUIRE(answer.status == 200);
    CHECK(answer.object()->getValue<bool>("succeeded"));
    CHECK_FALSE(answer.object()->has("vault_id"));
    CHECK(answer.object()->getValue<std::string>("hash").size() == 40);
}

namespace {

Poco::JSON::Object::Ptr getObject(Client& c, const std::string& target) {
    const HttpResult r = c.get(target);
    INFO(target << " -> " << r.status << " " << r.body);
    REQUIRE(r.status == 200);
    return r.object();
}

/// The `message` of a 400 failed answer (fails the test if the answer is something else).
std::string refusal(const HttpResult& r) {
    INFO(r.status << " " << r.body);
    REQUIRE(r.status == 400);
    REQUIRE(r.failed());
    return r.object()->getValue<std::string>("message");
}

soar::emulator::WorkbookTemplateSpec triage() {
    soar::emulator::WorkbookTemplateSpec spec;
    spec.name = "Triage";
    spec.phases = {{"Detect", {{"Review alert", "look at it", false}, {"Scope", "", true}}},
                   {"Respond", {{"Contain", "", false}}}};
    return spec;
}

}  // namespace

TEST_CASE("emulator: users are seeded, added and assigned as container owners",
          "[emulator][workbook]") {
    EmulatorOptions options;
    options.users = {"alice", "bob"};
    Emulator emu(options);
    Client c(emu);
    // The two built-ins come first: admin 1, automation 2.
    auto users = getObject(c, "/rest/ph_user?_filter_username=" + enc("\"alice\""));
    REQUIRE(users->getValue<int>("count") == 1);
    CHECK(ids(users->getArray("data")) == std::vector<std::int64_t>{3});
    CHECK(emu.addUser("bob") == 4);  // exists already
    const auto carol = emu.addUser("carol");
    CHECK(carol == 5);
    CHECK(countOf(c, "/rest/ph_user") == 5);
    CHECK(countOf(c, "/rest/ph_user?_filter_username=" + enc("\"carol\"")) == 1);
    CHECK(emu.recordJson("ph_user", carol).find("\"carol\"") != std::string::npos);

    const auto id = createContainer(c, R"({"name": "owned", "label": "events", "owner_id": 3})");
    const std::string path = "/rest/container/" + std::to_string(id);
    auto row = getObject(c, path);
    CHECK(row->getValue<std::int64_t>("owner") == 3);
    CHECK(row->getValue<std::string>("owner_name") == "alice");
    REQUIRE(c.post(path, R"({"owner_id": 5})").status == 200);
    row = getObject(c, path);
    CHECK(row->getValue<std::int64_t>("owner") == 5);
    CHECK(row->getValue<std::string>("owner_name") == "carol");
    // Owner and role exclude each other: writing one clears the other.
    REQUIRE(c.post(path, R"({"role_id": 7})").status == 200);
    row = getObject(c, path);
    CHECK(row->get("owner").isEmpty());
    CHECK(row->get("owner_name").isEmpty());
    CHECK(row->getValue<std::int64_t>("role") == 7);
    REQUIRE(c.post(path, R"({"owner_id": 4})").status == 200);
    row = getObject(c, path);
    CHECK(row->getValue<std::int64_t>("owner") == 4);
    CHECK(row->get("role").isEmpty());
    CHECK(refusal(c.post(path, R"({"owner_id": 3, "role_id": 7})")).find("both") !=
          std::string::npos);
    CHECK(!refusal(c.post(path, R"({"owner_id": 99})")).empty());
    CHECK(!refusal(c.post("/rest/container", R"({"name": "x", "label": "events", "owner_id": 99})"))
               .empty());
    CHECK(getObject(c, path)->getValue<std::int64_t>("owner") == 4);  // refused = unchanged
    CHECK_THROWS(Emulator([] {
        EmulatorOptions bad;
        bad.users = {""};
        return bad;
    }()));
}

TEST_CASE("emulator: custom fields the instance defines, required ones and unknown ones",
          "[emulator][workbook]") {
    EmulatorOptions options;
    options.custom_fields = {{"Region", true}, {"Ticket", false}};
    Emulator emu(options);
    Client c(emu);
    CHECK(refusal(c.post("/rest/container", R"({"name": "x", "label": "events"})")) ==
          "Missing required custom field: 'Region'");
    CHECK(refusal(c.post("/rest/container",
                         R"({"name": "x", "label": "events", "custom_fields": {"Region": ""}})")) ==
          "Missing required custom field: 'Region'");
    CHECK(refusal(c.post("/rest/container", R"({"name": "x", "label": "events",
        "custom_fields": {"Region": "emea", "colour": "red"}})")) ==
          "Invalid custom field: 'colour'");
    CHECK(emu.containerCount() == 0);
    const auto id = createContainer(
        c, R"({"name": "x", "label": "events", "custom_fields": {"Region": "emea"}})");
    const std::string path = "/rest/container/" + std::to_string(id);
    REQUIRE(c.post(path, R"({"custom_fields": {"Ticket": "T-1"}})").status == 200);  // merge
    auto fields = getObject(c, path)->getObject("custom_fields");
    CHECK(fields->getValue<std::string>("Region") == "emea");
    CHECK(fields->getValue<std::string>("Ticket") == "T-1");
    CHECK(refusal(c.post(path, R"({"custom_fields": {"colour": "red"}})")) ==
          "Invalid custom field: 'colour'");
    CHECK(refusal(c.post(path, R"({"custom_fields": {"Region": null}})")).find("Region") !=
          std::string::npos);
    // A bulk item fails on its own with the same message.
    const HttpResult bulk = c.post("/rest/container", R"([{"name": "y", "label": "events"}])");
    CHECK(bulk.status == 400);
    CHECK(bulk.array()->getObject(0)->getValue<std::string>("message") ==
          "Missing required custom field: 'Region'");

    // An instance that defines none takes any custom field (as the other tests rely on).
    Emulator open_emu({});
    Client o(open_emu);
    CHECK(o.post("/rest/container", R"({"name": "x", "label": "events",
        "custom_fields": {"anything": 1}})")
              .status == 200);
}

TEST_CASE("emulator: container_type, sensitivity, due_time and kill_chain on create and update",
          "[emulator][workbook]") {
    Emulator emu({});
    Client c(emu);
    const auto id = createContainer(c, R"({"name": "x", "label": "events", "container_type": "case",
        "sensitivity": "RED", "due_time": "2024-05-01T10:00:00Z", "kill_chain": "Delivery"})");
    const std::string path = "/rest/container/" + std::to_string(id);
    auto row = getObject(c, path);
    CHECK(row->getValue<std::string>("container_type") == "case");
    CHECK(row->getValue<bool>("in_case"));
    CHECK(row->getValue<std::string>("sensitivity") == "red");
    CHECK(row->getValue<std::string>("due_time") == "2024-05-01T10:00:00.000000Z");
    CHECK(row->getValue<std::string>("kill_chain") == "Delivery");
    REQUIRE(c.post(path, R"({"container_type": "default", "sensitivity": "green",
        "due_time": null, "kill_chain": "Exploitation"})")
                .status == 200);
    row = getObject(c, path);
    CHECK(row->getValue<std::string>("container_type") == "default");
    CHECK(row->getValue<std::string>("sensitivity") == "green");
    CHECK(row->get("due_time").isEmpty());
    CHECK(row->getValue<std::string>("kill_chain") == "Exploitation");
    for (const char* bad : {R"({"container_type": "incident"})", R"({"sensitivity": "pink"})",
                            R"({"due_time": "soon"})", R"({"kill_chain": "Lunch"})"}) {
        CHECK(!refusal(c.post(path, bad)).empty());
    }
    CHECK(getObject(c, "/rest/container_options")->getArray("container_type")->size() == 2);
}

TEST_CASE("emulator: workbook templates with phases and tasks, and the workflow alias",
          "[emulator][workbook]") {
    EmulatorOptions options;
    options.workbook_templates = {triage()};
    Emulator emu(options);
    Client c(emu);
    auto tpl = getObject(c, "/rest/workbook_template/1");
    CHECK(tpl->getValue<std::string>("name") == "Triage");
    CHECK(tpl->getValue<std::string>("status") == "published");
    CHECK(!tpl->getValue<bool>("is_default"));
    for (const char* field :
         {"description", "is_note_required", "creator", "create_time", "modified_time"}) {
        CHECK(tpl->has(field));
    }
    HttpResult r = c.post("/rest/workbook_template", R"({"name": "Phishing", "is_default": true,
        "description": "mail", "phases": [
          {"name": "Analyse", "order": 1, "tasks": [
            {"name": "Headers", "order": 1, "description": "read them",
             "playbooks": [{"scm": "local", "playbook": "headers"}]},
            {"name": "Links", "order": 2, "description": ""}]},
          {"name": "Clean up", "order": 2, "tasks": [{"name": "Purge", "order": 1}]}]})");
    INFO(r.body);
    REQUIRE(r.status == 200);
    CHECK(r.object()->getValue<bool>("success"));
    const auto phishing = r.object()->getValue<std::int64_t>("id");
    CHECK(countOf(c, "/rest/workbook_template") == 2);
    CHECK(countOf(c, "/rest/workflow_template") == 2);  // the pre-4.5 name
    CHECK(getObject(c, "/rest/workflow_template/" + std::to_string(phishing))
              ->getValue<bool>("is_default"));
    const auto phases =
        getObject(c, "/rest/workbook_phase_template?_filter_template=" + std::to_string(phishing) +
                         "&sort=order");
    REQUIRE(phases->getValue<int>("count") == 2);
    CHECK(phases->getArray("data")->getObject(1)->getValue<std::string>("name") == "Clean up");
    const auto first_phase = phases->getArray("data")->getObject(0)->getValue<std::int64_t>("id");
    const auto tasks =
        getObject(c, "/rest/workbook_task_template?_filter_phase=" + std::to_string(first_phase) +
                         "&sort=order");
    REQUIRE(tasks->getValue<int>("count") == 2);
    const auto headers = tasks->getArray("data")->getObject(0);
    CHECK(headers->getValue<std::string>("description") == "read them");
    CHECK(headers->getObject("suggestions")->getArray("playbooks")->size() == 1);
    CHECK(countOf(c, "/rest/workbook_task_template?_filter_template=1") == 3);

    // Checked before anything is stored.
    CHECK(!refusal(c.post("/rest/workbook_template", R"({"name": "No default flag"})")).empty());
    CHECK(!refusal(c.post("/rest/workbook_template", R"({"is_default": false})")).empty());
    CHECK(!refusal(c.post("/rest/workbook_template", R"({"name": "Triage", "is_default": false})"))
               .empty());
    CHECK(!refusal(c.post("/rest/workbook_template", R"({"name": "Bad", "is_default": false,
        "phases": [{"name": "p", "tasks": [{"description": "no name"}]}]})"))
               .empty());
    CHECK(countOf(c, "/rest/workbook_template") == 2);
    CHECK(countOf(c, "/rest/workbook_phase_template") == 4);
    CHECK_THROWS(emu.addWorkbookTemplate(triage()));
    auto other = triage();
    other.name = "Triage 2";
    CHECK(emu.addWorkbookTemplate(other) == 3);
    // One default at a time.
    other.name = "Default";
    other.is_default = true;
    CHECK(emu.addWorkbookTemplate(other) == 4);
    CHECK(!getObject(c, "/rest/workbook_template/" + std::to_string(phishing))
               ->getValue<bool>("is_default"));

    Client user(emu, Auth::BasicUser);
    CHECK(c.del("/rest/workbook_template/3").status == 403);
    CHECK(user.del("/rest/workbook_template/3").status == 200);
    CHECK(countOf(c, "/rest/workbook_phase_template?_filter_template=3") == 0);
    CHECK(countOf(c, "/rest/workbook_task_template?_filter_template=3") == 0);
    CHECK(c.get("/rest/workbook_template/3").status == 404);
}

TEST_CASE(
    "emulator: a template becomes a live workbook on create (template_id) and on update "
    "(template), both keys on both",
    "[emulator][workbook]") {
    EmulatorOptions options;
    options.workbook_templates = {triage()};
    Emulator emu(options);
    Client c(emu);
    const auto on_create = createContainer(
        c, R"({"name": "a", "label": "events", "container_type": "case", "template_id": 1})");
    const auto on_create_alt =
        createContainer(c, R"({"name": "b", "label": "events", "template": 1})");
    const auto on_update = createContainer(c, R"({"name": "c", "label": "events"})");
    const auto on_update_alt = createContainer(c, R"({"name": "d", "label": "events"})");
    REQUIRE(c.post("/rest/container/" + std::to_string(on_update),
                   R"({"container_type": "case", "template": 1})")
                .status == 200);
    REQUIRE(c.post("/rest/container/" + std::to_string(on_update_alt), R"({"template_id": 1})")
                .status == 200);
    for (const auto id : {on_create, on_create_alt, on_update, on_update_alt}) {
        const std::string cs = std::to_string(id);
        const auto container = getObject(c, "/rest/container/" + cs);
        CHECK(container->getValue<std::string>("container_type") == "case");
        const auto phases = getObject(c, "/rest/container/" + cs + "/phases");
        REQUIRE(phases->getValue<int>("count") == 2);
        const auto detect = phases->getArray("data")->getObject(0);
        CHECK(detect->getValue<std::string>("name") == "Detect");
        CHECK(detect->getValue<int>("order") == 1);
        CHECK(container->getValue<std::int64_t>("current_phase") ==
              detect->getValue<std::int64_t>("id"));
        const auto tasks = detect->getArray("tasks");
        REQUIRE(tasks->size() == 2);
        const auto review = tasks->getObject(0);
        CHECK(review->getValue<std::string>("name") == "Review alert");
        CHECK(review->getValue<std::string>("description") == "look at it");
        CHECK(review->getValue<int>("status") == 0);
        CHECK(review->getValue<std::int64_t>("container") == id);
        CHECK(review->getValue<std::int64_t>("phase") == detect->getValue<std::int64_t>("id"));
        CHECK(tasks->getObject(1)->getValue<bool>("is_note_required"));
        for (const char* field : {"id", "order", "owner", "role", "suggestions", "create_time",
                                  "modified_time", "notified", "is_note_required", "sla",
                                  "sla_type", "start_time", "end_time", "notes", "files"}) {
            CHECK(review->has(field));
        }
        CHECK(phases->getArray("data")->getObject(1)->getArray("tasks")->size() == 1);
        CHECK(countOf(c, "/rest/workbook_phase?_filter_container=" + cs) == 2);
        CHECK(countOf(c, "/rest/workbook_task?_filter_container_id=" + cs) == 3);
    }
    CHECK(emu.workbookPhaseCount() == 8);
    CHECK(emu.workbookTaskCount() == 12);

    // The same template again: its phases a second time, after the first ones.
    const std::string cs = std::to_string(on_create);
    REQUIRE(c.post("/rest/container/" + cs, R"({"template": 1})").status == 200);
    const auto phases = getObject(c, "/rest/container/" + cs + "/phases?sort=order");
    REQUIRE(phases->getValue<int>("count") == 4);
    CHECK(phases->getArray("data")->getObject(2)->getValue<std::string>("name") == "Detect");
    CHECK(phases->getArray("data")->getObject(2)->getValue<int>("order") == 3);

    CHECK(
        !refusal(c.post("/rest/container", R"({"name": "x", "label": "events", "template_id": 9})"))
             .empty());
    CHECK(!refusal(c.post("/rest/container/" + cs, R"({"template": "nope"})")).empty());
    CHECK(!refusal(c.post("/rest/container", R"({"name": "x", "label": "events",
        "container_type": "default", "template_id": 1})"))
               .empty());
    CHECK(emu.containerCount() == 4);
    CHECK(countOf(c, "/rest/container/" + cs + "/phases") == 4);

    // Deleting a container deletes its workbook.
    Client user(emu, Auth::BasicUser);
    REQUIRE(user.del("/rest/container/" + cs).status == 200);
    CHECK(emu.workbookPhaseCount() == 6);
    CHECK(emu.workbookTaskCount() == 9);
    CHECK(c.get("/rest/container/" + cs + "/phases").status == 404);
}

TEST_CASE("emulator: phases and tasks made by hand, listed with filters, sort and paging",
          "[emulator][workbook]") {
    Emulator emu({});
    Client c(emu);
    const auto cid = createContainer(c, R"({"name": "x", "label": "events"})");
    const std::string cs = std::to_string(cid);
    HttpResult r =
        c.post("/rest/workbook_phase", R"({"container_id": )" + cs + R"(, "name": "Only"})");
    REQUIRE(r.status == 200);
    const auto phase = r.object()->getValue<std::int64_t>("id");
    const std::string ps = std::to_string(phase);
    r = c.post("/rest/workbook_phase",
               R"({"container_id": )" + cs + R"(, "name": "Later", "order": 5})");
    REQUIRE(r.status == 200);
    CHECK(getObject(c, "/rest/workbook_phase/" + ps)->getValue<int>("order") == 1);
    std::vector<std::int64_t> tasks;
    for (const char* name : {"one", "two", "three"}) {
        r = c.post("/rest/workbook_task",
                   R"({"phase_id": )" + ps + R"(, "name": ")" + name + R"(", "description": "d"})");
        REQUIRE(r.status == 200);
        tasks.push_back(r.object()->getValue<std::int64_t>("id"));
    }
    auto task = getObject(c, "/rest/workbook_task/" + std::to_string(tasks[2]));
    CHECK(task->getValue<int>("order") == 3);
    CHECK(task->getValue<std::int64_t>("container") == cid);
    CHECK(task->getValue<std::int64_t>("phase") == phase);
    CHECK(task->getValue<std::string>("description") == "d");

    CHECK(countOf(c, "/rest/workbook_task?_filter_container_id=" + cs + "&_filter_phase=" + ps) ==
          3);
    const auto page = getObject(c, "/rest/workbook_task?_filter_container_id=" + cs +
                                       "&sort=id&order=desc&page_size=2&page=0");
    CHECK(page->getValue<int>("num_pages") == 2);
    CHECK(ids(page->getArray("data")) == std::vector<std::int64_t>{tasks[2], tasks[1]});
    CHECK(c.get("/rest/workbook_task?_filter_container_id=" + cs + "&page_size=2&page=2").status ==
          404);
    // modified_time is a watermark: only the task changed after it comes back.
    const std::string mark = task->getValue<std::string>("modified_time");
    REQUIRE(c.post("/rest/workbook_task/" + std::to_string(tasks[0]), R"({"status": 2})").status ==
            200);
    const auto changed = getObject(c, "/rest/workbook_task?_filter_container_id=" + cs +
                                          "&_filter_modified_time__gt=" + enc("\"" + mark + "\"") +
                                          "&sort=modified_time");
    CHECK(ids(changed->getArray("data")) == std::vector<std::int64_t>{tasks[0]});
    CHECK(countOf(c, "/rest/workbook_phase?_filter_container=" + cs +
                         "&_filter_name=" + enc("\"Later\"")) == 1);

    for (const std::string& bad :
         std::vector<std::string>{R"({"name": "x"})", R"({"container_id": 999, "name": "x"})",
                                  R"({"container_id": )" + cs + "}",
                                  R"({"container_id": )" + cs + R"(, "name": "x", "order": 0})"}) {
        CHECK(!refusal(c.post("/rest/workbook_phase", bad)).empty());
    }
    for (const std::string& bad :
         std::vector<std::string>{R"({"name": "x"})", R"({"phase_id": 999, "name": "x"})",
                                  R"({"phase_id": )" + ps + "}"}) {
        CHECK(!refusal(c.post("/rest/workbook_task", bad)).empty());
    }
    CHECK(c.del("/rest/workbook_task/1").status == 405);
    CHECK(c.get("/rest/workbook_task/999").status == 404);
}

TEST_CASE(
    "emulator: task status transitions, closing notes, owners and task notes "
    "(phantomcyber codes 0/2/1 by default)",
    "[emulator][workbook]") {
    EmulatorOptions options;
    options.users = {"alice"};
    options.workbook_templates = {triage()};
    Emulator emu(options);
    Client c(emu);
    const auto cid = createContainer(c, R"({"name": "x", "label": "events", "template_id": 1})");
    const std::string cs = std::to_string(cid);
    const auto tasks = getObject(c, "/rest/workbook_task?_filter_container_id=" + cs);
    const auto review = ids(tasks->getArray("data"))[0];  // no note required
    const auto scope = ids(tasks->getArray("data"))[1];   // note required
    const std::string rs = "/rest/workbook_task/" + std::to_string(review);
    const std::string ss = "/rest/workbook_task/" + std::to_string(scope);

    // 0 = not started, 2 = in progress, 1 = complete: 0 -> 1 is refused.
    CHECK(refusal(c.post(rs, R"({"status": 1})")) == "Invalid status transition");
    std::string before = getObject(c, rs)->getValue<std::string>("modified_time");
    HttpResult r = c.post(rs, R"({"status": 2})");
    REQUIRE(r.status == 200);
    CHECK(r.object()->getValue<bool>("success"));
    auto task = getObject(c, rs);
    CHECK(task->getValue<int>("status") == 2);
    CHECK(!task->get("start_time").isEmpty());
    CHECK(task->getValue<std::string>("modified_time") > before);
    before = task->getValue<std::string>("modified_time");
    REQUIRE(c.post(rs, R"({"status": 1})").status == 200);
    task = getObject(c, rs);
    CHECK(task->getValue<int>("status") == 1);
    CHECK(!task->get("end_time").isEmpty());
    CHECK(task->getValue<std::string>("modified_time") > before);
    // Complete -> not started is refused; reopening goes back to in progress.
    CHECK(refusal(c.post(rs, R"({"status": 0})")) == "Invalid status transition");
    REQUIRE(c.post(rs, R"({"status": 2})").status == 200);
    CHECK(getObject(c, rs)->get("end_time").isEmpty());
    REQUIRE(c.post(rs, R"({"status": 0})").status == 200);  // in progress -> not started
    CHECK(getObject(c, rs)->getValue<int>("status") == 0);
    CHECK(!refusal(c.post(rs, R"({"status": 3})")).empty());
    CHECK(!refusal(c.post(rs, R"({"status": "done"})")).empty());

    // A task that needs a note is completed with the note inline.
    REQUIRE(c.post(ss, R"({"status": 2})").status == 200);
    CHECK(refusal(c.post(ss, R"({"status": 1})")) == "Closing note content is required");
    CHECK(refusal(c.post(ss, R"({"status": 1, "note": ""})")) ==
          "Closing note content is required");
    CHECK(getObject(c, ss)->getValue<int>("status") == 2);
    r = c.post(ss, R"({"status": 1, "note": "Scoped to **one** host", "title": "Closing",
        "note_format": "markdown"})");
    REQUIRE(r.status == 200);
    task = getObject(c, ss);
    CHECK(task->getValue<int>("status") == 1);
    REQUIRE(task->getArray("notes")->size() == 1);
    const auto closing = task->getArray("notes")->getElement<Poco::Int64>(0);
    auto note = getObject(c, "/rest/note/" + std::to_string(closing));
    CHECK(note->getValue<std::string>("content") == "Scoped to **one** host");
    CHECK(note->getValue<std::string>("title") == "Closing");
    CHECK(note->getValue<std::string>("note_type") == "task");
    CHECK(note->getValue<std::int64_t>("task") == scope);
    CHECK(note->getValue<std::int64_t>("phase") == task->getValue<std::int64_t>("phase"));
    CHECK(note->getValue<std::int64_t>("container") == cid);

    // Task notes by hand: found by task, never under the container's notes.
    before = getObject(c, rs)->getValue<std::string>("modified_time");
    r = c.post("/rest/note", R"({"container_id": )" + cs + R"(, "task_id": )" +
                                 std::to_string(review) +
                                 R"(, "title": "Seen", "content": "ok", "note_type": "task"})");
    REQUIRE(r.status == 200);
    const auto by_hand = r.object()->getValue<std::int64_t>("id");
    REQUIRE(c.post("/rest/note", R"({"container_id": )" + cs + R"(, "title": "General"})").status ==
            200);
    CHECK(countOf(c, "/rest/container/" + cs + "/notes") == 1);
    CHECK(countOf(c, "/rest/note?_filter_task_id=" + std::to_string(review)) == 1);
    CHECK(countOf(c, "/rest/note?_filter_task=" + std::to_string(scope)) == 1);
    task = getObject(c, rs);
    CHECK(task->getArray("notes")->size() == 1);
    CHECK(task->getValue<std::string>("modified_time") > before);
    CHECK(!refusal(c.post("/rest/note", R"({"container_id": )" + cs + R"(, "note_type": "task"})"))
               .empty());
    CHECK(!refusal(c.post("/rest/note", R"({"task_id": 999, "note_type": "task"})")).empty());
    const auto other = createContainer(c, R"({"name": "y", "label": "events"})");
    CHECK(!refusal(c.post("/rest/note", R"({"container_id": )" + std::to_string(other) +
                                            R"(, "task_id": )" + std::to_string(review) + "}"))
               .empty());
    Client user(emu, Auth::BasicUser);
    REQUIRE(user.del("/rest/note/" + std::to_string(by_hand)).status == 200);
    CHECK(getObject(c, rs)->getArray("notes")->size() == 0);

    // Owner (an existing user id) and role exclude each other.
    REQUIRE(c.post(rs, R"({"owner_id": 3})").status == 200);
    CHECK(getObject(c, rs)->getValue<std::int64_t>("owner") == 3);
    REQUIRE(c.post(rs, R"({"role_id": 4})").status == 200);
    task = getObject(c, rs);
    CHECK(task->get("owner").isEmpty());
    CHECK(task->getValue<std::int64_t>("role") == 4);
    REQUIRE(c.post(rs, R"({"owner_id": 1})").status == 200);
    task = getObject(c, rs);
    CHECK(task->getValue<std::int64_t>("owner") == 1);
    CHECK(task->get("role").isEmpty());
    CHECK(!refusal(c.post(rs, R"({"owner_id": 99})")).empty());
    CHECK(!refusal(c.post(rs, R"({"owner_id": "alice"})")).empty());  // ids only
    CHECK(!refusal(c.post(rs, R"({"owner_id": 3, "role_id": 4})")).empty());
    CHECK(getObject(c, rs)->getValue<std::int64_t>("owner") == 1);
}

TEST_CASE("emulator: the splunkctl task status codes 0/1/2 behind their option",
          "[emulator][workbook]") {
    EmulatorOptions options;
    options.workbook_templates = {triage()};
    options.task_status_codes = "012";
    Emulator emu(options);
    Client c(emu);
    const auto cid = createContainer(c, R"({"name": "x", "label": "events", "template_id": 1})");
    const auto tasks =
        getObject(c, "/rest/workbook_task?_filter_container_id=" + std::to_string(cid));
    const std::string rs = "/rest/workbook_task/" + std::to_string(ids(tasks->getArray("data"))[0]);
    const std::string ss = "/rest/workbook_task/" + std::to_string(ids(tasks->getArray("data"))[1]);
    // 0 = not started, 1 = in progress, 2 = complete: 0 -> 2 is refused.
    CHECK(refusal(c.post(rs, R"({"status": 2})")) == "Invalid status transition");
    REQUIRE(c.post(rs, R"({"status": 1})").status == 200);
    CHECK(!getObject(c, rs)->get("start_time").isEmpty());
    REQUIRE(c.post(rs, R"({"status": 2})").status == 200);
    CHECK(!getObject(c, rs)->get("end_time").isEmpty());
    REQUIRE(c.post(ss, R"({"status": 1})").status == 200);
    CHECK(refusal(c.post(ss, R"({"status": 2})")) == "Closing note content is required");
    REQUIRE(c.post(ss, R"({"status": 2, "note": "done"})").status == 200);
    CHECK(getObject(c, ss)->getValue<int>("status") == 2);

    for (const char* bad : {"0122", "abc", "001"}) {
        EmulatorOptions wrong;
        wrong.task_status_codes = bad;
        CHECK_THROWS(Emulator(wrong));
    }
}

TEST_CASE("emulator: the command-line forms of workbook templates and custom fields",
          "[emulator][workbook]") {
    const auto spec =
        soar::emulator::parseWorkbookTemplate("Triage:Detect=Review alert|Scope!;Respond=Contain");
    CHECK(spec.name == "Triage");
    REQUIRE(spec.phases.size() == 2);
    CHECK(spec.phases[0].name == "Detect");
    REQUIRE(spec.phases[0].tasks.size() == 2);
    CHECK(spec.phases[0].tasks[0].name == "Review alert");
    CHECK(!spec.phases[0].tasks[0].is_note_required);
    CHECK(spec.phases[0].tasks[1].name == "Scope");
    CHECK(spec.phases[0].tasks[1].is_note_required);
    CHECK(spec.phases[1].tasks.size() == 1);
    CHECK(soar::emulator::parseWorkbookTemplate("Empty").phases.empty());
    CHECK(soar::emulator::parseWorkbookTemplate("P:Only").phases.at(0).tasks.empty());
    for (const char* bad : {"", ":A=b", "N:=b", "N:A=b||c", "N:A=!"}) {
        CHECK_THROWS_AS(soar::emulator::parseWorkbookTemplate(bad), std::invalid_argument);
    }
    CHECK(soar::emulator::parseCustomField("Region:required").required);
    CHECK(soar::emulator::parseCustomField("Region").name == "Region");
    CHECK(!soar::emulator::parseCustomField("Region").required);
    for (const char* bad : {"", ":required", "Region:maybe"}) {
        CHECK_THROWS_AS(soar::emulator::parseCustomField(bad), std::invalid_argument);
    }

    // A parsed template seeds an emulator like a hand-written one.
    EmulatorOptions options;
    options.workbook_templates = {spec};
    Emulator emu(options);
    const auto cid = emu.createContainer(R"({"name": "x", "label": "events", "template_id": 1})");
    CHECK(emu.workbookPhaseCount() == 2);
    CHECK(emu.workbookTaskCount() == 3);
    CHECK(emu.direct("GET", "/rest/container/" + std::to_string(cid) + "/phases").status == 200);
}

namespace {

Poco::JSON::Object::Ptr parsedRecord(const Emulator& emu, const std::string& type,
                                     std::int64_t id) {
    const std::string json = emu.recordJson(type, id);
    REQUIRE(!json.empty());
    return Poco::JSON::Parser().parse(json).extract<Poco::JSON::Object::Ptr>();
}

std::vector<std::string> stringsOf(const Poco::JSON::Array::Ptr& data, const std::string& key) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < data->size(); ++i) {
        out.push_back(data->getObject(static_cast<unsigned int>(i))->getValue<std::string>(key));
    }
    return out;
}

}  // namespace

TEST_CASE("emulator: playbook runs make action runs and app runs that follow them",
          "[emulator][actions]") {
    EmulatorOptions o;
    // Playbook ids 1 and 3 (odd) run two actions, id 2 (even) one.
    o.playbooks = {PlaybookSpec{"local", "enrich", "success", 0.2},
                   PlaybookSpec{"local", "contain", "failed", 0.2},
                   PlaybookSpec{"local", "slow", "success", 30}};
    o.large_result_kb = 200;
    Emulator emu(o);
    Client c(emu);
    const auto cid = createContainer(c, R"({"name": "c", "label": "events"})");
    const std::string cs = std::to_string(cid);
    auto start = [&](int playbook) {
        const HttpResult s =
            c.post("/rest/playbook_run", R"({"container_id": )" + cs + R"(, "playbook_id": )" +
                                             std::to_string(playbook) + R"(, "run": true})");
        REQUIRE(s.status == 200);
        return s.object()->getValue<std::string>("playbook_run_id");
    };
    const std::string ok = start(1);
    const std::string bad = start(2);
    const std::string slow = start(3);
    CHECK(emu.actionRunCount() == 5);
    CHECK(emu.appRunCount() == 5);
    CHECK(getObject(c, "/rest/playbook_run/" + ok)->getValue<int>("num_actions") == 2);
    CHECK(getObject(c, "/rest/playbook_run/" + bad)->getValue<int>("num_actions") == 1);

    // While the run runs, its actions and their app runs run.
    const std::string of_ok = "/rest/action_run?page_size=0&_filter_playbook_run=" + ok;
    auto actions = getObject(c, of_ok);
    REQUIRE(actions->getValue<int>("count") == 2);
    CHECK(stringsOf(actions->getArray("data"), "action") ==
          std::vector<std::string>{"geolocate ip", "whois ip"});
    CHECK(stringsOf(actions->getArray("data"), "name") ==
          std::vector<std::string>{"geolocate_ip_1", "whois_ip_1"});
    CHECK(stringsOf(actions->getArray("data"), "status") ==
          std::vector<std::string>{"running", "running"});
    CHECK(stringsOf(actions->getArray("data"), "app_name") ==
          std::vector<std::string>{"MaxMind", "WHOIS RDAP"});
    const auto first = actions->getArray("data")->getObject(0);
    CHECK(first->getValue<std::int64_t>("container") == cid);
    CHECK(first->getValue<std::string>("playbook_run") == ok);
    CHECK(first->getValue<int>("app") == 1);
    CHECK(first->get("end_time").isEmpty());
    CHECK(std::regex_match(first->getValue<std::string>("start_time"), kTimestamp));
    CHECK(countOf(c, "/rest/action_run?_filter_playbook_run_id=" + ok) == 2);
    CHECK(countOf(c, "/rest/action_run?_filter_playbook_run=" + bad) == 1);
    const std::string geo = std::to_string(first->getValue<std::int64_t>("id"));
    auto app_runs = getObject(c, "/rest/action_run/" + geo + "/app_runs");
    REQUIRE(app_runs->getValue<int>("count") == 1);
    CHECK(app_runs->getArray("data")->getObject(0)->getValue<std::string>("status") == "running");

    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    // A successful run: every action succeeded, with an end time.
    actions = getObject(c, of_ok);
    CHECK(stringsOf(actions->getArray("data"), "status") ==
          std::vector<std::string>{"success", "success"});
    CHECK(!actions->getArray("data")->getObject(1)->get("end_time").isEmpty());
    CHECK(actions->getArray("data")->getObject(0)->getValue<std::string>("end_time") ==
          getObject(c, "/rest/playbook_run/" + ok)->getValue<std::string>("end_time"));

    // result_data only with include_expensive, on lists and on the record.
    HttpResult r = c.get("/rest/action_run/" + geo + "/app_runs");
    REQUIRE(r.status == 200);
    auto app_run = r.data()->getObject(0);
    CHECK(!app_run->has("result_data"));
    CHECK(app_run->getValue<std::string>("status") == "success");
    CHECK(app_run->getValue<std::string>("app_version") == "2.3.1");
    CHECK(app_run->getObject("result_summary")->getValue<int>("total_objects_successful") == 1);
    CHECK(r.body.size() < 4096);
    const std::string app_run_id = std::to_string(app_run->getValue<std::int64_t>("id"));
    for (const std::string expensive :
         {"?include_expensive", "?include_expensive=true", "?include_expensive=True"}) {
        r = c.get("/rest/app_run/" + app_run_id + expensive);
        REQUIRE(r.status == 200);
        REQUIRE(r.object()->has("result_data"));
        // The first app run of a successful run is large on purpose (large_result_kb).
        CHECK(r.body.size() > 200 * 1024);
        const auto result = r.object()->getArray("result_data")->getObject(0);
        CHECK(result->getValue<std::string>("status") == "success");
        CHECK(result->getArray("data")->size() > 100);
        CHECK(result->getObject("summary")->getValue<std::string>("city") == "Reston");
        CHECK(result->getObject("parameter")->has("ip"));
    }
    CHECK(!getObject(c, "/rest/app_run/" + app_run_id)->has("result_data"));
    CHECK(!getObject(c, "/rest/app_run/" + app_run_id + "?include_expensive=false")
               ->has("result_data"));
    r = c.get("/rest/action_run/" + geo + "/app_runs?include_expensive=true");
    CHECK(r.data()->getObject(0)->has("result_data"));
    CHECK(r.body.size() > 200 * 1024);
    // The other app runs stay small, with or without it.
    r = c.get("/rest/app_run?include_expensive&page_size=0&_filter_playbook_run=" + ok +
              "&_filter_action=" + enc("\"whois ip\""));
    REQUIRE(r.object()->getValue<int>("count") == 1);
    CHECK(r.body.size() < 4096);
    CHECK(r.data()->getObject(0)->getArray("result_data")->size() == 1);
    CHECK(countOf(c, "/rest/app_run?_filter_action_run=" + geo) == 1);
    CHECK(countOf(c, "/rest/app_run?_filter_action_run__playbook_run=" + ok) == 2);

    // A failed run failed on its last action, with a message.
    auto failed = getObject(c, "/rest/action_run?_filter_playbook_run=" + bad)
                      ->getArray("data")
                      ->getObject(0);
    CHECK(failed->getValue<std::string>("status") == "failed");
    CHECK(!failed->getValue<std::string>("message").empty());
    const std::string failed_id = std::to_string(failed->getValue<std::int64_t>("id"));
    auto failed_app =
        getObject(c, "/rest/app_run?include_expensive&_filter_action_run=" + failed_id)
            ->getArray("data")
            ->getObject(0);
    CHECK(failed_app->getValue<std::string>("status") == "failed");
    CHECK(failed_app->getObject("result_summary")->getValue<int>("total_objects_successful") == 0);
    CHECK(failed_app->getArray("result_data")->getObject(0)->getValue<std::string>("status") ==
          "failed");
    CHECK(countOf(c, "/rest/action_run?_filter_playbook_run__status=" + enc("\"failed\"")) == 1);
    CHECK(countOf(c, "/rest/action_run?_filter_playbook__name=" + enc("\"enrich\"")) == 2);

    // A cancelled run's running actions fail with the message "cancelled".
    REQUIRE(c.post("/rest/playbook_run/" + slow, R"({"cancel": true})").status == 200);
    actions = getObject(c, "/rest/action_run?_filter_playbook_run=" + slow);
    CHECK(stringsOf(actions->getArray("data"), "status") ==
          std::vector<std::string>{"failed", "failed"});
    CHECK(stringsOf(actions->getArray("data"), "message") ==
          std::vector<std::string>{"cancelled", "cancelled"});
    CHECK(countOf(c, "/rest/app_run?_filter_status=" + enc("\"failed\"")) == 3);

    // Sort, paging, the container's actions, read-only routes.
    r = c.get("/rest/action_run?sort=id&order=desc&page_size=2&page=1");
    REQUIRE(r.status == 200);
    CHECK(r.object()->getValue<int>("num_pages") == 3);
    CHECK(ids(r.data()) == std::vector<std::int64_t>{3, 2});
    CHECK(countOf(c, "/rest/container/" + cs + "/actions") == 5);
    CHECK(countOf(c, "/rest/action_run?_filter_container=" + cs) == 5);
    CHECK(c.post("/rest/action_run", "{}").status == 405);
    CHECK(c.post("/rest/app_run/1", "{}").status == 405);
    CHECK(c.get("/rest/action_run/999").status == 404);
    CHECK(c.get("/rest/action_run/999/app_runs").status == 404);
    CHECK(c.get("/rest/app_run/999?include_expensive").status == 404);
    CHECK(c.get("/rest/action_run/1/nothing").status == 404);
    CHECK(!emu.recordJson("app_run", 1).empty());

    // Deleting the container deletes its action and app runs.
    CHECK(emu.deleteContainer(cid));
    CHECK(emu.actionRunCount() == 0);
    CHECK(emu.appRunCount() == 0);
    CHECK(countOf(c, "/rest/app_run") == 0);
}

TEST_CASE("emulator: action runs are the same for the same playbooks", "[emulator][actions]") {
    auto names = [] {
        EmulatorOptions o;
        o.playbooks = {PlaybookSpec{"local", "a", "success", 0},
                       PlaybookSpec{"local", "b", "success", 0}};
        Emulator emu(o);
        const auto cid = emu.createContainer(R"({"name": "c", "label": "events"})");
        for (int playbook : {1, 2, 1}) {
            REQUIRE(emu.direct("POST", "/rest/playbook_run",
                               R"({"container_id": )" + std::to_string(cid) +
                                   R"(, "playbook_id": )" + std::to_string(playbook) +
                                   R"(, "run": true})")
                        .status == 200);
        }
        const auto r = emu.direct("GET", "/rest/app_run?page_size=0&include_expensive");
        REQUIRE(r.status == 200);
        const auto data =
            Poco::JSON::Parser().parse(r.body).extract<Poco::JSON::Object::Ptr>()->getArray("data");
        std::vector<std::string> out;
        for (std::size_t i = 0; i < data->size(); ++i) {
            const auto row = data->getObject(static_cast<unsigned int>(i));
            out.push_back(row->getValue<std::string>("action") + "/" +
                          row->getValue<std::string>("status") + "/" +
                          std::to_string(row->getArray("result_data")->size()));
        }
        return out;
    };
    const auto once = names();
    CHECK(once == std::vector<std::string>{"geolocate ip/success/1", "whois ip/success/1",
                                           "geolocate ip/success/1", "geolocate ip/success/1",
                                           "whois ip/success/1"});
    CHECK(names() == once);
}

TEST_CASE("emulator: container statuses by type, custom ones and deleted built-ins",
          "[emulator][status]") {
    {
        Emulator emu({});
        Client c(emu);
        const auto all = getObject(c, "/rest/container_status?page_size=0")->getArray("data");
        REQUIRE(all->size() == 3);
        CHECK(stringsOf(all, "name") == std::vector<std::string>{"new", "open", "closed"});
        CHECK(stringsOf(all, "status_type") == std::vector<std::string>{"new", "open", "resolved"});
        for (std::size_t i = 0; i < all->size(); ++i) {
            const auto row = all->getObject(static_cast<unsigned int>(i));
            for (const char* key : {"id", "name", "status_type", "is_default", "is_mutable",
                                    "disabled", "order", "create_time", "modified_time"}) {
                CHECK(row->has(key));
            }
            CHECK(row->getValue<bool>("is_default") == (i == 0));
            CHECK(!row->getValue<bool>("is_mutable"));
            CHECK(!row->getValue<bool>("disabled"));
            CHECK(row->getValue<std::size_t>("order") == i + 1);
        }
        CHECK(countOf(c, "/rest/container_status?_filter_status_type=" + enc("\"resolved\"")) == 1);
    }

    EmulatorOptions o;
    o.statuses = {{"triage", "new"}, {"resolved", "resolved"}};
    o.removed_statuses = {"open"};
    Emulator emu(o);
    Client c(emu);
    auto all = getObject(c, "/rest/container_status?page_size=0")->getArray("data");
    CHECK(stringsOf(all, "name") ==
          std::vector<std::string>{"new", "closed", "triage", "resolved"});
    CHECK(ids(all) == std::vector<std::int64_t>{1, 3, 4, 5});
    CHECK(all->getObject(2)->getValue<bool>("is_mutable"));
    CHECK(getObject(c, "/rest/container_options")->getArray("status")->size() == 4);

    // A custom status is taken by name, any case; a resolved-type one closes.
    const auto id = createContainer(c, R"({"name": "x", "label": "events", "status": "Triage"})");
    const std::string target = "/rest/container/" + std::to_string(id);
    CHECK(getObject(c, target)->getValue<std::string>("status") == "triage");
    CHECK(countOf(c, "/rest/container?_filter_status=" + enc("\"triage\"")) == 1);
    REQUIRE(c.post(target, R"({"status": "resolved"})").status == 200);
    auto row = getObject(c, target);
    CHECK(!row->get("close_time").isEmpty());
    CHECK(!row->get("closing_owner").isEmpty());
    // "open" was deleted, and is still accepted (as are new and closed); it reopens.
    REQUIRE(c.post(target, R"({"status": "open"})").status == 200);
    row = getObject(c, target);
    CHECK(row->getValue<std::string>("status") == "open");
    CHECK(row->get("close_time").isEmpty());
    CHECK(!row->get("open_time").isEmpty());
    CHECK(countOf(c, "/rest/container?_filter_status=" + enc("\"open\"")) == 1);
    CHECK(createContainer(c, R"({"name": "y", "label": "events", "status": "open"})") > id);

    // An unknown status is a 400 with a clear message, on create and update alike.
    std::string message = refusal(c.post(target, R"({"status": "bogus"})"));
    CHECK(message.find("\"bogus\" is not a known status") != std::string::npos);
    CHECK(message.find("(known: new, closed, triage, resolved, open)") != std::string::npos);
    CHECK(getObject(c, target)->getValue<std::string>("status") == "open");
    message = refusal(c.post("/rest/container", R"({"name": "z", "label": "events",
        "status": "escalated"})"));
    CHECK(message.find("\"escalated\" is not a known status") != std::string::npos);
    CHECK(!refusal(c.post(target, R"({"status": 3})")).empty());

    // Statuses added while serving, over REST or in process.
    CHECK(emu.addStatus("escalated", "open") == 6);
    CHECK(createContainer(c, R"({"name": "z", "label": "events", "status": "escalated"})") > 0);
    CHECK(
        c.post("/rest/container_status", R"({"name": "Waiting", "status_type": "open"})").status ==
        200);
    CHECK(countOf(c, "/rest/container_status?_filter_name=" + enc("\"waiting\"")) == 1);
    CHECK_THROWS(emu.addStatus("escalated", "open"));      // taken
    CHECK_THROWS(emu.addStatus("on hold", "open"));        // a space
    CHECK_THROWS(emu.addStatus("parked", "in progress"));  // not a type
    CHECK_THROWS(emu.addStatus(std::string(129, 'a'), "open"));
    CHECK(!refusal(c.post("/rest/container_status", R"({"name": "x", "status_type": "closed"})"))
               .empty());

    // Deleting one: closed stays assignable, a custom one does not.
    CHECK(emu.removeStatus("closed"));
    CHECK(!emu.removeStatus("closed"));
    CHECK(emu.removeStatus("triage"));
    REQUIRE(c.post(target, R"({"status": "closed"})").status == 200);
    CHECK(!getObject(c, target)->get("close_time").isEmpty());
    CHECK(!refusal(c.post(target, R"({"status": "triage"})")).empty());
    CHECK(emu.recordJson("container_status", 4).empty());
}

TEST_CASE("emulator: status options and their command-line form", "[emulator][status]") {
    const auto spec = soar::emulator::parseStatus("in-review:open");
    CHECK(spec.name == "in-review");
    CHECK(spec.type == "open");
    CHECK(soar::emulator::parseStatus("a:b:resolved").name == "a:b");
    for (const char* bad : {"", "x", ":open", "x:closed", "x:"}) {
        CHECK_THROWS_AS(soar::emulator::parseStatus(bad), std::invalid_argument);
    }
    EmulatorOptions o;
    o.statuses = {{"Bad Name", "open"}};
    CHECK_THROWS_AS(Emulator(o), std::invalid_argument);
    o.statuses = {{"dup", "open"}, {"dup", "new"}};
    CHECK_THROWS_AS(Emulator(o), std::invalid_argument);
    o.statuses.clear();
    o.removed_statuses = {"nope"};
    CHECK_THROWS_AS(Emulator(o), std::invalid_argument);
    o.removed_statuses.clear();
    for (int i = 0; i < 31; ++i) {
        o.statuses.push_back({"s" + std::to_string(i), "open"});
    }
    CHECK_THROWS_AS(Emulator(o), std::invalid_argument);  // at most 30 custom statuses
    o.statuses.pop_back();
    Emulator emu(o);
    CHECK_THROWS(emu.addStatus("one-more", "open"));
}

TEST_CASE("emulator: analyst edits in process take the REST paths and move update times",
          "[emulator][analyst]") {
    EmulatorOptions o;
    o.users = {"alice"};
    o.workbook_templates = {soar::emulator::parseWorkbookTemplate("T:P=Look|Close!")};
    Emulator emu(o);
    Client c(emu);
    const auto id = createContainer(c, R"({"name": "x", "label": "events", "template_id": 1})");
    const auto before = parsedRecord(emu, "container", id);

    Poco::JSON::Object fields;
    fields.set("status", "open");
    fields.set("severity", "High");
    fields.set("owner_id", 3);
    Poco::JSON::Array::Ptr tags = new Poco::JSON::Array;
    tags->add("phish");
    fields.set("tags", tags);
    emu.editContainer(id, fields);
    auto after = parsedRecord(emu, "container", id);
    CHECK(after->getValue<int>("version") == before->getValue<int>("version") + 1);
    CHECK(after->getValue<std::string>("container_update_time") >
          before->getValue<std::string>("container_update_time"));
    CHECK(after->getValue<std::string>("severity") == "high");
    CHECK(after->getValue<std::string>("owner_name") == "alice");
    CHECK(after->getArray("tags")->getElement<std::string>(0) == "phish");
    // The same validation as POST /rest/container/<id>: a refused edit changes nothing.
    Poco::JSON::Object bad;
    bad.set("severity", "apocalyptic");
    CHECK_THROWS_AS(emu.editContainer(id, bad), std::runtime_error);
    bad.set("severity", "low");
    bad.set("status", "nope");
    CHECK_THROWS_AS(emu.editContainer(id, bad), std::runtime_error);
    CHECK(parsedRecord(emu, "container", id)->getValue<int>("version") ==
          after->getValue<int>("version"));
    CHECK_THROWS(emu.editContainer(999, fields));

    // Notes and comments as the user, seen over REST.
    const auto note = emu.addNote(id, "Finding", "first **draft**");
    auto n = parsedRecord(emu, "note", note);
    CHECK(n->getValue<std::string>("content") == "first **draft**");
    CHECK(n->getValue<std::string>("note_type") == "general");
    CHECK(n->getValue<int>("author") == 1);
    CHECK(countOf(c, "/rest/container/" + std::to_string(id) + "/notes") == 1);
    const std::string created = n->getValue<std::string>("modified_time");
    emu.editNote(note, "final");
    n = parsedRecord(emu, "note", note);
    CHECK(n->getValue<std::string>("content") == "final");
    CHECK(n->getValue<std::string>("title") == "Finding");
    CHECK(n->getValue<int>("version") == 2);
    CHECK(n->getValue<std::string>("modified_time") > created);
    CHECK_THROWS(emu.editNote(999, "x"));
    CHECK_THROWS(emu.addNote(999, "t", "x"));
    const auto comment = emu.addComment(id, "looked at it");
    CHECK(parsedRecord(emu, "container_comment", comment)->getValue<std::string>("comment") ==
          "looked at it");
    CHECK(countOf(c, "/rest/container/" + std::to_string(id) + "/comments") == 1);
    CHECK_THROWS(emu.addComment(id, ""));

    // Workbook tasks move one step at a time (codes 0/2/1 here) and need their notes.
    const auto tasks =
        ids(getObject(c, "/rest/workbook_task?_filter_container_id=" + std::to_string(id))
                ->getArray("data"));
    REQUIRE(tasks.size() == 2);
    const std::string task_before =
        parsedRecord(emu, "workbook_task", tasks[0])->getValue<std::string>("modified_time");
    CHECK_THROWS(emu.setTaskStatus(tasks[0], 1));  // not started -> complete skips a step
    emu.setTaskStatus(tasks[0], 2);
    auto task = parsedRecord(emu, "workbook_task", tasks[0]);
    CHECK(task->getValue<int>("status") == 2);
    CHECK(!task->get("start_time").isEmpty());
    CHECK(task->getValue<std::string>("modified_time") > task_before);
    emu.setTaskStatus(tasks[0], 1);
    CHECK(!parsedRecord(emu, "workbook_task", tasks[0])->get("end_time").isEmpty());
    emu.setTaskStatus(tasks[1], 2);
    CHECK_THROWS_WITH(emu.setTaskStatus(tasks[1], 1),
                      Catch::Contains("Closing note content is required"));
    const std::size_t notes = emu.noteCount();
    emu.setTaskStatus(tasks[1], 1, "closed it");
    CHECK(parsedRecord(emu, "workbook_task", tasks[1])->getValue<int>("status") == 1);
    CHECK(emu.noteCount() == notes + 1);
    CHECK_THROWS(emu.setTaskStatus(999, 2));
}

TEST_CASE("emulator: analyst edits from many threads while clients read", "[emulator][analyst]") {
    Emulator emu({});
    const auto id = emu.createContainer(R"({"name": "x", "label": "events"})");
    std::atomic<bool> done{false};
    std::thread reader([&] {
        Client c(emu);
        while (!done) {
            CHECK(c.get("/rest/container/" + std::to_string(id)).status == 200);
        }
    });
    std::vector<std::thread> writers;
    // Each writer's comments get ids of their own: 25 distinct ones per thread, 100 in all.
    std::vector<std::set<std::int64_t>> comments(4);
    for (std::size_t t = 0; t < comments.size(); ++t) {
        writers.emplace_back([&, t] {
            for (int i = 0; i < 25; ++i) {
                comments[t].insert(emu.addComment(id, "c" + std::to_string(i)));
                (void)emu.addNote(id, "t", "n" + std::to_string(i));
                emu.editContainer(id, R"({"description": "edit"})");
            }
        });
    }
    for (auto& w : writers) {
        w.join();
    }
    done = true;
    reader.join();
    std::set<std::int64_t> all;
    for (const auto& mine : comments) {
        CHECK(mine.size() == 25);
        all.insert(mine.begin(), mine.end());
    }
    CHECK(all.size() == 100);
    CHECK(emu.commentCount() == 100);
    CHECK(emu.noteCount() == 100);
    CHECK(parsedRecord(emu, "container", id)->getValue<int>("version") == 101);
}

namespace {

/// The content of a list as compact JSON, read over HTTP by name or id.
std::string contentOf(Client& c, const std::string& ref) {
    const HttpResult r = c.get("/rest/decided_list/" + ref);
    INFO(ref << " -> " << r.status << " " << r.body);
    REQUIRE(r.status == 200);
    std::ostringstream out;
    Poco::JSON::Stringifier::condense(r.object()->get("content"), out);
    return out.str();
}

std::string messageOf(const HttpResult& r) { return r.object()->getValue<std::string>("message"); }

}  // namespace

TEST_CASE("emulator: custom lists are created and read by name or id", "[emulator][lists]") {
    Emulator emu({});
    Client c(emu);

    HttpResult r = c.post("/rest/decided_list",
                          R"({"name": "blocked ips", "content": [["10.0.0.1", "fw", 3]]})");
    REQUIRE(r.status == 200);
    CHECK(r.object()->getValue<bool>("success"));
    const auto id = r.object()->getValue<Poco::Int64>("id");
    CHECK(id == 1);

    r = c.get("/rest/decided_list/" + enc("blocked ips"));
    REQUIRE(r.status == 200);
    CHECK(r.object()->getValue<Poco::Int64>("id") == id);
    CHECK(r.object()->getValue<std::string>("name") == "blocked ips");
    CHECK(r.object()->getValue<Poco::Int64>("tenant") == 0);
    CHECK(contentOf(c, "1") == R"([["10.0.0.1","fw",3]])");

    // A 1-D array (or any value that is not a row) becomes one-cell rows.
    REQUIRE(c.post("/rest/decided_list", R"({"name": "a/b\\c", "content": ["x", ["y", "z"], 5]})")
                .status == 200);
    CHECK(contentOf(c, enc("a/b\\c")) == R"([["x"],["y","z"],[5]])");
    CHECK(contentOf(c, "2") == R"([["x"],["y","z"],[5]])");

    // Names are unique; the refusal names the list.
    r = c.post("/rest/decided_list", R"({"name": "blocked ips", "content": [["other"]]})");
    CHECK(r.status == 400);
    CHECK(r.failed());
    CHECK_THAT(messageOf(r), Catch::Contains("blocked ips"));

    // No rows is a server error, as on SOAR.
    for (const char* body : {R"({"name": "empty", "content": []})", R"({"name": "empty"})"}) {
        r = c.post("/rest/decided_list", body);
        CHECK(r.status == 500);
        CHECK(r.failed());
    }
    CHECK(c.post("/rest/decided_list", R"({"content": [["x"]]})").status == 400);
    CHECK(c.post("/rest/decided_list", R"({"name": "n", "content": [[{"a": 1}]]})").status == 400);
    CHECK(c.post("/rest/decided_list", R"({"name": "n", "content": "x"})").status == 400);
    CHECK(c.post("/rest/decided_list", "[1]").status == 400);

    // A numeric segment is an id; a missing list is a 404 failed body.
    for (const std::string& ref : {std::string("99"), enc("no such list")}) {
        r = c.get("/rest/decided_list/" + ref);
        CHECK(r.status == 404);
        CHECK(r.failed());
        CHECK_THAT(messageOf(r), Catch::Contains("item not found"));
    }
    r = c.get("/rest/decided_list/%FF%FE");  // not UTF-8: the answer stays valid JSON
    CHECK(r.status == 404);
    CHECK(r.body.find('\xff') == std::string::npos);
    CHECK_THAT(messageOf(r), Catch::Contains("item not found"));
    CHECK(c.send("PUT", "/rest/decided_list/1", "{}").status == 405);
    CHECK(c.get("/rest/decided_list/1/formatted_content").status == 404);
    CHECK(emu.listWrites() == 2);
}

TEST_CASE("emulator: the custom list collection is paged and leaves content out by default",
          "[emulator][lists]") {
    for (const bool with_content : {false, true}) {
        EmulatorOptions o;
        o.list_content_in_collection = with_content;
        o.lists = {{"one", R"([["1"]])"}, {"two", R"([["2"]])"}, {"three", R"([["3"]])"}};
        Emulator emu(o);
        Client c(emu);

        HttpResult r = c.get("/rest/decided_list?page_size=2");
        REQUIRE(r.status == 200);
        CHECK(r.object()->getValue<std::size_t>("count") == 3);
        CHECK(r.object()->getValue<std::size_t>("num_pages") == 2);
        CHECK(ids(r.data()) == std::vector<std::int64_t>{1, 2});
        CHECK(r.data()->getObject(0)->has("content") == with_content);
        CHECK(r.data()->getObject(0)->has("name"));

        r = c.get("/rest/decided_list?_filter_name=" + enc("\"three\"") + "&page_size=10");
        REQUIRE(r.status == 200);
        REQUIRE(r.data()->size() == 1);
        CHECK(r.data()->getObject(0)->getValue<Poco::Int64>("id") == 3);
        CHECK(r.data()->getObject(0)->has("content") == with_content);
        // The record itself always has its content.
        CHECK(contentOf(c, "three") == R"([["3"]])");
        CHECK(c.get("/rest/decided_list?page=5").status == 404);
        CHECK(emu.listWrites() == 0);  // seeded, not written
    }
}

TEST_CASE("emulator: custom lists are updated whole or row by row", "[emulator][lists]") {
    EmulatorOptions o;
    o.lists = {{"hosts", R"([["a", 1], ["b", 2], ["c", 3]])"}, {"other", R"([["o"]])"}};
    Emulator emu(o);
    Client c(emu);
    const auto success = [](const HttpResult& r) {
        INFO(r.status << " " << r.body);
        return r.status == 200 && r.object()->getValue<bool>("success") && !r.failed();
    };

    CHECK(success(c.post("/rest/decided_list/hosts", R"({"append_rows": [["d", 4], "e"]})")));
    CHECK(contentOf(c, "hosts") == R"([["a",1],["b",2],["c",3],["d",4],["e"]])");

    // A shorter row replaces the whole row.
    CHECK(
        success(c.post("/rest/decided_list/1", R"({"update_rows": {"1": ["B"], "4": ["E", 5]}})")));
    CHECK(contentOf(c, "hosts") == R"([["a",1],["B"],["c",3],["d",4],["E",5]])");

    CHECK(success(c.post("/rest/decided_list/hosts", R"({"delete_rows": [0, 2]})")));
    CHECK(contentOf(c, "hosts") == R"([["B"],["d",4],["E",5]])");

    // Combined: content, then name, update_rows, delete_rows (indices as after
    // update_rows), append_rows.
    CHECK(success(c.post("/rest/decided_list/hosts",
                         R"({"content": [["p"], ["q"], ["r"]], "name": "servers",
                             "update_rows": {"0": ["P"]}, "delete_rows": [1],
                             "append_rows": [["s"]]})")));
    CHECK(contentOf(c, "servers") == R"([["P"],["r"],["s"]])");
    CHECK(c.get("/rest/decided_list/hosts").status == 404);
    CHECK(contentOf(c, "1") == R"([["P"],["r"],["s"]])");

    // Full replace, also by the new name.
    CHECK(success(c.post("/rest/decided_list/servers", R"({"content": ["x", "y"]})")));
    CHECK(contentOf(c, "servers") == R"([["x"],["y"]])");
    CHECK(emu.listWrites() == 5);

    // Refusals store nothing and are not counted.
    struct Refusal {
        const char* body;
        const char* says;
    };
    for (const Refusal& bad : {
             Refusal{R"({"delete_rows": [0, 1]})", "at least one row must remain"},
             Refusal{R"({"delete_rows": [1, 0, 1], "append_rows": [["z"]]})",
                     "at least one row must remain"},
             Refusal{R"({"content": []})", "at least one row must remain"},
             Refusal{R"({"delete_rows": [2]})", "row 2"},
             Refusal{R"({"update_rows": {"7": ["z"]}})", "row 7"},
             Refusal{R"({"update_rows": {"x": ["z"]}})", "update_rows"},
             Refusal{R"({"update_rows": [["z"]]})", "update_rows"},
             Refusal{R"({"append_rows": [["z"]], "name": "other"})", "other"},
             Refusal{R"({"append_rows": [[["nested"]]]})", "append_rows"},
             Refusal{R"({"title": "x"})", "Nothing to update"},
         }) {
        const HttpResult r = c.post("/rest/decided_list/servers", bad.body);
        INFO(bad.body << " -> " << r.body);
        CHECK(r.status == 400);
        CHECK(r.failed());
        CHECK_THAT(messageOf(r), Catch::Contains(bad.says));
    }
    CHECK(contentOf(c, "servers") == R"([["x"],["y"]])");
    CHECK(contentOf(c, "other") == R"([["o"]])");

    // Renaming to its own name is fine.
    CHECK(success(c.post("/rest/decided_list/servers", R"({"name": "servers"})")));

    const HttpResult missing = c.post("/rest/decided_list/nothing", R"({"append_rows": [["z"]]})");
    CHECK(missing.status == 404);
    CHECK(missing.failed());
    CHECK_THAT(messageOf(missing), Catch::Contains("item not found"));
    CHECK(c.post("/rest/decided_list/77", R"({"content": [["z"]]})").status == 404);
    CHECK(emu.listWrites() == 6);
}

TEST_CASE("emulator: a custom list may be deleted with a token", "[emulator][lists]") {
    EmulatorOptions o;
    o.lists = {{"one", R"([["1"]])"}, {"two", R"([["2"]])"}};
    Emulator emu(o);
    Client token(emu);
    Client user(emu, Auth::BasicUser);
    emu.createContainer(R"({"name": "c", "label": "events"})");

    HttpResult r = token.del("/rest/decided_list/1");
    CHECK(r.status == 200);
    CHECK(r.object()->getValue<bool>("success"));
    CHECK(token.get("/rest/decided_list/one").status == 404);
    CHECK(token.get("/rest/decided_list/1").status == 404);
    CHECK(token.del("/rest/decided_list/1").status == 404);
    // DELETE takes the id, not the name.
    r = token.del("/rest/decided_list/two");
    CHECK(r.status == 404);
    CHECK_THAT(messageOf(r), Catch::Contains("item not found"));
    CHECK(user.del("/rest/decided_list/2").status == 200);
    CHECK(emu.listWrites() == 2);

    // Every other DELETE still needs the user.
    CHECK(token.del("/rest/container/1").status == 403);
    CHECK(emu.containerCount() == 1);

    // A name is free again after a delete.
    CHECK(token.post("/rest/decided_list", R"({"name": "one", "content": [["new"]]})").status ==
          200);
    CHECK(contentOf(token, "one") == R"([["new"]])");
    CHECK(contentOf(token, "3") == R"([["new"]])");
}

TEST_CASE("emulator: a custom list over the size ceiling loses its trailing rows silently",
          "[emulator][lists]") {
    EmulatorOptions o;
    o.list_max_bytes = 64;
    Emulator emu(o);
    Client c(emu);
    const std::string row = "[\"" + std::string(20, 'x') + "\"]";  // 24 bytes
    // [row,row,row] is 2 + 3 * 24 + 2 = 76 bytes: the third row goes.
    HttpResult r = c.post("/rest/decided_list",
                          R"({"name": "big", "content": [)" + row + "," + row + "," + row + "]}");
    REQUIRE(r.status == 200);
    CHECK(r.object()->getValue<bool>("success"));
    CHECK(contentOf(c, "big") == "[" + row + "," + row + "]");

    // Appending past the ceiling answers success and keeps what fits.
    REQUIRE(c.post("/rest/decided_list/big", R"({"append_rows": [["y"]]})").status == 200);
    CHECK(contentOf(c, "big") == "[" + row + "," + row + R"(,["y"]])");
    REQUIRE(c.post("/rest/decided_list/big", "{\"append_rows\": [" + row + "]}").status == 200);
    CHECK(contentOf(c, "big") == "[" + row + "," + row + R"(,["y"]])");

    // A first row longer than the ceiling keeps the cells that fit.
    REQUIRE(c.post("/rest/decided_list/big", "{\"content\": [[\"" + std::string(30, 'a') +
                                                 "\", \"" + std::string(30, 'b') + "\"]]}")
                .status == 200);
    CHECK(contentOf(c, "big") == "[[\"" + std::string(30, 'a') + "\"]]");
    CHECK(emu.listWrites() == 4);
}

TEST_CASE("emulator: custom lists edited in-process are not counted as writes",
          "[emulator][lists]") {
    Emulator emu({});
    Client c(emu);
    CHECK_FALSE(emu.listContent("ips").has_value());
    const std::int64_t id = emu.putList("ips", R"([["1.1.1.1"], "2.2.2.2"])");
    CHECK(id == 1);
    CHECK(emu.listContent("ips") == std::optional<std::string>(R"([["1.1.1.1"],["2.2.2.2"]])"));
    CHECK(emu.putList("ips", R"([["3.3.3.3"]])") == id);
    CHECK(contentOf(c, "ips") == R"([["3.3.3.3"]])");
    CHECK_THROWS_AS(emu.putList("ips", "[]"), std::runtime_error);
    CHECK_THROWS_AS(emu.putList("new", "not json"), std::runtime_error);
    CHECK(emu.recordJson("decided_list", id).find("3.3.3.3") != std::string::npos);
    CHECK(emu.direct("POST", "/rest/decided_list/1", R"({"append_rows": ["4.4.4.4"]})").status ==
          200);
    CHECK(emu.listWrites() == 0);

    // An HTTP write that changes nothing is still a write.
    CHECK(c.post("/rest/decided_list/ips", R"({"content": [["3.3.3.3"], ["4.4.4.4"]]})").status ==
          200);
    CHECK(emu.listWrites() == 1);

    CHECK(emu.deleteList("ips"));
    CHECK_FALSE(emu.deleteList("ips"));
    CHECK_FALSE(emu.listContent("ips").has_value());
    CHECK(emu.listWrites() == 1);

    CHECK(soar::emulator::parseList("a=b=[1]").name == "a");
    CHECK(soar::emulator::parseList("a=b=[1]").content_json == "b=[1]");
    CHECK_THROWS_AS(soar::emulator::parseList("=[1]"), std::invalid_argument);
    CHECK_THROWS_AS(soar::emulator::parseList("name"), std::invalid_argument);
    EmulatorOptions bad;
    bad.lists = {{"x", "[]"}};
    CHECK_THROWS_AS(Emulator(bad), std::invalid_argument);
    bad.lists = {{"x", "[[1]]"}, {"x", "[[2]]"}};
    CHECK_THROWS_AS(Emulator(bad), std::invalid_argument);
}
