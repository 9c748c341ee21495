// Custom lists and deletions reconciled between two emulators over HTTP (design.md §5, "Lists"
// and "Deletions reconciled"; README "Custom lists"). Lists: the target's lists equal the
// source's, an unchanged list costs no write, a list missing on the source or above
// list_max_size fails alone and is never written (never cut), a purely numeric name is a name.
// Deletions: each reconcile_interval the mapped ids are asked of the source a page at a time
// (`_filter_id__in`); a container deleted there is kept, closed with one comment, or deleted on
// the target (a DELETE the target takes from a user only), its mapping buried under a tombstone.

#include "SyncHarness.h"

#include <Poco/JSON/Parser.h>
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

using soar::emulator::Emulator;
using soar::emulator::EmulatorOptions;
using soar::state::DeletionAction;
using soar::sync::OnSourceDelete;
using soar::sync::PassOutcome;
using soar::test::listOf;
using soar::test::seeded;
using soar::test::SyncHarness;

namespace {

const std::string kBlocklist = R"([["1.2.3.4","c2"],["evil.example","phish"]])";
const std::string kVipUsers = R"([["ceo@example.com"]])";

/// An empty instance holding `lists`.
EmulatorOptions withLists(std::vector<soar::emulator::ListSpec> lists) {
    auto options = seeded(0, 0, 0);
    options.lists = std::move(lists);
    return options;
}

/// A list's content as compact JSON; "(none)" when there is no list of that name.
std::string contentOf(const Emulator& emulator, const std::string& name) {
    return emulator.listContent(name).value_or("(none)");
}

soar::sync::RouteConfig listRoute(std::vector<std::string> lists) {
    auto route = soar::test::testRoute();
    route.lists = std::move(lists);
    return route;
}

std::optional<std::int64_t> findCopy(const Emulator& target, std::int64_t source_id) {
    const auto data = listOf(target,
                             "/rest/container?page_size=0&_filter_source_data_identifier=%22soar-"
                             "sync:src:" +
                                 std::to_string(source_id) + "%22");
    if (data->size() != 1) return std::nullopt;
    return data->getObject(0)->getValue<std::int64_t>("id");
}

std::int64_t copyOf(const Emulator& target, std::int64_t source_id) {
    const auto copy = findCopy(target, source_id);
    REQUIRE(copy);
    return *copy;
}

std::string statusOf(const Emulator& emulator, std::int64_t container) {
    const auto response = emulator.direct("GET", "/rest/container/" + std::to_string(container));
    REQUIRE(response.status == 200);
    return Poco::JSON::Parser()
        .parse(response.body)
        .extract<Poco::JSON::Object::Ptr>()
        ->getValue<std::string>("status");
}

std::vector<std::string> commentsOn(const Emulator& emulator, std::int64_t container) {
    const auto data =
        listOf(emulator, "/rest/container/" + std::to_string(container) + "/comments?page_size=0");
    std::vector<std::string> out;
    for (std::size_t i = 0; i < data->size(); ++i) {
        out.push_back(data->getObject(static_cast<unsigned>(i))->getValue<std::string>("comment"));
    }
    return out;
}

constexpr int kContainers = 12;
constexpr std::size_t kPageSize = 5;
constexpr std::chrono::minutes kInterval{10};

/// A route copying 12 new source containers (ids 1..12), page_size 5, reconciling every 10
/// minutes of its own ManualClock; the first pass made the copies (and the first, empty
/// reconcile).
struct DeletionRoute {
    explicit DeletionRoute(OnSourceDelete action, bool target_user = false)
        : h(seeded(0, 0, 0), EmulatorOptions{}, route(action)),
          clock(std::make_shared<soar::sync::ManualClock>()) {
        for (int i = 1; i <= kContainers; ++i) {
            REQUIRE(h.source.createContainer(R"({"name": "case )" + std::to_string(i) +
                                             R"(", "label": "events"})") == i);
        }
        h.useEngineClock(clock);
        if (target_user) {
            h.useTargetApi(soar::test::userClientFor(h.target, EmulatorOptions{}, "dst"));
        }
        const auto first = h.pass();
        REQUIRE(first.outcome == PassOutcome::Ok);
        REQUIRE(first.counts.containers_created == kContainers);
        REQUIRE(h.target.containerCount() == static_cast<std::size_t>(kContainers));
    }

