// Owners and container fields between two emulators over HTTP (design.md §4 `owner_map`,
// `custom_fields`): owners go by username, a user the target lacks leaves the copy
// unassigned, a custom field the target does not define dead-letters the container with the
// target's message; the same copies after the state file is lost.

#include "SyncHarness.h"

#include <Poco/JSON/Parser.h>
#include <catch2/catch.hpp>

#include <string>

using soar::sync::PassOutcome;
using soar::test::seeded;
using soar::test::SyncHarness;

namespace {

Poco::JSON::Object::Ptr copyOf(const soar::emulator::Emulator& target, std::int64_t source_id) {
    const auto response =
        target.direct("GET",
                      "/rest/container?page_size=0&_filter_source_data_identifier=%22soar-"
                      "sync:src:" +
                          std::to_string(source_id) + "%22");
    REQUIRE(response.status == 200);
    const auto data = Poco::JSON::Parser()
                          .parse(response.body)
                          .extract<Poco::JSON::Object::Ptr>()
                          ->getArray("data");
    REQUIRE(data->size() == 1);
    return data->getObject(0);
}

}  // namespace

TEST_CASE(
    "Complete copies: owners by username, container fields, custom fields the target "
    "lacks",
    "[integration][owners]") {
    auto source_options = seeded(0, 0, 0);
    source_options.users = {"alice", "bob"};
    auto target_options = seeded(0, 0, 0);
    target_options.users = {"zed", "alice"};  // alice has another id there; no bob
    target_options.custom_fields = {{"region", false}};
    auto route = soar::test::testRoute();
    route.owners_by_name = true;
    SyncHarness h(source_options, target_options, route);
    const auto alice_source = h.source.addUser("alice");
    const auto bob_source = h.source.addUser("bob");
    const auto alice_target = h.target.addUser("alice");
    REQUIRE(alice_source != alice_target);

    const auto a = h.source.createContainer(
        R"({"name": "a", "label": "events", "owner_id": )" + std::to_string(alice_source) +
        R"(, "sensitivity": "red", "due_time": "2026-03-01T00:00:00.000000Z",
            "kill_chain": "Delivery", "custom_fields": {"region": "emea"}})");
    const auto b = h.source.createContainer(R"({"name": "b", "label": "events", "owner_id": )" +
                                            std::to_string(bob_source) + "}");
    const auto c = h.source.createContainer(
        R"({"name": "c", "label": "events", "custom_fields": {"ticket": "T-1"}})");

    const auto first = h.pass();
    CHECK(first.outcome == PassOutcome::RecordErrors);
    CHECK(first.counts.owners_unmatched == 1);
    const auto copy_a = copyOf(h.target, a);
    CHECK(copy_a->getValue<std::int64_t>("owner") == alice_target);
    CHECK(copy_a->getValue<std::string>("sensitivity") == "red");
    CHECK(copy_a->getValue<std::string>("kill_chain") == "Delivery");
    CHECK(copy_a->getValue<std::string>("due_time").rfind("2026-03-01T00:00:00", 0) == 0);
    CHECK(copy_a->getObject("custom_fields")->getValue<std::string>("region") == "emea");
    CHECK(copyOf(h.target, b)->isNull("owner"));
    const auto letters = h.store->deadLetters({route.name, "dst"});
    REQUIRE(letters.size() == 1);
    CHECK(letters[0].source_id == c);
    CHECK(letters[0].message == "Invalid custom field: 'ticket'");

    // Lost state file: the same two copies, nothing new.
    h.reopenStore(true);
    const auto again = h.pass();
    CHECK(again.counts.containers_created == 0);
    CHECK(h.target.containerCount() == 2);
    CHECK(copyOf(h.target, a)->getValue<std::int64_t>("owner") == alice_target);
}
