#include "soar/state/Database.h"
#include "support/TempDir.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>

using soar::state::Database;
using soar::state::StateError;

TEST_CASE("Database creates the file and its folders", "[state][database]") {
    soar::test::TempDir dir;
    const auto path = dir.path() / "a" / "b" / "state.db";
    auto db = Database::open({path.string()});
    CHECK(std::filesystem::exists(path));
    CHECK(db->path() == path.string());
}

TEST_CASE("Database refuses a file that is not SQLite and leaves it untouched",
          "[state][database]") {
    soar::test::TempDir dir;
    const auto path = dir.path() / "state.db";
    const std::string junk = "this is a config file, not a database\n";
    std::ofstream(path) << junk;
    try {
        (void)Database::open({path.string()});
        FAIL("opening a non-database succeeded");
    } catch (const StateError& e) {
        CHECK(e.kind() == StateError::Kind::Corrupt);
        CHECK_THAT(e.what(), Catch::Contains(path.string()));
    }
    std::ifstream in(path);
    CHECK(std::string(std::istreambuf_iterator<char>(in), {}) == junk);
}

TEST_CASE("Database names the path it cannot write", "[state][database]") {
    soar::test::TempDir dir;
    const auto blocker = dir.path() / "file";
    std::ofstream(blocker) << "x";
    const auto path = blocker / "state.db";  // a folder that cannot exist under a file
    try {
        (void)Database::open({path.string()});
        FAIL("opening under a regular file succeeded");
    } catch (const StateError& e) {
        CHECK(e.kind() == StateError::Kind::Unwritable);
        CHECK_THAT(e.what(), Catch::Contains(path.string()));
    }
}
