#pragma once

/// One plain HTTP GET to 127.0.0.1:`port` (the status server under test), with a bearer
/// token when one is given and a `Host` header of `host` (default: 127.0.0.1:port); a 10 s
/// timeout.

#include <string>

namespace soar::test {

struct HttpAnswer {
    int status = 0;
    std::string body;
    std::string content_type;
    std::string cache_control;
    std::string content_type_options;
};

[[nodiscard]] HttpAnswer httpGet(unsigned short port, const std::string& path,
                                 const std::string& token = "", const std::string& host = "");

}  // namespace soar::test