    static soar::sync::RouteConfig route(OnSourceDelete action) {
        auto r = soar::test::testRoute();
        r.page_size = kPageSize;
        r.on_source_delete = action;
        r.reconcile_interval = kInterval;
        return r;
    }

    /// A pass once the reconcile is due.
    soar::sync::PassResult reconcilePass() {
        clock->advance(kInterval);
        return h.pass();
    }

    [[nodiscard]] const soar::state::RouteTarget& key() const { return h.sync_->key(); }

    SyncHarness h;
    std::shared_ptr<soar::sync::ManualClock> clock;
};

}  // namespace

TEST_CASE("Lists over HTTP: the target's lists equal the source's, and only a change is written",
          "[integration][lists]") {
    SyncHarness h(withLists({{"blocklist", kBlocklist}, {"vip_users", kVipUsers}}),
                  EmulatorOptions{}, listRoute({"blocklist", "vip_users"}));
    const auto first = h.pass();
    REQUIRE(first.outcome == PassOutcome::Ok);
    CHECK(first.counts.lists_written == 2);
    CHECK(first.counts.lists_failed == 0);
    CHECK(contentOf(h.target, "blocklist") == kBlocklist);
    CHECK(contentOf(h.target, "vip_users") == kVipUsers);
    CHECK(contentOf(h.target, "blocklist") == contentOf(h.source, "blocklist"));
    CHECK(contentOf(h.target, "vip_users") == contentOf(h.source, "vip_users"));
    CHECK(h.target.listWrites() == 2);  // one create each

    // Unchanged lists cost no write on the target, pass after pass.
    for (int i = 0; i < 2; ++i) {
        const auto idle = h.pass();
        REQUIRE(idle.outcome == PassOutcome::Ok);
        CHECK(idle.counts.lists_written == 0);
    }
    CHECK(h.target.listWrites() == 2);

    // An analyst edits one list on the source: that list alone, in one write, whole.
    const std::string edited = R"([["1.2.3.4","c2"],["evil.example","c2"],["5.6.7.8",3]])";
    (void)h.source.putList("blocklist", edited);
    const auto changed = h.pass();
    REQUIRE(changed.outcome == PassOutcome::Ok);
    CHECK(changed.counts.lists_written == 1);
    CHECK(h.target.listWrites() == 3);
    CHECK(contentOf(h.target, "blocklist") == edited);
    CHECK(contentOf(h.target, "vip_users") == kVipUsers);
    REQUIRE(h.pass().outcome == PassOutcome::Ok);
    CHECK(h.target.listWrites() == 3);

    // What the state file keeps: one copy per list, with the rows written.
    const auto copies = h.store->listCopies(h.sync_->key());
    REQUIRE(copies.size() == 2);
    CHECK(copies[0].name == "blocklist");
    CHECK(copies[0].rows == 3);
    CHECK(copies[0].bytes == static_cast<std::int64_t>(edited.size()));
}

TEST_CASE("Lists over HTTP: a list missing on the source fails alone and is never created",
          "[integration][lists]") {
    SyncHarness h(withLists({{"blocklist", kBlocklist}, {"vip_users", kVipUsers}}),
                  EmulatorOptions{}, listRoute({"no_such_list", "vip_users"}));
    const auto result = h.pass();
    CHECK(result.outcome == PassOutcome::Ok);
    CHECK(result.counts.lists_failed == 1);
    CHECK(result.counts.lists_written == 1);  // the list after it still goes
    CHECK(contentOf(h.target, "vip_users") == kVipUsers);
    CHECK_FALSE(h.target.listContent("no_such_list").has_value());
    CHECK(h.target.listWrites() == 1);
    CHECK_THAT(h.store->health(h.sync_->key()).last_error.value_or(""),
               Catch::Contains("custom list 'no_such_list' does not exist on src"));

    // A list deleted on the source after it was copied: the target's copy stays as it was,
    // never emptied.
    REQUIRE(h.source.deleteList("vip_users"));
    const auto after = h.pass();
    CHECK(after.outcome == PassOutcome::Ok);
    CHECK(after.counts.lists_failed == 2);
    CHECK(contentOf(h.target, "vip_users") == kVipUsers);
    CHECK(h.target.listWrites() == 1);
}

