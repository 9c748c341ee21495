#pragma once

/// Sizes, durations and seeds of the crash and fault suites, from the environment: CI runs the
/// small defaults, people export larger values (see CMakeLists.txt).

#include <cstdint>

namespace soar::test {

/// The integer in environment variable `name`, or `fallback` when it is unset or empty.
[[nodiscard]] long envLong(const char* name, long fallback);

/// The seed in `name`, or a fresh random one; printed either way so a failure can be rerun.
[[nodiscard]] std::uint64_t envSeed(const char* name);

}  // namespace soar::test
