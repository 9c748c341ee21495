// Owners by username and the other container fields of a complete copy, on the fakes
// (design.md §4 `owner_map`, `custom_fields`): a numeric owner id is never copied; a username
// the target lacks leaves the copy unassigned, counted, and logged once.

#include "EngineFixture.h"

#include <Poco/JSON/Object.h>
#include <catch2/catch.hpp>

#include <string>

namespace {

using soar::sync::PassOutcome;
using soar::test::EngineFixture;
using soar::test::FakeSource;
using soar::test::FakeTarget;
using soar::test::sourceTime;

Poco::JSON::Object::Ptr ownedBy(std::int64_t owner) {
    Poco::JSON::Object::Ptr out = new Poco::JSON::Object;
    out->set("owner", owner);
    return out;
}

std::string field(const FakeTarget& target, std::int64_t id, const std::string& key) {
    const auto body = target.container(id).value();
    return body->has(key) && !body->isNull(key) ? body->get(key).toString() : std::string();
}

}  // namespace

TEST_CASE("Engine owners: by name, the copy's owner is the target user with that username",
          "[engine][unit][owners]") {
    EngineFixture f;
    f.route.owners_by_name = true;
    f.source.addUser(7, "alice");
    f.source.addUser(8, "bob");
    const auto alice_there = f.target.addUser("alice");
    const auto a = f.source.addContainer(sourceTime(0), ownedBy(7));
    const auto b = f.source.addContainer(sourceTime(1), ownedBy(8));  // bob: not on the target
    const auto c = f.source.addContainer(sourceTime(2), ownedBy(8));  // bob again
    const auto d = f.source.addContainer(sourceTime(3));              // nobody's
    const auto e = f.source.addContainer(sourceTime(4), ownedBy(7));  // alice again

    const auto result = f.pass();
    CHECK(result.outcome == PassOutcome::Ok);  // an unknown user is no error
    CHECK(result.counts.owners_unmatched == 2);
    const auto copy = [&](std::int64_t id) { return f.target.containerBySdi(f.sdi(id)).value(); };
    CHECK(field(f.target, copy(a), "owner_id") == std::to_string(alice_there));
    CHECK(field(f.target, copy(e), "owner_id") == std::to_string(alice_there));
    CHECK(field(f.target, copy(b), "owner_id").empty());
    CHECK(field(f.target, copy(c), "owner_id").empty());
    CHECK(field(f.target, copy(d), "owner_id").empty());
    // Looked up once per user in the pass, and the missing one logged once.
    CHECK(f.source.calls(FakeSource::Call::UserName) == 2);
    CHECK(f.target.calls(FakeTarget::Call::UserId) == 2);
    const auto logs = f.logs.all();
    const std::string line = "the target has no user 'bob'";
    REQUIRE(logs.find(line) != std::string::npos);
    CHECK(logs.find(line, logs.find(line) + 1) == std::string::npos);

    // Once bob exists on the target, the next edit of his containers assigns them.
    const auto bob_there = f.target.addUser("bob");
    f.source.editContainer(b, sourceTime(20));
    f.clock->advance(std::chrono::seconds(30));
    const auto later = f.pass();
    CHECK(later.counts.owners_unmatched == 0);
    CHECK(field(f.target, copy(b), "owner_id") == std::to_string(bob_there));
}

TEST_CASE("Engine owners: the source's owner_name saves the lookup, and off copies no owner",
          "[engine][unit][owners]") {
    EngineFixture f;
    const auto there = f.target.addUser("carol");
    auto fields = ownedBy(12);
    fields->set("owner_name", "carol");
    const auto id = f.source.addContainer(sourceTime(0), fields);
    SECTION("by_name") {
        f.route.owners_by_name = true;
        REQUIRE(f.pass().outcome == PassOutcome::Ok);
        CHECK(f.source.calls(FakeSource::Call::UserName) == 0);
        CHECK(field(f.target, f.target.containerBySdi(f.sdi(id)).value(), "owner_id") ==
              std::to_string(there));
    }
    SECTION("off: neither the id nor the name goes") {
        REQUIRE(f.pass().outcome == PassOutcome::Ok);
        const auto copy = f.target.containerBySdi(f.sdi(id)).value();
        CHECK(field(f.target, copy, "owner_id").empty());
        CHECK(field(f.target, copy, "owner").empty());
        CHECK(f.target.calls(FakeTarget::Call::UserId) == 0);
    }
}

TEST_CASE(
    "Engine fields: custom fields, sensitivity, due time, kill chain and type are copied, and "
    "a target that refuses a custom field dead-letters the container",
    "[engine][unit][owners]") {
    EngineFixture f;
    Poco::JSON::Object::Ptr fields = new Poco::JSON::Object;
    Poco::JSON::Object::Ptr custom = new Poco::JSON::Object;
    custom->set("region", "emea");
    fields->set("custom_fields", custom);
    fields->set("sensitivity", "red");
    fields->set("due_time", "2026-02-01T00:00:00.000000Z");
    fields->set("kill_chain", "delivery");
    fields->set("container_type", "case");
    const auto id = f.source.addContainer(sourceTime(0), fields);
    Poco::JSON::Object::Ptr odd = new Poco::JSON::Object;
    Poco::JSON::Object::Ptr unknown = new Poco::JSON::Object;
    unknown->set("ticket", "T-1");
    odd->set("custom_fields", unknown);
    const auto refused = f.source.addContainer(sourceTime(1), odd);
    f.target.refuseIf([](FakeTarget::Call call, const Poco::JSON::Object& body) {
        const auto cf = body.getObject("custom_fields");
        if (call == FakeTarget::Call::CreateContainer && cf && cf->has("ticket")) {
            return std::optional<std::string>("Invalid custom field: 'ticket'");
        }
        return std::optional<std::string>();
    });
    SECTION("custom_fields = true") {
        CHECK(f.pass().outcome == PassOutcome::RecordErrors);
        const auto copy = f.target.container(f.target.containerBySdi(f.sdi(id)).value()).value();
        CHECK(copy->getObject("custom_fields")->getValue<std::string>("region") == "emea");
        CHECK(copy->getValue<std::string>("sensitivity") == "red");
        CHECK(copy->getValue<std::string>("due_time") == "2026-02-01T00:00:00.000000Z");
        CHECK(copy->getValue<std::string>("kill_chain") == "delivery");
        CHECK(copy->getValue<std::string>("container_type") == "case");
        const auto letters = f.store.deadLetters(f.key);
        REQUIRE(letters.size() == 1);
        CHECK(letters[0].source_id == refused);
        CHECK(letters[0].message == "Invalid custom field: 'ticket'");
    }
    SECTION("custom_fields = false: none are sent, nothing is refused") {
        f.route.custom_fields = false;
        CHECK(f.pass().outcome == PassOutcome::Ok);
        const auto copy = f.target.container(f.target.containerBySdi(f.sdi(id)).value()).value();
        CHECK_FALSE(copy->has("custom_fields"));
    }
}