TEST_CASE("Lists over HTTP: a list above list_max_size is refused, never cut on the target",
          "[integration][lists]") {
    // The target truncates silently, as SOAR does, what is longer than list_max_size: a list
    // written anyway would arrive cut.
    const std::string at_limit = R"([["abcdefghij"],["klmnopqrst"]])";  // 31 bytes
    auto target_options = EmulatorOptions{};
    target_options.list_max_bytes = at_limit.size();
    auto route = listRoute({"blocklist", "small"});
    route.list_max_size = at_limit.size();
    REQUIRE(kBlocklist.size() > at_limit.size());
    SyncHarness h(withLists({{"blocklist", kBlocklist}, {"small", at_limit}}), target_options,
                  route);
    const auto result = h.pass();
    CHECK(result.outcome == PassOutcome::Ok);
    CHECK(result.counts.lists_failed == 1);
    CHECK(result.counts.lists_written == 1);
    CHECK_FALSE(h.target.listContent("blocklist").has_value());
    CHECK(contentOf(h.target, "small") == at_limit);  // exactly at the limit: whole
    CHECK(h.target.listWrites() == 1);
    CHECK_THAT(h.store->health(h.sync_->key()).last_error.value_or(""),
               Catch::Contains("custom list 'blocklist' is " + std::to_string(kBlocklist.size()) +
                               " bytes, above list_max_size"));

    // Grown past the limit after it was copied: the target keeps the last whole copy.
    (void)h.source.putList("small", R"([["abcdefghij"],["klmnopqrst"],["u"]])");
    const auto grown = h.pass();
    CHECK(grown.counts.lists_failed == 2);
    CHECK(contentOf(h.target, "small") == at_limit);
    CHECK(h.target.listWrites() == 1);
}

TEST_CASE("Lists over HTTP: a purely numeric name is found by name, never taken as an id",
          "[integration][lists]") {
    // Source ids: blocklist 1, "42" 2, "1" 3; target: allow 1. Read as ids, "1" would be the
    // source's blocklist, and an update of the target's "1" would overwrite its allow list.
    const std::string allow = R"([["10.0.0.0/8"]])";
    const std::string forty_two = R"([["answer"]])";
    const std::string one = R"([["first"],["row two"]])";
    SyncHarness h(withLists({{"blocklist", kBlocklist}, {"42", forty_two}, {"1", one}}),
                  withLists({{"allow", allow}}), listRoute({"42", "1"}));
    const auto first = h.pass();
    REQUIRE(first.outcome == PassOutcome::Ok);
    CHECK(first.counts.lists_written == 2);
    CHECK(first.counts.lists_failed == 0);
    CHECK(contentOf(h.target, "42") == forty_two);
    CHECK(contentOf(h.target, "1") == one);
    CHECK(contentOf(h.target, "allow") == allow);

    const std::string edited = R"([["first"],["row three"]])";
    (void)h.source.putList("1", edited);
    const auto second = h.pass();
    REQUIRE(second.outcome == PassOutcome::Ok);
    CHECK(second.counts.lists_written == 1);
    CHECK(contentOf(h.target, "1") == edited);
    CHECK(contentOf(h.target, "allow") == allow);
    CHECK(contentOf(h.target, "42") == forty_two);
    CHECK(h.target.listWrites() == 3);
}

TEST_CASE("Lists over HTTP: a list is read in one request by its name, whatever it holds",
          "[integration][lists]") {
    const std::string spaced = R"([["a b"]])";
    const std::string unicode = R"([["\u00fc"]])";
    const std::string slashed = R"([["x"]])";
    const std::string quoted = R"([["q"]])";
    SyncHarness h(withLists({{"blocked ips", spaced},
                             {"Liste \u00fcber 100%", unicode},
                             {"team/a", slashed},
                             {"it's \"quoted\" #1?", quoted},
                             {"42", kVipUsers}}),
                  EmulatorOptions{}, listRoute({}));
    auto& source = *h.source_side;
    auto rows = [&](const std::string& name, std::uint64_t requests) {
        const auto before = h.source.requestCount();
        const auto read = source.readList(name);
        CHECK(h.source.requestCount() - before == requests);
        if (!read) return std::string("(none)");
        std::ostringstream out;
        (*read)->stringify(out);
        return out.str();
    };
    CHECK(rows("blocked ips", 1) == spaced);
    CHECK(rows("it's \"quoted\" #1?", 1) == quoted);
    CHECK(rows("Liste \u00fcber 100%", 1) == contentOf(h.source, "Liste \u00fcber 100%"));
    CHECK(rows("no such list", 1) == "(none)");
    // A name the path cannot carry (a '/', or digits that read as an id): by filter, then id.
    CHECK(rows("team/a", 2) == slashed);
    CHECK(rows("42", 2) == kVipUsers);
    CHECK(rows("Blocked IPs", 1) == "(none)");  // names are exact
}

