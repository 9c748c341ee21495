#include "soar/client/Errors.h"
#include "soar/client/Secret.h"
#include "support/CapturingChannel.h"
#include "support/TempDir.h"

#include <Poco/AutoPtr.h>
#include <Poco/Logger.h>
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

using soar::sync::ConfigError;
using soar::sync::InstanceConfig;
using soar::sync::Secret;

namespace {

InstanceConfig instance() {
    InstanceConfig config;
    config.name = "dr";
    config.url = "https://soar-dr.example.com";
    return config;
}

std::string errorOf(const InstanceConfig& config) {
    try {
        (void)soar::sync::loadCredentials(config);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "no error";
}

}  // namespace

TEST_CASE("A Secret prints as *** whichever way it is printed", "[client][secret]") {
    const Secret secret("s3cr3t-token");
    std::ostringstream out;
    out << secret;
    CHECK(out.str() == "***");
    CHECK(secret.toString() == "***");
    CHECK(secret.reveal() == "s3cr3t-token");
    CHECK_FALSE(secret.empty());
    CHECK(Secret().empty());
}

TEST_CASE("Credentials come from token_env", "[client][secret]") {
    ::setenv("SOAR_SYNC_TEST_TOKEN_A", "  tok-AAAAAAAA\n", 1);
    ::setenv("SOAR_SYNC_TEST_EMPTY", "", 1);
    ::unsetenv("SOAR_SYNC_TEST_UNSET");
    auto config = instance();
    config.token_env = "SOAR_SYNC_TEST_TOKEN_A";
    const auto credentials = soar::sync::loadCredentials(config);
    CHECK(credentials.secret.reveal() == "tok-AAAAAAAA");
    CHECK(credentials.source_key == "token_env");
    CHECK(credentials.user.empty());

    config.token_env = "SOAR_SYNC_TEST_UNSET";
    CHECK(errorOf(config) ==
          "[instance.dr] token_env: environment variable SOAR_SYNC_TEST_UNSET is not set");
    config.token_env = "SOAR_SYNC_TEST_EMPTY";
    CHECK(errorOf(config) ==
          "[instance.dr] token_env: environment variable SOAR_SYNC_TEST_EMPTY is empty");
}

TEST_CASE("Credentials come from token_file, trimmed", "[client][secret]") {
    soar::test::TempDir dir;
    const auto file = dir.path() / "dr.token";
    std::ofstream(file) << "tok-file-0123\n";
    auto config = instance();
    config.token_file = file.string();
    const auto credentials = soar::sync::loadCredentials(config);
    CHECK(credentials.secret.reveal() == "tok-file-0123");
    CHECK(credentials.source_key == "token_file");

    config.token_file = (dir.path() / "missing.token").string();
    CHECK_THAT(errorOf(config),
               Catch::StartsWith("[instance.dr] token_file: cannot read " + config.token_file) &&
                   Catch::Contains("No such file"));

    const auto empty = dir.path() / "empty.token";
    std::ofstream(empty) << "\n  \n";
    config.token_file = empty.string();
    CHECK(errorOf(config) == "[instance.dr] token_file: " + empty.string() + " is empty");

    const auto two = dir.path() / "two.token";
    std::ofstream(two) << "a\nb\n";
    config.token_file = two.string();
    CHECK_THAT(errorOf(config), Catch::Contains("more than one line"));

    config.token_file = dir.path().string();  // a directory: unreadable as a file
    CHECK_THAT(errorOf(config), Catch::StartsWith("[instance.dr] token_file: cannot read"));
}

TEST_CASE("Basic credentials come from user + password_env", "[client][secret]") {
    ::setenv("SOAR_SYNC_TEST_PASSWORD", "pw-0123456", 1);
    auto config = instance();
    config.auth = soar::sync::AuthScheme::Basic;
    config.user = "admin";
    config.password_env = "SOAR_SYNC_TEST_PASSWORD";
    const auto credentials = soar::sync::loadCredentials(config);
    CHECK(credentials.user == "admin");
    CHECK(credentials.secret.reveal() == "pw-0123456");
    CHECK(credentials.source_key == "password_env");

    config.user.clear();
    CHECK(errorOf(config) == "[instance.dr] user: password_env needs a user name");
    config.user = "admin";
    config.auth = soar::sync::AuthScheme::PhAuthToken;
    CHECK_THAT(errorOf(config), Catch::StartsWith("[instance.dr] password_env: a password needs "
                                                  "auth = basic"));
}

TEST_CASE("Exactly one secret source is required", "[client][secret]") {
    auto config = instance();
    CHECK_THAT(errorOf(config), Catch::StartsWith("[instance.dr] token_env: no secret configured"));
    config.token_env = "X";
    config.token_file = "/y";
    CHECK_THAT(errorOf(config), Catch::Contains("set only one of"));
}

TEST_CASE("Secret loading errors never contain the secret", "[client][secret]") {
    soar::test::TempDir dir;
    const auto two = dir.path() / "two.token";
    std::ofstream(two) << "topsecret-1\ntopsecret-2\n";
    auto config = instance();
    config.token_file = two.string();
    CHECK_THAT(errorOf(config), !Catch::Contains("topsecret"));
}

TEST_CASE("A secret under 8 characters is refused: it could not be masked", "[client][secret]") {
    ::setenv("SOAR_SYNC_TEST_SHORT", "abc1234", 1);
    auto config = instance();
    config.token_env = "SOAR_SYNC_TEST_SHORT";
    CHECK(errorOf(config) ==
          "[instance.dr] token_env: the secret has 7 characters; at least 8 are needed (a "
          "shorter one could not be masked in logs)");
    CHECK_THAT(errorOf(config), !Catch::Contains("abc1234"));
    ::setenv("SOAR_SYNC_TEST_SHORT", "abc12345", 1);
    CHECK(soar::sync::loadCredentials(config).secret.reveal() == "abc12345");
}

TEST_CASE("A token file others or the group may read is used with a warning", "[client][secret]") {
    soar::test::TempDir dir;
    const auto file = dir.path() / "dr.token";
    std::ofstream(file) << "tok-file-0123\n";
    auto config = instance();
    config.token_file = file.string();
    soar::test::LogCapture log("sync.client");
    std::filesystem::permissions(
        file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    CHECK(soar::sync::loadCredentials(config).secret.reveal() == "tok-file-0123");
    CHECK(log.lines().empty());
    std::filesystem::permissions(file, std::filesystem::perms::others_read,
                                 std::filesystem::perm_options::add);
    CHECK(soar::sync::loadCredentials(config).secret.reveal() == "tok-file-0123");
    log.end();
    const auto lines = log.lines();
    REQUIRE(lines.size() == 1);
    CHECK_THAT(lines[0], Catch::Contains("[instance.dr] token_file: " + file.string() +
                                         " is readable by others (mode 0604); chmod 600") &&
                             !Catch::Contains("tok-file"));
}

TEST_CASE("Credentials come from a systemd credential (LoadCredential=)", "[client][secret]") {
    soar::test::TempDir dir;
    std::ofstream(dir.path() / "hq-token") << "cred-token-0123\n";
    std::filesystem::permissions(dir.path() / "hq-token", std::filesystem::perms::owner_read);
    auto config = instance();
    config.token_credential = "hq-token";
    ::setenv("CREDENTIALS_DIRECTORY", dir.path().c_str(), 1);
    const auto credentials = soar::sync::loadCredentials(config);
    CHECK(credentials.secret.reveal() == "cred-token-0123");
    CHECK(credentials.source_key == "token_credential");
    CHECK(soar::sync::tokenFilePath(config) == (dir.path() / "hq-token").string());
    ::unsetenv("CREDENTIALS_DIRECTORY");
    CHECK_THAT(errorOf(config),
               Catch::StartsWith("[instance.dr] token_credential: CREDENTIALS_DIRECTORY is not "
                                 "set; run soar-sync under systemd with LoadCredential=hq-token:"));
    config.token_env = "X";
    CHECK_THAT(errorOf(config), Catch::Contains("set only one of"));
}
