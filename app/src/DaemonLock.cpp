#include "soar/app/DaemonLock.h"

#include "soar/client/Timestamp.h"

#include <Poco/Environment.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <sys/file.h>
#include <unistd.h>

namespace soar::app {

namespace {

std::string readAll(int fd) {
    std::string text;
    char buffer[512];
    if (::lseek(fd, 0, SEEK_SET) < 0) return text;
    for (;;) {
        const auto n = ::read(fd, buffer, sizeof buffer);
        if (n <= 0) break;
        text.append(buffer, static_cast<std::size_t>(n));
        if (text.size() > 4096) break;
    }
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    return text;
}

}  // namespace

DaemonLock::DaemonLock(const std::string& state_path) : path_(state_path + ".daemon") {
    // The store makes the state file's folder when it first opens; the lock comes first.
    const auto folder = std::filesystem::path(state_path).parent_path();
    std::error_code ignored;
    if (!folder.empty()) std::filesystem::create_directories(folder, ignored);
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0) {
        throw std::runtime_error("cannot open the daemon lock file " + path_ + ": " +
                                 std::strerror(errno));
    }
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
        const int error = errno;
        const auto holder = readAll(fd_);
        ::close(fd_);
        fd_ = -1;
        if (error == EWOULDBLOCK) {
            throw DaemonRunning("another soar-sync daemon runs on the state file " + state_path +
                                " (" + (holder.empty() ? "holder unknown" : holder) +
                                "); stop it first, or give this one its own [state] path");
        }
        throw std::runtime_error("cannot lock " + path_ + ": " + std::strerror(error));
    }
    const std::string me = "pid " + std::to_string(::getpid()) + " on host " +
                           Poco::Environment::nodeName() + ", started " +
                           sync::Timestamp::now().toString() + "\n";
    if (::ftruncate(fd_, 0) == 0 && ::lseek(fd_, 0, SEEK_SET) == 0) {
        (void)!::write(fd_, me.data(), me.size());
    }
}

DaemonLock::~DaemonLock() {
    if (fd_ < 0) return;
    // Emptied, not removed: removing would let a third daemon lock a new file while a second
    // one still waits on the old inode.
    (void)!::ftruncate(fd_, 0);
    ::close(fd_);
}

}  // namespace soar::app