TEST_CASE("Deletions over HTTP: a reconcile of 12 copies costs 3 id-filtered requests",
          "[integration][deletions]") {
    DeletionRoute r(OnSourceDelete::Keep);
    auto& h = r.h;
    const auto costOfPass = [&](std::uint64_t& target_cost) {
        const auto source_before = h.source.requestCount();
        const auto target_before = h.target.requestCount();
        const auto result = h.pass();
        REQUIRE(result.outcome == PassOutcome::Ok);
        CHECK(result.counts.deletions_found == 0);
        target_cost = h.target.requestCount() - target_before;
        return h.source.requestCount() - source_before;
    };
    std::uint64_t idle_target = 0;
    std::uint64_t target_cost = 0;
    // Idle passes within the lookback of the cursors' last move read that overlap again.
    const auto overlapping = costOfPass(idle_target);
    CHECK(costOfPass(target_cost) == overlapping);
    // Just before the interval: still not due. This walk, a lookback after the cursors moved,
    // reads the overlap a last time; the idle passes after it do not.
    r.clock->advance(kInterval - std::chrono::seconds(1));
    CHECK(costOfPass(target_cost) == overlapping);
    const auto idle = costOfPass(target_cost);
    CHECK(idle < overlapping);

    r.clock->advance(std::chrono::seconds(1));
    const auto reconcile = costOfPass(target_cost);
    UNSCOPED_INFO("idle pass: " << idle << " source requests, " << idle_target
                                << " target requests; reconcile pass: " << reconcile << ", "
                                << target_cost);
    CHECK(reconcile == idle + 3);       // 5 + 5 + 2 ids
    CHECK(target_cost == idle_target);  // nothing deleted: nothing asked of the target
    const auto state = h.store->reconcileState(r.key());
    REQUIRE(state);
    CHECK_FALSE(state->started_at.has_value());
    CHECK(state->last_checked == kContainers);
    CHECK(state->last_requests == 3);
    CHECK(state->last_found == 0);
    CHECK(h.store->tombstones(r.key()).empty());
    // Done for this interval.
    CHECK(costOfPass(target_cost) == idle);
}

TEST_CASE("Deletions over HTTP: keep leaves the copies and stores tombstones",
          "[integration][deletions]") {
    DeletionRoute r(OnSourceDelete::Keep);
    auto& h = r.h;
    const auto copy3 = copyOf(h.target, 3);
    const auto copy11 = copyOf(h.target, 11);
    REQUIRE(h.source.deleteContainer(3));
    // An analyst deletes one with a user's DELETE.
    REQUIRE(h.source.direct("DELETE", "/rest/container/11", "", true).status == 200);

    const auto not_due = h.pass();
    CHECK(not_due.counts.deletions_found == 0);
    CHECK(h.store->tombstones(r.key()).empty());

    const auto result = r.reconcilePass();
    REQUIRE(result.outcome == PassOutcome::Ok);
    CHECK(result.counts.deletions_found == 2);
    CHECK(h.target.containerCount() == static_cast<std::size_t>(kContainers));
    CHECK(statusOf(h.target, copy3) == "new");
    CHECK(commentsOn(h.target, copy3).empty());

    // In the state file, as a fresh open reads it.
    h.reopenStore(false);
    const auto tombstones = h.store->tombstones(r.key());
    REQUIRE(tombstones.size() == 2);
    CHECK(tombstones[0].source_id == 3);
    CHECK(tombstones[0].target_id == copy3);
    CHECK(tombstones[0].action == DeletionAction::Kept);
    CHECK(tombstones[1].source_id == 11);
    CHECK(tombstones[1].target_id == copy11);
    CHECK(tombstones[1].action == DeletionAction::Kept);
    CHECK_FALSE(h.store->containerMapping(r.key(), 3).has_value());
    CHECK(h.store->containerMapping(r.key(), 4).has_value());

    // The next reconcile checks the 10 left: two pages, nothing new.
    const auto next = r.reconcilePass();
    CHECK(next.counts.deletions_found == 0);
    CHECK(h.store->reconcileState(r.key())->last_checked == 10);
    CHECK(h.store->reconcileState(r.key())->last_requests == 2);
    CHECK(h.store->tombstones(r.key()).size() == 2);
}

