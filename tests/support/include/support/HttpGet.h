#pragma once

/// One plain HTTP GET to 127.0.0.1:`port` (the status server under test), with a bearer
/// token when one is given; a 10 s timeout.

#include <string>

namespace soar::test {

struct HttpAnswer {
    int status = 0;
    std::string body;
    std::string content_type;
};

[[nodiscard]] HttpAnswer httpGet(unsigned short port, const std::string& path,
                                 const std::string& token = "");

}  // namespace soar::test
