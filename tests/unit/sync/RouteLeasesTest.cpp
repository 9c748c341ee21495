/// RouteLeases on the in-memory store, with the lease clock and the monotonic clock moved by
/// hand: who takes which route, takeover after a lapse, fencing of the loser's writes, the
/// proof a write needs, routes spread over live daemons, hand-over to a command, a holder
/// whose process is gone, and the node a holder identity names.

#include "soar/state/StateError.h"
#include "soar/sync/RouteLeases.h"
#include "support/InMemoryStore.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <sys/wait.h>
#include <unistd.h>

namespace {

using namespace std::chrono_literals;
using soar::state::StateError;
using soar::sync::RouteLeases;
using soar::sync::RouteLeasesOptions;

constexpr auto kTtl = 30'000ms;

struct World {
    soar::test::InMemoryStore store;
    soar::sync::ManualClock clock;
    std::atomic<std::int64_t> now_ms{1'800'000'000'000};

    World() {
        store.setLeaseClock([this] { return now_ms.load(); });
    }
    /// Both clocks move: the store's and this host's monotonic one.
    void advance(std::chrono::milliseconds d) {
        now_ms += d.count();
        clock.advance(std::chrono::duration_cast<soar::sync::Clock::Duration>(d));
    }
    RouteLeasesOptions options(const std::string& node, bool spread,
                               std::vector<std::string> routes = {"a", "b", "c"}) const {
        RouteLeasesOptions o;
        o.node = node;
        o.ttl = kTtl;
        o.routes = std::move(routes);
        o.spread = spread;
        return o;
    }
};

bool fenced(const std::function<void()>& write) {
    try {
        write();
    } catch (const StateError& e) {
        return e.kind() == StateError::Kind::Fenced;
    }
    return false;
}

const soar::state::Cursor kCursor{soar::state::Stream::ContainersCreated,
                                  "2026-01-01T00:00:00.000000Z", 1};

}  // namespace

TEST_CASE("one state file: the first daemon takes every route, the second is a standby",
          "[leases][unit]") {
    World w;
    RouteLeases alpha(w.store, w.options("alpha", false), w.clock);
    RouteLeases beta(w.store, w.options("beta", false), w.clock);
    CHECK(alpha.holder().rfind("alpha/", 0) == 0);
    CHECK(alpha.holder() != beta.holder());

    const auto first = alpha.round();
    CHECK(first.taken == std::vector<std::string>{"a", "b", "c"});
    CHECK(beta.round().taken.empty());
    CHECK(beta.held().empty());
    CHECK(alpha.mayWrite("a"));
    CHECK_FALSE(beta.mayWrite("a"));
    CHECK(beta.cluster().live_nodes == 2);

    // Renewed every ttl/3, alpha keeps them however long it runs.
    for (int i = 0; i < 10; ++i) {
        w.advance(kTtl / 3);
        CHECK(alpha.round().lost.empty());
        CHECK(beta.round().taken.empty());
    }
    CHECK(alpha.mayWrite("b"));
}

TEST_CASE("a paused owner loses its routes after lease_ttl, and its writes are fenced",
          "[leases][unit]") {
    World w;
    RouteLeases alpha(w.store, w.options("alpha", false), w.clock);
    RouteLeases beta(w.store, w.options("beta", false), w.clock);
    (void)alpha.round();
    const auto epoch = w.store.leases().front().epoch;
    const soar::state::RouteTarget key{"a", "dst"};
    w.store.setCursor(key, kCursor);  // alpha's write, under its lease

    // alpha stops renewing (SIGSTOP, a long GC): before the lease lapses it stops writing...
    w.advance(kTtl - kTtl / 5);
    CHECK_FALSE(alpha.mayWrite("a"));
    CHECK_THROWS_AS(alpha.checkWritable("a"), StateError);
    CHECK(beta.round().taken.empty());  // ...and the lease is still alpha's
    // ...then it lapses and beta takes every route, one epoch up.
    w.advance(kTtl / 5 + 1ms);
    CHECK(beta.round().taken == std::vector<std::string>{"a", "b", "c"});
    CHECK(w.store.leases().front().epoch == epoch + 1);
    CHECK(beta.mayWrite("a"));

    // alpha's late commit is refused by the store: one store object serves both daemons
    // here, so fence it again as alpha had it when it took the route.
    auto lease = w.store.leases().front();
    lease.epoch = epoch;
    lease.holder = alpha.holder();
    w.store.fence(lease);
    CHECK(fenced([&] { w.store.setCursor(key, kCursor); }));

    // alpha wakes up: its round finds the routes gone.
    const auto woke = alpha.round();
    CHECK(woke.lost.size() == 3);
    CHECK(alpha.held().empty());
    CHECK_FALSE(alpha.mayWrite("a"));
}

