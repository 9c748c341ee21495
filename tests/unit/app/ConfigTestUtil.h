#pragma once

/// Helpers of the config tests (ConfigTest.cpp, StateConfigTest.cpp): two instances and a
/// route that load, and loading INI text from a temporary file.

#include "soar/app/Config.h"
#include "support/TempDir.h"

#include <fstream>
#include <string>

namespace soar::app::test {

inline const std::string kInstances = R"(
[instance.a]
url = https://a.example.com
token_env = A_TOKEN
[instance.b]
url = https://b.example.com
token_file = b.token
)";

inline const std::string kRoute = R"(
[route.r]
source = a
targets = b
)";

/// Writes `text` as soar-sync.ini in `dir`; its path.
inline std::string write(const soar::test::TempDir& dir, const std::string& text) {
    const auto path = (dir.path() / "soar-sync.ini").string();
    std::ofstream(path) << text;
    return path;
}

/// The message loadConfig gives for `text`, or "" when it loads.
inline std::string errorOf(const std::string& text) {
    soar::test::TempDir dir;
    try {
        (void)loadConfig(write(dir, text));
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

}  // namespace soar::app::test
