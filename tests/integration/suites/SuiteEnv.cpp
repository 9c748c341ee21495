#include "SuiteEnv.h"

#include <cstdlib>
#include <iostream>
#include <random>
#include <string>

namespace soar::test {

long envLong(const char* name, long fallback) {
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0') return fallback;
    return std::stol(value);
}

std::uint64_t envSeed(const char* name) {
    std::uint64_t seed = 0;
    if (const char* value = std::getenv(name); value != nullptr && *value != '\0') {
        seed = std::stoull(value);
    } else {
        seed = std::random_device()();
    }
    std::cout << name << "=" << seed << " (export it to rerun this sequence)" << std::endl;
    return seed;
}

}  // namespace soar::test