TEST_CASE("a daemon that cannot renew stops writing before its lease can lapse", "[leases][unit]") {
    World w;
    RouteLeases alpha(w.store, w.options("alpha", false), w.clock);
    (void)alpha.round();
    // The store's clock stands still (no one can take the lease), this host's moves: the
    // proof runs out at lease_ttl - lease_ttl/5 all the same.
    w.clock.advance(std::chrono::duration_cast<soar::sync::Clock::Duration>(kTtl * 4 / 5 - 1ms));
    CHECK(alpha.mayWrite("a"));
    w.clock.advance(std::chrono::duration_cast<soar::sync::Clock::Duration>(2ms));
    CHECK_FALSE(alpha.mayWrite("a"));
    // A renewal proves it again.
    CHECK(alpha.round().lost.empty());
    CHECK(alpha.mayWrite("a"));
}

TEST_CASE("on a shared database the routes spread evenly over the live daemons", "[leases][unit]") {
    World w;
    const std::vector<std::string> routes = {"r1", "r2", "r3", "r4", "r5", "r6"};
    RouteLeases a(w.store, w.options("a", true, routes), w.clock);
    RouteLeases b(w.store, w.options("b", true, routes), w.clock);
    RouteLeases c(w.store, w.options("c", true, routes), w.clock);
    CHECK(a.round().taken.size() == 6);  // alone: every route

    // b and c join: a hands over what is beyond its share after the pass in progress.
    (void)b.round();
    (void)c.round();
    for (int turn = 0; turn < 3; ++turn) {
        for (auto* d : {&a, &b, &c}) {
            const auto changes = d->round();
            for (const auto& route : changes.yield) d->release(route);
        }
    }
    CHECK(a.held().size() == 2);
    CHECK(b.held().size() == 2);
    CHECK(c.held().size() == 2);
    CHECK(a.cluster().share == 2);

    // c dies: its leases lapse, a and b take its routes (share 3 each).
    for (int i = 0; i < 4; ++i) {
        w.advance(kTtl / 3);
        (void)a.round();
        (void)b.round();
    }
    CHECK(a.held().size() + b.held().size() == 6);
    CHECK(a.held().size() == 3);
}

TEST_CASE("a command asks the owner for its route and gets it after the owner's pass",
          "[leases][unit]") {
    World w;
    RouteLeases daemon(w.store, w.options("alpha", false), w.clock);
    RouteLeases command(w.store, w.options("alpha", false, {}), w.clock);
    (void)daemon.round();

    CHECK_FALSE(command.acquire("b"));  // held: asked for
    const auto changes = daemon.round();
    CHECK(changes.yield == std::vector<std::string>{"b"});
    daemon.release("b");  // after its pass
    // Reserved for the command: the daemon's next round leaves it alone.
    CHECK(daemon.round().taken.empty());
    CHECK(command.acquire("b"));
    CHECK(command.mayWrite("b"));
    CHECK_FALSE(daemon.mayWrite("b"));
    command.releaseAll();
    CHECK(daemon.round().taken == std::vector<std::string>{"b"});
}

TEST_CASE("a holder whose process is gone frees its routes at once on one state file",
          "[leases][unit]") {
    World w;
    RouteLeases alive(w.store, w.options("alpha", false), w.clock);
    // A process that took "a" and died: its pid exists no more.
    const pid_t pid = ::fork();
    if (pid == 0) ::_exit(0);
    REQUIRE(pid > 0);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    const auto host_part = alive.holder().substr(alive.holder().find('/') + 1);
    const auto host = host_part.substr(0, host_part.find('/'));
    const std::string dead = "ghost/" + host + "/" + std::to_string(pid) + "/beef";
    REQUIRE(w.store.acquireLease("a", dead, kTtl).has_value());

    const auto changes = alive.round();
    CHECK(changes.taken == std::vector<std::string>{"a", "b", "c"});

    // On a shared database another host's pid says nothing: the lease waits out its ttl.
    World shared;
    RouteLeases spread(shared.store, shared.options("alpha", true, {"a"}), shared.clock);
    REQUIRE(shared.store.acquireLease("a", dead, kTtl).has_value());
    CHECK(spread.round().taken.empty());
}

TEST_CASE("nodeOf gives the node a holder identity starts with", "[leases][unit]") {
    using soar::sync::nodeOf;
    World w;
    RouteLeases leases(w.store, w.options("alpha", false), w.clock);
    CHECK(nodeOf(leases.holder()) == "alpha");
    CHECK(nodeOf("beta/h2/11/cd34") == "beta");
    CHECK(nodeOf("beta") == "beta");
    CHECK(nodeOf("").empty());
}
