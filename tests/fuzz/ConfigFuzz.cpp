/// Fuzzes the daemon's config loader (app/Config.h): loadConfig() over a file holding the
/// input, and the helpers it is built from (stripComments, parseDuration, splitList). A config
/// may only load or be refused with app::ConfigError (the exit-78 path); any other exception,
/// a hang or a memory error is a finding.

#include "soar/app/Config.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>
#include <unistd.h>

namespace {

/// One file per process, rewritten for each input (loadConfig takes a path).
const std::string& configPath() {
    static const std::string path = [] {
        char name[] = "/tmp/soar-sync-fuzz-config-XXXXXX";
        const int fd = mkstemp(name);
        if (fd < 0) std::abort();
        close(fd);
        return std::string(name);
    }();
    return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string input(reinterpret_cast<const char*>(data), size);
    static_cast<void>(soar::app::stripComments(input));
    static_cast<void>(soar::app::parseDuration(input));
    static_cast<void>(soar::app::splitList(input));
    {
        std::ofstream out(configPath(), std::ios::binary | std::ios::trunc);
        out << input;
    }
    try {
        const auto config = soar::app::loadConfig(configPath());
        static_cast<void>(config.instances.size());
    } catch (const soar::app::ConfigError&) {
        // Refused with a message naming the section and key: the documented outcome.
    }
    return 0;
}
