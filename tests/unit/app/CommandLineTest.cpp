#include "soar/app/CommandLine.h"
#include "soar/app/StatusSource.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <dlfcn.h>

using soar::app::Command;
using soar::app::parseCommandLine;
using soar::app::UsageError;

TEST_CASE("command lines of every subcommand parse", "[app][cli]") {
    auto cli = parseCommandLine({"--config", "/x.ini", "run", "--daemon", "--pidfile", "/p"});
    CHECK(cli.command == Command::Run);
    CHECK(cli.config == "/x.ini");
    CHECK(cli.daemon);
    CHECK(cli.pidfile == "/p");

    cli = parseCommandLine({"sync-once", "--route=r1"});
    CHECK(cli.command == Command::SyncOnce);
    CHECK(cli.route == "r1");

    cli = parseCommandLine(
        {"resync", "--route", "r", "--target", "t", "--container", "4", "5", "--container=6,7"});
    CHECK(cli.command == Command::Resync);
    std::sort(cli.containers.begin(), cli.containers.end());
    CHECK(cli.containers == std::vector<std::int64_t>{4, 5, 6, 7});
    CHECK(cli.target == "t");

    cli = parseCommandLine({"resync", "--route", "r", "--since", "2024-01-01T00:00:00Z"});
    CHECK(cli.since == "2024-01-01T00:00:00Z");
    CHECK(parseCommandLine({"resync", "--route", "r", "--all"}).all);
    CHECK(parseCommandLine({"retry-dead"}).command == Command::RetryDead);
    CHECK(parseCommandLine({"status", "--json"}).json);
    CHECK(parseCommandLine({"check"}).command == Command::Check);

    cli = parseCommandLine({"run", "--routes", "a, b", "--routes=c"});
    CHECK(cli.command == Command::Run);
    CHECK(cli.routes == std::vector<std::string>{"a", "b", "c"});
    CHECK(parseCommandLine({"run"}).routes.empty());

    cli = parseCommandLine({"migrate-state", "--to", "postgresql://s@db/soar_sync"});
    CHECK(cli.command == Command::MigrateState);
    CHECK(cli.to == "postgresql://s@db/soar_sync");
    CHECK_FALSE(cli.into_non_empty);
    CHECK(parseCommandLine({"migrate-state", "--to=postgresql://s@db/x", "--into-non-empty"})
              .into_non_empty);
    CHECK(parseCommandLine({"--help"}).help);
    CHECK(parseCommandLine({"--version"}).version);
}

TEST_CASE("usage errors say what is wrong", "[app][cli]") {
    struct Case {
        std::vector<std::string> args;
        const char* message;
    };
    const std::vector<Case> cases = {
        {{}, "missing command"},
        {{"frobnicate"}, "unknown command 'frobnicate'"},
        {{"run", "--bogus"}, "bogus"},
        {{"status", "--route", "r"}, "--route does not apply to 'status'"},
        {{"run", "--json"}, "--json does not apply to 'run'"},
        {{"resync", "--all"}, "resync needs --route R"},
        {{"resync", "--route", "r"}, "exactly one of --container"},
        {{"resync", "--route", "r", "--all", "--since", "2024-01-01T00:00:00Z"}, "exactly one of"},
        {{"resync", "--route", "r", "--container", "x"}, "expected a source container id"},
        {{"check", "extra"}, "unexpected argument 'extra'"},
        {{"sync-once", "--route"}, "route"},
        {{"migrate-state"}, "migrate-state needs --to URL"},
        {{"migrate-state", "--into-non-empty"}, "migrate-state needs --to URL"},
        {{"migrate-state", "--to"}, "to requires URL"},
        {{"run", "--to", "postgresql://s@db/x"}, "--to does not apply to 'run'"},
        {{"status", "--into-non-empty"}, "--into-non-empty does not apply to 'status'"},
        {{"sync-once", "--routes", "a"}, "--routes does not apply to 'sync-once'"},
        {{"run", "--routes"}, "routes requires A,B"},
        {{"run", "--routes", ","}, "--routes: expected a comma list of route names"},
        {{"run", "--routes", "a,b,a"}, "--routes: names 'a' twice"},
        {{"migrate-stat"}, "did you mean 'migrate-state'?"},
    };
    for (const auto& c : cases) {
        std::string joined;
        for (const auto& a : c.args) joined += a + " ";
        INFO(joined);
        CHECK_THROWS_WITH(parseCommandLine(c.args), Catch::Contains(c.message));
    }
}

TEST_CASE("the usage text lists every subcommand and option", "[app][cli]") {
    const auto text = soar::app::usageText();
    for (const char* word :
         {"run",           "sync-once", "resync",   "retry-dead", "status",      "check",
          "migrate-state", "--config",  "--route",  "--routes",   "--container", "--since",
          "--all",         "--json",    "--daemon", "--pidfile",  "--to",        "--into-non-empty",
          "--help",        "--version"}) {
        CHECK_THAT(text, Catch::Contains(word));
    }
}

TEST_CASE("the version line names the allocator the build links, which serves malloc",
          "[app][cli]") {
    const auto name = soar::app::allocatorName();
#ifdef SOAR_SYNC_JEMALLOC
    REQUIRE_THAT(name, Catch::StartsWith("jemalloc 5."));
    // Its malloc is the process's: a block malloc() hands out is counted by jemalloc.
    using Mallctl = int (*)(const char*, void*, std::size_t*, void*, std::size_t);
    const auto mallctl = reinterpret_cast<Mallctl>(dlsym(RTLD_DEFAULT, "mallctl"));
    REQUIRE(mallctl != nullptr);
    const auto allocated = [&] {
        std::uint64_t bytes = 0;
        std::size_t size = sizeof(bytes);
        REQUIRE(mallctl("thread.allocated", static_cast<void*>(&bytes), &size, nullptr, 0) == 0);
        return bytes;
    };
    const auto before = allocated();
    void* block = std::malloc(1U << 20U);
    REQUIRE(block != nullptr);
    CHECK(allocated() - before >= (1U << 20U));
    std::free(block);
#else
    CHECK_THAT(name, Catch::StartsWith("glibc malloc 2."));
#endif
}
