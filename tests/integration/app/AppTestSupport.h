#pragma once

/// What the tests that run the soar-sync executable share: the child process, waiting for a
/// condition, and counting the copies on a target emulator.

#include "soar/emulator/Emulator.h"
#include "support/ChildProcess.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace soar::test {

/// soar-sync in a child process, stdout and stderr to files in `dir`.
class Child : public ChildProcess {
public:
    Child(const std::vector<std::string>& args, const std::string& dir,
          const std::vector<std::string>& env = {})
        : ChildProcess(SOAR_SYNC_EXE, args, std::filesystem::path(dir) / "stdout.txt",
                       std::filesystem::path(dir) / "stderr.txt", env) {}
};

/// Polls `pred` every 50 ms until it holds or `timeout` passed; its last answer.
template <class Pred>
bool eventually(Pred&& pred, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (pred()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return pred();
}

/// One target container per source container, by source_data_identifier.
inline std::size_t distinctCopies(const emulator::Emulator& target) {
    const auto answer = target.direct("GET", "/rest/container?page_size=0");
    const auto root = Poco::JSON::Parser().parse(answer.body).extract<Poco::JSON::Object::Ptr>();
    std::set<std::string> sdis;
    const auto data = root->getArray("data");
    for (std::size_t i = 0; i < data->size(); ++i) {
        sdis.insert(data->getObject(static_cast<unsigned>(i))
                        ->getValue<std::string>("source_data_identifier"));
    }
    return sdis.size();
}

/// The status server's port as the daemon logged it to `log_path` ("status server listening
/// on http://127.0.0.1:PORT/"); nothing before it did.
inline std::optional<unsigned short> statusPortIn(const std::string& log_path) {
    static const std::string kPrefix = "listening on http://127.0.0.1:";
    const auto text = readWholeFile(log_path);
    const auto at = text.find(kPrefix);
    if (at == std::string::npos) return std::nullopt;
    const auto digits = at + kPrefix.size();
    const auto end = text.find_first_not_of("0123456789", digits);
    if (end == digits || end == std::string::npos || text[end] != '/') return std::nullopt;
    return static_cast<unsigned short>(std::stoi(text.substr(digits, end - digits)));
}

}  // namespace soar::test
