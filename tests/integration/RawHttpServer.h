#pragma once

/// A deliberately dumb HTTP server on 127.0.0.1 for client tests: each request is answered
/// with whatever bytes the handler returns, so tests can send what a real server or proxy
/// might (malformed JSON, truncated bodies, HTML error pages, 429 with Retry-After, slow
/// answers). One thread serves one connection at a time and closes it after each answer,
/// unless the handler returns the bytes with keep_alive set.
/// Thread-safe accessors; the destructor stops the thread.

#include <Poco/Net/ServerSocket.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace soar::test {

struct RawRequest {
    std::string method;
    std::string target;
    /// The request line and headers as received.
    std::string head;
    std::string body;
};

class RawHttpServer {
public:
    /// Gets the request and its 0-based index; returns the raw bytes to answer with (empty:
    /// close the connection without an answer).
    using Handler = std::function<std::string(const RawRequest& request, std::size_t index)>;

    explicit RawHttpServer(Handler handler);
    ~RawHttpServer();
    RawHttpServer(const RawHttpServer&) = delete;
    RawHttpServer& operator=(const RawHttpServer&) = delete;

    [[nodiscard]] unsigned short port() const;
    /// "http://127.0.0.1:PORT".
    [[nodiscard]] std::string url() const;
    [[nodiscard]] std::vector<RawRequest> requests() const;
    [[nodiscard]] std::size_t requestCount() const;

    /// A complete answer with Content-Length and `Connection: close`.
    [[nodiscard]] static std::string answer(int status, const std::string& body,
                                            const std::string& extra_headers = "",
                                            const std::string& content_type = "application/json");

private:
    void serve();

    Handler handler_;
    Poco::Net::ServerSocket socket_;
    std::atomic<bool> stop_{false};
    mutable std::mutex mutex_;
    std::vector<RawRequest> requests_;
    std::thread thread_;
};

}  // namespace soar::test
