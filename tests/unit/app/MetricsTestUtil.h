#pragma once

/// Helper of the /metrics tests (StatusRenderTest.cpp, StatusLeaseTest.cpp): the rendered text
/// through `promtool check metrics`.

#include "support/TempDir.h"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace soar::app::test {

/// Checks `text` with `promtool check metrics`: it exits 0 and prints nothing, so a lint
/// problem fails too (what promtool printed is the failure's message). Without promtool
/// (Debian package prometheus) it warns and checks nothing.
inline void checkWithPromtool(const std::string& text) {
    if (std::system("command -v promtool >/dev/null 2>&1") != 0) {
        WARN("promtool not found (Debian package prometheus): skipping the promtool check");
        return;
    }
    soar::test::TempDir dir;
    const auto path = (dir.path() / "metrics.txt").string();
    std::ofstream(path) << text;
    const auto out = (dir.path() / "promtool.out").string();
    const int rc =
        std::system(("promtool check metrics < '" + path + "' > '" + out + "' 2>&1").c_str());
    std::ifstream in(out);
    std::stringstream report;
    report << in.rdbuf();
    INFO(report.str());
    CHECK(rc == 0);
    CHECK(report.str().empty());
}

}  // namespace soar::app::test
