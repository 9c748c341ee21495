// Custom lists on the fakes (design.md §5, "Lists"; soar-api-more.md §2): each listed list
// reaches the target with the source's exact rows, written in one request only when its content
// hash changed; a list missing on the source, too large, or refused is an error naming it while
// the other lists still go; a lost state file costs one rewrite, never a wrong list.

#include "EngineFixture.h"

#include <Poco/Logger.h>
#include <catch2/catch.hpp>

#include <string>

namespace {

using soar::sync::PassOutcome;
using soar::test::EngineFixture;
using soar::test::FakeTarget;

struct ListFixture : EngineFixture {
    ListFixture() {
        route.lists = {"blocklist", "vip_users"};
        source.setList("blocklist", R"([["1.2.3.4", "c2"], ["evil.example", "phish"]])");
        source.setList("vip_users", R"([["ceo@example.com"]])");
    }
    /// The list writes of one pass.
    std::int64_t listWritesOfPass() {
        target.resetCounts();
        const auto result = pass();
        REQUIRE(result.outcome == PassOutcome::Ok);
        return target.calls(FakeTarget::Call::WriteList);
    }
};

}  // namespace

TEST_CASE("Lists: each list reaches the target exactly, and an unchanged one is never rewritten",
          "[sync][lists]") {
    ListFixture f;
    const auto first = f.pass();
    CHECK(first.outcome == PassOutcome::Ok);
    CHECK(first.counts.lists_written == 2);
    CHECK(f.target.listRows("blocklist") == R"([["1.2.3.4","c2"],["evil.example","phish"]])");
    CHECK(f.target.listRows("vip_users") == R"([["ceo@example.com"]])");
    CHECK(f.listWritesOfPass() == 0);
    CHECK(f.listWritesOfPass() == 0);

    // A row added and a row edited on the source: that list alone is written, whole.
    f.source.setList("blocklist", R"([["1.2.3.4", "c2"], ["evil.example", "c2"], ["5.6.7.8", 3]])");
    CHECK(f.listWritesOfPass() == 1);
    CHECK(f.target.listRows("blocklist") ==
          R"([["1.2.3.4","c2"],["evil.example","c2"],["5.6.7.8",3]])");
    CHECK(f.listWritesOfPass() == 0);

    // What the store keeps: per list, the hash, rows and size of what was written.
    const auto copies = f.store.listCopies(f.key);
    REQUIRE(copies.size() == 2);
    CHECK(copies[0].name == "blocklist");
    CHECK(copies[0].rows == 3);
    CHECK(copies[0].content_hash.size() == 64);
    CHECK(copies[1].name == "vip_users");
}

TEST_CASE("Lists: a list missing on the source is an error naming it, and the others still go",
          "[sync][lists]") {
    ListFixture f;
    (void)f.pass();
    f.source.removeList("blocklist");
    f.source.setList("vip_users", R"([["ceo@example.com"], ["cfo@example.com"]])");
    const auto result = f.pass();
    CHECK(result.outcome == PassOutcome::Ok);
    CHECK(result.counts.lists_failed == 1);
    CHECK(result.counts.lists_written == 1);
    // The target's copy stays as it was: never an empty list.
    CHECK(f.target.listRows("blocklist") == R"([["1.2.3.4","c2"],["evil.example","phish"]])");
    CHECK(f.target.listRows("vip_users") == R"([["ceo@example.com"],["cfo@example.com"]])");
    CHECK_THAT(f.logs.all(), Catch::Contains("custom list 'blocklist' does not exist on src"));
    CHECK_THAT(f.store.health(f.key).last_error.value_or(""),
               Catch::Contains("custom list 'blocklist'"));

    // Logged as an error once while it lasts, though every pass counts it.
    const auto errors = [&] {
        const auto all = f.logs.all();
        std::size_t n = 0;
        for (auto at = all.find("does not exist on src"); at != std::string::npos;
             at = all.find("does not exist on src", at + 1)) {
            ++n;
        }
        return n;
    };
    // (One engine: a restarted daemon says it again. Debug lines left out.)
    Poco::Logger::get("sync.route").setLevel(Poco::Message::PRIO_INFORMATION);
    auto engine = f.engine();
    CHECK(engine->runPass().counts.lists_failed == 1);
    const auto before = errors();
    CHECK(engine->runPass().counts.lists_failed == 1);
    CHECK(engine->runPass().counts.lists_failed == 1);
    CHECK(errors() == before);
    // Back on the source: said once, and written.
    f.source.setList("blocklist", R"([["9.9.9.9", "c2"]])");
    CHECK(engine->runPass().counts.lists_written == 1);
    CHECK_THAT(f.logs.all(), Catch::Contains("custom list 'blocklist' can be copied again"));
}

TEST_CASE("Lists: one above list_max_size or refused by the target is not written, never cut",
          "[sync][lists]") {
    ListFixture f;
    SECTION("too large") {
        f.route.list_max_size = 30;  // the blocklist's rows are 43 bytes
        const auto result = f.pass();
        CHECK(result.counts.lists_failed == 1);
        CHECK(result.counts.lists_written == 1);
        CHECK_FALSE(f.target.listRows("blocklist").has_value());
        CHECK_THAT(f.logs.all(), Catch::Contains("custom list 'blocklist' is 43 bytes, above "
                                                 "list_max_size (30 bytes)"));
    }
    SECTION("refused") {
        f.target.refuseIf([](FakeTarget::Call call,
                             const Poco::JSON::Object& body) -> std::optional<std::string> {
            if (call == FakeTarget::Call::WriteList &&
                body.getValue<std::string>("name") == "vip_users") {
                return "You do not have permission to edit this list";
            }
            return std::nullopt;
        });
        const auto result = f.pass();
        CHECK(result.counts.lists_failed == 1);
        CHECK(result.counts.lists_written == 1);
        CHECK_THAT(f.logs.all(), Catch::Contains("custom list 'vip_users' was refused by dst: You "
                                                 "do not have permission"));
        // Tried again on the next pass (nothing was stored for it).
        f.target.refuseIf(nullptr);
        CHECK(f.listWritesOfPass() == 1);
        CHECK(f.target.listRows("vip_users") == R"([["ceo@example.com"]])");
    }
}

TEST_CASE("Lists: a list edited by hand on the target is put right when the source's changes",
          "[sync][lists]") {
    ListFixture f;
    (void)f.pass();
    f.target.setListAsAnalyst("vip_users", R"([["intern@example.com"]])");
    // The source's is unchanged: the hash stored says there is nothing to write.
    CHECK(f.listWritesOfPass() == 0);
    // A change on the source writes the source's content again.
    f.source.setList("vip_users", R"([["ceo@example.com"], ["cto@example.com"]])");
    CHECK(f.listWritesOfPass() == 1);
    CHECK(f.target.listRows("vip_users") == R"([["ceo@example.com"],["cto@example.com"]])");
}

TEST_CASE("Lists: a lost state file costs one rewrite of each list", "[sync][lists]") {
    ListFixture f;
    (void)f.pass();
    soar::test::InMemoryStore fresh;
    f.target.resetCounts();
    const auto again =
        soar::sync::TargetSync(f.route, f.options, f.source, f.target, fresh).runPass();
    CHECK(again.outcome == PassOutcome::Ok);
    CHECK(f.target.calls(FakeTarget::Call::WriteList) == 2);
    CHECK(f.target.listRows("blocklist") == R"([["1.2.3.4","c2"],["evil.example","phish"]])");
}
