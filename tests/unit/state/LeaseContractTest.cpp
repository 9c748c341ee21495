// The contract of `LeaseStore` (LeaseStore.h), run against every store: route leases with
// holder and epoch, hand-over requests, heartbeats, and fencing of a lost lease's writes. Lease
// time is the fixture's clock, moved by hand.

#include "ContractBuilders.h"
#include "StateTestUtil.h"
#include "StoreFixtures.h"
#include "soar/state/StateError.h"
#include "soar/state/Store.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <string>
#include <vector>

using namespace soar::state;
using namespace soar::state::test;

namespace {

constexpr std::chrono::milliseconds kTtl{30'000};
const std::string kRoute = testKey().route;

/// Runs `write` and requires it to throw `StateError::Kind::Fenced` naming the route.
template <class Fn>
void requireFenced(Fn&& write) {
    try {
        write();
        FAIL("the write of a lost lease's route passed");
    } catch (const StateError& e) {
        CHECK(e.kind() == StateError::Kind::Fenced);
        CHECK_THAT(e.what(), Catch::Contains(kRoute));
        CHECK_THAT(e.what(), Catch::Contains("nothing was written"));
    }
}

PassRecord passAt(const std::string& started_at) {
    PassRecord pass;
    pass.started_at = started_at;
    pass.finished_at = started_at;
    pass.outcome = "ok";
    return pass;
}

}  // namespace

STORE_CONTRACT("a lease is taken at epoch 1 and refused to others while it lives", "[lease]") {
    TestType f;
    Store& store = f.store();
    const auto start = store.leaseClockMs();

    CHECK(store.leases().empty());
    const auto a = store.acquireLease(kRoute, "node-a", kTtl);
    REQUIRE(a);
    CHECK(a->route == kRoute);
    CHECK(a->holder == "node-a");
    CHECK(a->epoch == 1);
    CHECK(a->acquired_ms == start);
    CHECK(a->expires_ms == start + kTtl.count());

    f.advance(kTtl.count() - 1);
    CHECK_FALSE(store.acquireLease(kRoute, "node-b", kTtl));

    // The holder taking it again renews its tenure: same epoch, same start, later end.
    const auto again = store.acquireLease(kRoute, "node-a", kTtl);
    REQUIRE(again);
    CHECK(again->epoch == 1);
    CHECK(again->acquired_ms == start);
    CHECK(again->expires_ms == start + kTtl.count() - 1 + kTtl.count());

    // Another route is another lease.
    const auto other = store.acquireLease("lab-to-dr", "node-b", kTtl);
    REQUIRE(other);
    CHECK(other->epoch == 1);

    const auto all = store.leases();
    REQUIRE(all.size() == 2);
    CHECK(all[0].route == "hq-to-dr");
    CHECK(all[0].holder == "node-a");
    CHECK(all[1].route == "lab-to-dr");
    CHECK(all[1].holder == "node-b");
}

STORE_CONTRACT("a lapsed lease is taken by another holder at the next epoch", "[lease]") {
    TestType f;
    Store& store = f.store();
    REQUIRE(store.acquireLease(kRoute, "node-a", kTtl));

    f.advance(kTtl.count());  // expires_ms <= now: lapsed
    const auto b = store.acquireLease(kRoute, "node-b", kTtl);
    REQUIRE(b);
    CHECK(b->holder == "node-b");
    CHECK(b->epoch == 2);
    CHECK(b->acquired_ms == store.leaseClockMs());
    CHECK_FALSE(store.acquireLease(kRoute, "node-a", kTtl));

    // Its own lapsed lease, taken again by the same holder, is a new tenure too.
    f.advance(kTtl.count());
    const auto b2 = store.acquireLease(kRoute, "node-b", kTtl);
    REQUIRE(b2);
    CHECK(b2->epoch == 3);
}

STORE_CONTRACT("renewing keeps the epoch until the lease is lost, and release frees it at once",
               "[lease]") {
    TestType f;
    Store& store = f.store();
    const auto a = store.acquireLease(kRoute, "node-a", kTtl);
    REQUIRE(a);

    f.advance(10'000);
    const auto renewed = store.renewLease(*a, kTtl);
    REQUIRE(renewed);
    CHECK(renewed->epoch == 1);
    CHECK(renewed->acquired_ms == a->acquired_ms);
    CHECK(renewed->expires_ms == store.leaseClockMs() + kTtl.count());

    // Lapsed but untaken: still the holder's, renewing works.
    f.advance(kTtl.count() + 5'000);
    const auto late = store.renewLease(*a, kTtl);
    REQUIRE(late);
    CHECK(late->epoch == 1);

    // Taken by someone else: lost for good, and releasing it changes nothing.
    f.advance(kTtl.count());
    const auto b = store.acquireLease(kRoute, "node-b", kTtl);
    REQUIRE(b);
    CHECK_FALSE(store.renewLease(*a, kTtl));
    store.releaseLease(*a);
    CHECK_FALSE(store.acquireLease(kRoute, "node-c", kTtl));

    // The holder's release lets another take it now, at a higher epoch.
    store.releaseLease(*b);
    const auto c = store.acquireLease(kRoute, "node-c", kTtl);
    REQUIRE(c);
    CHECK(c->epoch == b->epoch + 1);
    CHECK_FALSE(store.renewLease(*b, kTtl));
}

STORE_CONTRACT("a request reserves a free lease for the requester for one ttl", "[lease]") {
    TestType f;
    Store& store = f.store();

    SECTION("on a route never taken") {
        store.requestLease(kRoute, "node-b");
        const auto all = store.leases();
        REQUIRE(all.size() == 1);
        CHECK(all[0].holder.empty());
        CHECK(all[0].epoch == 0);
        CHECK(all[0].wanted_by == "node-b");
        CHECK(all[0].wanted_ms == store.leaseClockMs());

        CHECK_FALSE(store.acquireLease(kRoute, "node-a", kTtl));
        const auto b = store.acquireLease(kRoute, "node-b", kTtl);
        REQUIRE(b);
        CHECK(b->epoch == 1);
        CHECK(b->wanted_by.empty());
        CHECK(b->wanted_ms == 0);
    }
    SECTION("handed over by its holder") {
        const auto a = store.acquireLease(kRoute, "node-a", kTtl);
        REQUIRE(a);
        store.requestLease(kRoute, "node-b");
        // The holder sees the request on renewal, and the request stays until it is served.
        const auto renewed = store.renewLease(*a, kTtl);
        REQUIRE(renewed);
        CHECK(renewed->wanted_by == "node-b");
        CHECK_FALSE(store.acquireLease(kRoute, "node-b", kTtl));  // still live
        store.releaseLease(*renewed);
        CHECK_FALSE(store.acquireLease(kRoute, "node-c", kTtl));  // reserved for node-b
        const auto b = store.acquireLease(kRoute, "node-b", kTtl);
        REQUIRE(b);
        CHECK(b->epoch == 2);
        CHECK(b->wanted_by.empty());
    }
    SECTION("a request older than a ttl no longer reserves") {
        store.requestLease(kRoute, "node-b");
        f.advance(kTtl.count());
        const auto a = store.acquireLease(kRoute, "node-a", kTtl);
        REQUIRE(a);
        CHECK(a->wanted_by == "node-b");  // kept: it is node-b's to withdraw or serve
    }
}

STORE_CONTRACT("heartbeats list the live nodes until they lapse or are forgotten", "[lease]") {
    TestType f;
    Store& store = f.store();
    CHECK(store.liveNodes().empty());

    store.heartbeat("node-b", kTtl);
    f.advance(1'000);
    store.heartbeat("node-a", std::chrono::milliseconds(5'000));
    auto nodes = store.liveNodes();
    REQUIRE(nodes.size() == 2);
    CHECK(nodes[0].holder == "node-a");
    CHECK(nodes[0].seen_ms == store.leaseClockMs());
    CHECK(nodes[0].expires_ms == store.leaseClockMs() + 5'000);
    CHECK(nodes[1].holder == "node-b");

    f.advance(5'000);
    nodes = store.liveNodes();
    REQUIRE(nodes.size() == 1);
    CHECK(nodes[0].holder == "node-b");

    store.heartbeat("node-a", kTtl);  // back again
    CHECK(store.liveNodes().size() == 2);
    store.forgetNode("node-b");
    nodes = store.liveNodes();
    REQUIRE(nodes.size() == 1);
    CHECK(nodes[0].holder == "node-a");
}

STORE_CONTRACT("a fenced store's writes pass while its lease holds and fail once it is lost",
               "[lease][fence]") {
    TestType f;
    Store& store = f.store();
    const auto key = testKey();
    const RouteTarget other_target{kRoute, "lab"};
    const RouteTarget other_route{"lab-to-dr", "dr"};

    const auto a = store.acquireLease(kRoute, "node-a", kTtl);
    REQUIRE(a);
    store.fence(*a);
    (void)store.commit(unitOf(1));
    CHECK(rowsOfUnit(store, 1) == 1 + kArtifactsPerUnit);
    store.setCursor(key, Cursor{Stream::Comments, "2024-05-01T10:00:01Z", 1});
    store.recordPass(key, passAt("2024-05-01T10:00:00Z"));
    const auto run = store.recordPlaybookIntent(intent("create:1"));
    REQUIRE(run.created);

    // Lapsed and untaken: still this holder's, writes pass.
    f.advance(kTtl.count() + 1);
    (void)store.commit(unitOf(2));
    CHECK(rowsOfUnit(store, 2) == 1 + kArtifactsPerUnit);

    const auto b = store.acquireLease(kRoute, "node-b", kTtl);
    REQUIRE(b);
    CHECK(b->epoch == 2);

    requireFenced([&] { (void)store.commit(unitOf(3)); });
    CHECK(rowsOfUnit(store, 3) == 0);
    requireFenced([&] {
        store.setCursor(key, Cursor{Stream::Comments, "2024-05-01T10:00:09Z", 9});
    });
    const auto cursor = store.cursor(key, Stream::Comments);
    REQUIRE(cursor);
    CHECK(cursor->last_id == 1);
    requireFenced([&] { store.recordPass(key, passAt("2024-05-01T11:00:00Z")); });
    const auto pass = store.lastPass(key);
    REQUIRE(pass);
    CHECK(pass->started_at == "2024-05-01T10:00:00Z");
    requireFenced([&] {
        (void)store.updatePlaybookRun(run.run.id, RunStatus::Running, 77, "started",
                                      "2024-05-01T10:00:05Z");
    });
    requireFenced([&] { (void)store.setPlaybookReport(run.run.id, ReportState::Skipped); });
    const auto stored_run = store.playbookRun(key, "create:1");
    REQUIRE(stored_run);
    CHECK(stored_run->status == RunStatus::Intent);
    CHECK_FALSE(stored_run->run_id);
    CHECK(stored_run->report == ReportState::None);
    requireFenced([&] { (void)store.deleteContainerMapping(key, 1); });
    CHECK(store.containerMapping(key, 1));
    requireFenced([&] { (void)store.recordDeadLetter(key, {RecordKind::Container, 4}, "x", "t"); });
    CHECK(store.deadLetterCount(key) == 0);
    requireFenced([&] { (void)store.addStrike(key, 4, "2024-05-01T10:00:00Z"); });
    CHECK(store.strikes(key).empty());
    requireFenced([&] { store.markFailing(key, "down", "2024-05-01T10:00:00Z"); });
    CHECK_FALSE(store.health(key).failing_since);
    // Every target of the route is fenced; other routes are not.
    requireFenced([&] { (void)store.commit(unitOf(4, other_target)); });
    CHECK(rowsOfUnit(store, 4, other_target) == 0);
    (void)store.commit(unitOf(5, other_route));
    CHECK(rowsOfUnit(store, 5, other_route) == 1 + kArtifactsPerUnit);

    // Fenced at the new tenure, the writes pass again; unfenced, they are not checked at all.
    store.fence(*b);
    (void)store.commit(unitOf(6));
    CHECK(rowsOfUnit(store, 6) == 1 + kArtifactsPerUnit);
    store.fence(*a);
    requireFenced([&] { (void)store.commit(unitOf(7)); });
    store.unfence(kRoute);
    (void)store.commit(unitOf(7));
    CHECK(rowsOfUnit(store, 7) == 1 + kArtifactsPerUnit);
    CHECK(store.updatePlaybookRun(run.run.id, RunStatus::Running, 77, "started",
                                  "2024-05-01T10:00:05Z"));
}

STORE_CONTRACT("a fenced route whose lease row is missing refuses writes", "[lease][fence]") {
    TestType f;
    Store& store = f.store();
    Lease never_taken;
    never_taken.route = kRoute;
    never_taken.holder = "node-a";
    never_taken.epoch = 1;
    store.fence(never_taken);
    requireFenced([&] { (void)store.commit(unitOf(1)); });
    CHECK(rowsOfUnit(store, 1) == 0);
}

SHARED_STORE_CONTRACT("a second store on the same state sees the lease and fences the first",
                      "[lease][fence]") {
    TestType f;
    Store& first = f.store();
    auto second = f.openAnother();

    const auto a = first.acquireLease(kRoute, "node-a", kTtl);
    REQUIRE(a);
    first.fence(*a);
    CHECK_FALSE(second->acquireLease(kRoute, "node-b", kTtl));
    const auto seen = second->leases();
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].holder == "node-a");

    f.advance(kTtl.count());
    const auto b = second->acquireLease(kRoute, "node-b", kTtl);
    REQUIRE(b);
    second->fence(*b);
    CHECK(b->epoch == 2);
    CHECK_FALSE(first.renewLease(*a, kTtl));
    requireFenced([&] { (void)first.commit(unitOf(1)); });
    (void)second->commit(unitOf(2));
    CHECK(rowsOfUnit(first, 1) == 0);
    CHECK(rowsOfUnit(first, 2) == 1 + kArtifactsPerUnit);
}

SHARED_STORE_CONTRACT("stores racing for a free lease: exactly one takes it", "[lease]") {
    TestType f;
    constexpr int kRacers = 4;
    std::vector<std::unique_ptr<Store>> stores;
    for (int i = 0; i < kRacers; ++i) stores.push_back(f.openAnother());
    for (int round = 0; round < 5; ++round) {
        std::vector<std::future<bool>> taken;
        for (int i = 0; i < kRacers; ++i) {
            taken.push_back(std::async(std::launch::async, [&, i] {
                return stores[static_cast<std::size_t>(i)]
                    ->acquireLease(kRoute, "node-" + std::to_string(i), kTtl)
                    .has_value();
            }));
        }
        int winners = 0;
        for (auto& t : taken) winners += t.get() ? 1 : 0;
        CHECK(winners == 1);
        const auto all = f.store().leases();
        REQUIRE(all.size() == 1);
        CHECK(all[0].epoch == round + 1);
        f.advance(kTtl.count());
    }
}
