#include "soar/app/Config.h"
#include "soar/app/StatusServer.h"
#include "support/TempDir.h"

#include <catch2/catch.hpp>

#include <fstream>
#include <string>
#include <vector>

using soar::app::hostAllowed;

TEST_CASE("The status server answers IP literals, localhost and its configured names only",
          "[app][http]") {
    const std::vector<std::string> names = {"soar-sync.internal", "0.0.0.0"};
    CHECK(hostAllowed("127.0.0.1:8089", names));
    CHECK(hostAllowed("10.1.2.3", names));
    CHECK(hostAllowed("[::1]:8089", names));
    CHECK(hostAllowed("LOCALHOST:8089", names));
    CHECK(hostAllowed("Soar-Sync.Internal:8089", names));
    CHECK(hostAllowed("", names));
    CHECK_FALSE(hostAllowed("attacker.example:8089", names));
    CHECK_FALSE(hostAllowed("localhost.attacker.example", names));
    CHECK_FALSE(hostAllowed("[::1", names));
}

TEST_CASE("A status token under 16 characters is a config error", "[app][http]") {
    soar::test::TempDir dir;
    const auto path = (dir.path() / "status.token").string();
    std::ofstream(path) << "short-token-15c\n";
    try {
        (void)soar::app::readStatusToken(path);
        FAIL("accepted");
    } catch (const soar::app::ConfigError& e) {
        CHECK_THAT(e.what(), Catch::StartsWith("[http] token_file: the token in '" + path +
                                               "' has 15 characters; use at least 16") &&
                                 !Catch::Contains("short-token"));
    }
    std::ofstream(path) << "long-enough-token-16\n";
    CHECK(soar::app::readStatusToken(path) == "long-enough-token-16");
}
