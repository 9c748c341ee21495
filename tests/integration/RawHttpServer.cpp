#include "RawHttpServer.h"

#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Timespan.h>

#include <cstdlib>
#include <sstream>

namespace soar::test {
namespace {

const char* reason(int status) {
    switch (status) {
        case 200:
            return "OK";
        case 400:
            return "Bad Request";
        case 401:
            return "Unauthorized";
        case 403:
            return "Forbidden";
        case 404:
            return "Not Found";
        case 429:
            return "Too Many Requests";
        case 500:
            return "Internal Server Error";
        case 502:
            return "Bad Gateway";
        case 503:
            return "Service Unavailable";
        default:
            return "Status";
    }
}

/// Reads one request; false when the peer closed first.
bool readRequest(Poco::Net::StreamSocket& socket, RawRequest& request) {
    std::string data;
    char buffer[4096];
    std::size_t head_end = std::string::npos;
    while ((head_end = data.find("\r\n\r\n")) == std::string::npos) {
        const int n = socket.receiveBytes(buffer, sizeof buffer);
        if (n <= 0) return false;
        data.append(buffer, static_cast<std::size_t>(n));
    }
    request.head = data.substr(0, head_end);
    std::istringstream line(request.head);
    line >> request.method >> request.target;
    std::size_t length = 0;
    const auto pos = request.head.find("Content-Length:");
    if (pos != std::string::npos) {
        length =
            static_cast<std::size_t>(std::strtoul(request.head.c_str() + pos + 15, nullptr, 10));
    }
    request.body = data.substr(head_end + 4);
    while (request.body.size() < length) {
        const int n = socket.receiveBytes(buffer, sizeof buffer);
        if (n <= 0) return false;
        request.body.append(buffer, static_cast<std::size_t>(n));
    }
    return true;
}

}  // namespace

RawHttpServer::RawHttpServer(Handler handler)
    : handler_(std::move(handler)), socket_(Poco::Net::SocketAddress("127.0.0.1", 0)) {
    thread_ = std::thread([this] { serve(); });
}

RawHttpServer::~RawHttpServer() {
    stop_ = true;
    thread_.join();
}

unsigned short RawHttpServer::port() const { return socket_.address().port(); }

std::string RawHttpServer::url() const { return "http://127.0.0.1:" + std::to_string(port()); }

std::vector<RawRequest> RawHttpServer::requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
}

std::size_t RawHttpServer::requestCount() const {
    std::lock_guard lock(mutex_);
    return requests_.size();
}

std::string RawHttpServer::answer(int status, const std::string& body,
                                  const std::string& extra_headers,
                                  const std::string& content_type) {
    return "HTTP/1.1 " + std::to_string(status) + " " + reason(status) +
           "\r\nContent-Type: " + content_type +
           "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n" +
           extra_headers + "\r\n" + body;
}

void RawHttpServer::serve() {
    while (!stop_) {
        if (!socket_.poll(Poco::Timespan(0, 50'000), Poco::Net::Socket::SELECT_READ)) continue;
        try {
            Poco::Net::StreamSocket connection = socket_.acceptConnection();
            connection.setReceiveTimeout(Poco::Timespan(5, 0));
            RawRequest request;
            if (!readRequest(connection, request)) continue;
            std::size_t index = 0;
            {
                std::lock_guard lock(mutex_);
                index = requests_.size();
                requests_.push_back(request);
            }
            const std::string bytes = handler_(request, index);
            if (!bytes.empty()) connection.sendBytes(bytes.data(), static_cast<int>(bytes.size()));
            connection.shutdown();
            connection.close();
        } catch (const Poco::Exception&) {
            // A client that went away mid-exchange: serve the next one.
        }
    }
}

}  // namespace soar::test