TEST_CASE("Deletions over HTTP: close sets the copy closed with one comment naming the source",
          "[integration][deletions]") {
    DeletionRoute r(OnSourceDelete::Close);
    auto& h = r.h;
    const auto copy5 = copyOf(h.target, 5);
    const auto copy6 = copyOf(h.target, 6);
    REQUIRE(statusOf(h.target, copy5) == "new");
    REQUIRE(h.source.deleteContainer(5));

    const auto result = r.reconcilePass();
    REQUIRE(result.outcome == PassOutcome::Ok);
    CHECK(result.counts.deletions_found == 1);
    CHECK(result.counts.copies_closed == 1);
    CHECK(statusOf(h.target, copy5) == "closed");
    const auto comments = commentsOn(h.target, copy5);
    REQUIRE(comments.size() == 1);
    CHECK_THAT(comments[0], Catch::Contains("The source container 5 on src was deleted") &&
                                Catch::Contains("[soar-sync:src:deleted:5]"));
    // The other copies are untouched.
    CHECK(statusOf(h.target, copy6) == "new");
    CHECK(commentsOn(h.target, copy6).empty());
    CHECK(h.target.containerCount() == static_cast<std::size_t>(kContainers));
    CHECK(h.store->tombstones(r.key()).at(0).action == DeletionAction::Closed);

    // Later reconciles leave it alone: still one comment.
    REQUIRE(r.reconcilePass().outcome == PassOutcome::Ok);
    CHECK(commentsOn(h.target, copy5).size() == 1);
    CHECK(h.target.commentCount() == 1);
}

TEST_CASE("Deletions over HTTP: delete removes the copy when the target signs in as a user",
          "[integration][deletions]") {
    DeletionRoute r(OnSourceDelete::Delete, true);
    auto& h = r.h;
    const auto copy2 = copyOf(h.target, 2);
    const auto copy9 = copyOf(h.target, 9);
    REQUIRE(h.target.deleteContainer(copy9));  // someone deleted this copy already
    REQUIRE(h.source.deleteContainer(2));
    REQUIRE(h.source.deleteContainer(9));

    const auto result = r.reconcilePass();
    REQUIRE(result.outcome == PassOutcome::Ok);
    CHECK(result.counts.deletions_found == 2);
    CHECK(result.counts.copies_deleted == 1);
    CHECK_FALSE(findCopy(h.target, 2).has_value());
    CHECK(h.target.recordJson("container", copy2).empty());
    CHECK(h.target.containerCount() == static_cast<std::size_t>(kContainers - 2));
    CHECK(findCopy(h.target, 1).has_value());
    const auto tombstones = h.store->tombstones(r.key());
    REQUIRE(tombstones.size() == 2);
    CHECK(tombstones[0].action == DeletionAction::Deleted);
    CHECK(tombstones[1].action == DeletionAction::Gone);
    // The streams do not bring them back.
    REQUIRE(h.pass().outcome == PassOutcome::Ok);
    CHECK(h.target.containerCount() == static_cast<std::size_t>(kContainers - 2));
}

TEST_CASE("Deletions over HTTP: delete with a token on the target fails the pass, loses nothing",
          "[integration][deletions]") {
    DeletionRoute r(OnSourceDelete::Delete);  // the target client sends the automation token
    auto& h = r.h;
    const auto copy4 = copyOf(h.target, 4);
    REQUIRE(h.source.deleteContainer(4));

    const auto refused = r.reconcilePass();
    CHECK(refused.outcome != PassOutcome::Ok);
    CHECK(refused.outcome == PassOutcome::Failing);
    CHECK(h.store->containerMapping(r.key(), 4).has_value());
    CHECK(h.store->tombstones(r.key()).empty());
    CHECK(findCopy(h.target, 4) == copy4);

    // Signed in as a user, the next pass finishes that reconcile at once.
    h.useTargetApi(soar::test::userClientFor(h.target, EmulatorOptions{}, "dst"));
    const auto resumed = h.pass();
    REQUIRE(resumed.outcome == PassOutcome::Ok);
    CHECK(resumed.counts.copies_deleted == 1);
    CHECK_FALSE(findCopy(h.target, 4).has_value());
    CHECK_FALSE(h.store->containerMapping(r.key(), 4).has_value());
    REQUIRE(h.store->tombstones(r.key()).size() == 1);
    CHECK(h.store->tombstones(r.key()).at(0).action == DeletionAction::Deleted);
}
