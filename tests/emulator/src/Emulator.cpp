#include "soar/emulator/Emulator.h"

#include "Model.h"

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/ThreadPool.h>
#include <Poco/URI.h>

#include <atomic>
#include <chrono>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace soar::emulator {

namespace {

/// Which identity a request authenticated as.
enum class Caller { None, Token, User };

bool startsWith(const std::string& s, const std::string& prefix) {
    return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

std::string decodeBase64(const std::string& text) {
    std::istringstream in(text);
    Poco::Base64Decoder decoder(in);
    std::string out;
    Poco::StreamCopier::copyToString(decoder, out);
    return out;
}

/// The path of a request target as sent (percent-encoding kept), without query or fragment.
std::string rawPathOf(const std::string& target) {
    std::string path = target;
    const auto scheme = path.find("://");
    if (scheme != std::string::npos && scheme < path.find('/')) {
        const auto slash = path.find('/', scheme + 3);
        path = slash == std::string::npos ? std::string("/") : path.substr(slash);
    }
    return path.substr(0, path.find_first_of("?#"));
}

/// Keeps OpenSSL initialised while any HTTPS emulator lives.
class SslScope {
public:
    SslScope() { Poco::Net::initializeSSL(); }
    ~SslScope() { Poco::Net::uninitializeSSL(); }
    SslScope(const SslScope&) = delete;
    SslScope& operator=(const SslScope&) = delete;
};

}  // namespace

class Emulator::Impl {
public:
    explicit Impl(EmulatorOptions options)
        : options_(std::move(options)),
          model_(options_),
          fault_rng_(options_.seed),
          fail_rate_(options_.fail_rate),
          throttle_rate_(options_.throttle_rate),
          latency_ms_(options_.latency_ms) {
        if (options_.threads < 1) {
            throw std::invalid_argument("threads must be at least 1");
        }
        if (options_.tls_cert.empty() != options_.tls_key.empty()) {
            throw std::invalid_argument("HTTPS needs both a certificate and a key");
        }
        const Poco::Net::SocketAddress address(options_.host, options_.port);
        if (!options_.tls_cert.empty()) {
            ssl_ = std::make_unique<SslScope>();
            Poco::Net::Context::Params params;
            params.certificateFile = options_.tls_cert;
            params.privateKeyFile = options_.tls_key;
            params.verificationMode = Poco::Net::Context::VERIFY_NONE;
            params.loadDefaultCAs = false;
            if (!options_.tls_ciphers.empty()) params.cipherList = options_.tls_ciphers;
            context_ = new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, params);
            if (!options_.tls13) context_->disableProtocols(Poco::Net::Context::PROTO_TLSV1_3);
            socket_ = std::make_unique<Poco::Net::SecureServerSocket>(context_);
        } else {
            socket_ = std::make_unique<Poco::Net::ServerSocket>();
        }
        // Without SO_REUSEPORT (which Poco's ServerSocket(address) turns on): a second
        // emulator on a port in use fails to start instead of silently taking half of the
        // connections.
        socket_->bind(address, true, false);
        socket_->listen(256);
        port_ = socket_->address().port();
        model_.setBaseUrl(baseUrl());

        Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
        params->setMaxThreads(options_.threads);
        params->setMaxQueued(1024);
        params->setKeepAlive(true);
        params->setMaxKeepAliveRequests(0);  // unlimited
        params->setKeepAliveTimeout(Poco::Timespan(30, 0));
        params->setServerName("soar-emulator");
        pool_ = std::make_unique<Poco::ThreadPool>(2, options_.threads + 2);
        server_ =
            std::make_unique<Poco::Net::HTTPServer>(new Factory(*this), *pool_, *socket_, params);
        server_->start();
    }

    ~Impl() {
        server_->stopAll(true);
        pool_->joinAll();
    }

    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;

    [[nodiscard]] unsigned short port() const { return port_; }
    [[nodiscard]] bool secure() const { return !options_.tls_cert.empty(); }
    [[nodiscard]] std::string baseUrl() const {
        return std::string(secure() ? "https://" : "http://") + options_.host + ":" +
               std::to_string(port_);
    }
    [[nodiscard]] std::uint64_t requests() const { return requests_.load(); }
    Model& model() { return model_; }
    [[nodiscard]] const Model& model() const { return model_; }

    void setToken(const std::string& token) {
        std::lock_guard<std::mutex> lock(fault_mutex_);
        options_.token = token;
    }

    [[nodiscard]] std::string token() const {
        std::lock_guard<std::mutex> lock(fault_mutex_);
        return options_.token;
    }

    void setFaults(double fail_rate, double throttle_rate, int latency_ms) {
        std::lock_guard<std::mutex> lock(fault_mutex_);
        fail_rate_ = fail_rate;
        throttle_rate_ = throttle_rate;
        latency_ms_ = latency_ms;
    }

    void serve(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) {
        ++requests_;
        std::string body;
        Poco::StreamCopier::copyToString(request.stream(), body);
        Response answer = answerFor(request, body, response);
        response.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(answer.status));
        response.setContentType(answer.content_type.empty() ? "application/json"
                                                            : answer.content_type);
        if (!answer.allow.empty()) {
            response.set("Allow", answer.allow);
        }
        response.setContentLength(static_cast<std::streamsize>(answer.body.size()));
        response.sendBuffer(answer.body.data(), answer.body.size());
    }

    Caller authenticate(const Poco::Net::HTTPServerRequest& request) const {
        const std::string expected = token();
        if (request.has("ph-auth-token")) {
            return request.get("ph-auth-token") == expected ? Caller::Token : Caller::None;
        }
        if (!request.has("Authorization")) {
            return Caller::None;
        }
        const std::string header = request.get("Authorization");
        if (startsWith(header, "Bearer ")) {
            return header.substr(7) == expected ? Caller::Token : Caller::None;
        }
        if (!startsWith(header, "Basic ")) {
            return Caller::None;
        }
        std::string credentials;
        try {
            credentials = decodeBase64(header.substr(6));
        } catch (const Poco::Exception&) {
            return Caller::None;
        }
        const auto colon = credentials.find(':');
        if (colon == std::string::npos) {
            return Caller::None;
        }
        const std::string user = credentials.substr(0, colon);
        const std::string password = credentials.substr(colon + 1);
        if (user == options_.user && password == options_.password) {
            return Caller::User;
        }
        // The token is also accepted as the password, with any (or an empty) user name.
        return password == expected ? Caller::Token : Caller::None;
    }

private:
    class Handler : public Poco::Net::HTTPRequestHandler {
    public:
        explicit Handler(Impl& impl) : impl_(impl) {}
        void handleRequest(Poco::Net::HTTPServerRequest& request,
                           Poco::Net::HTTPServerResponse& response) override {
            impl_.serve(request, response);
        }

    private:
        Impl& impl_;
    };

    class Factory : public Poco::Net::HTTPRequestHandlerFactory {
    public:
        explicit Factory(Impl& impl) : impl_(impl) {}
        Poco::Net::HTTPRequestHandler* createRequestHandler(
            const Poco::Net::HTTPServerRequest&) override {
            return new Handler(impl_);
        }

    private:
        Impl& impl_;
    };

    /// One fault decision per /rest request, drawn in arrival order from the seeded
    /// generator: a single-threaded client sees the same pattern on every run.
    struct FaultDraw {
        bool throttle = false;
        bool fail = false;
        bool apply_anyway = false;
        int latency_ms = 0;
    };

    FaultDraw drawFault() {
        std::lock_guard<std::mutex> lock(fault_mutex_);
        const auto unit = [this] {
            return static_cast<double>(fault_rng_() >> 11) * (1.0 / 9007199254740992.0);
        };
        const double kind = unit();
        const double apply = unit();
        FaultDraw draw;
        draw.latency_ms = latency_ms_;
        draw.throttle = kind < throttle_rate_;
        draw.fail = !draw.throttle && kind < throttle_rate_ + fail_rate_;
        draw.apply_anyway = apply < 0.5;
        return draw;
    }

    Response answerFor(Poco::Net::HTTPServerRequest& request, const std::string& body,
                       Poco::Net::HTTPServerResponse& response) {
        Request call;
        call.method = request.getMethod();
        try {
            const Poco::URI uri(request.getURI());
            call.path = uri.getPath();
            call.raw_path = rawPathOf(request.getURI());
            for (auto& [name, value] : uri.getQueryParameters()) {
                call.query.emplace_back(name, value);
            }
        } catch (const Poco::Exception& e) {
            return jsonResponse(400, failedBody("Bad request URI: " + e.displayText()));
        }
        if (!startsWith(call.path, "/rest/") && call.path != "/rest") {
            return jsonResponse(404, failedBody("Unknown resource: " + call.path));
        }
        const FaultDraw fault = drawFault();
        if (fault.latency_ms > 0) {
            std::this_thread::sleep_for(std::chrono::milliseconds(fault.latency_ms));
        }
        if (fault.throttle) {
            response.set("Retry-After", std::to_string(options_.retry_after_seconds));
            return jsonResponse(429, failedBody("Too many requests; retry later"));
        }
        const Caller caller = authenticate(request);
        if (caller == Caller::None && !fault.fail) {
            return jsonResponse(401, failedBody("Authentication failed: invalid or missing token "
                                                "or credentials"));
        }
        call.body = body;
        call.user_auth = caller == Caller::User;
        call.over_http = true;
        if (!options_.fail_marker.empty() && call.method != "GET" &&
            body.find(options_.fail_marker) != std::string::npos) {
            return jsonResponse(500, failedBody("Internal server error"));
        }
        if (fault.fail) {
            // A 500 may come after the write was applied (as on a real server whose
            // response was lost): half of the failed requests still run.
            if (caller != Caller::None && fault.apply_anyway) {
                (void)model_.handle(call);
            }
            return jsonResponse(500, failedBody("Internal server error"));
        }
        return model_.handle(call);
    }

    EmulatorOptions options_;
    Model model_;
    std::unique_ptr<SslScope> ssl_;
    Poco::Net::Context::Ptr context_;
    std::unique_ptr<Poco::Net::ServerSocket> socket_;
    std::unique_ptr<Poco::ThreadPool> pool_;
    std::unique_ptr<Poco::Net::HTTPServer> server_;
    unsigned short port_ = 0;
    std::atomic<std::uint64_t> requests_{0};
    mutable std::mutex fault_mutex_;
    std::mt19937_64 fault_rng_;
    double fail_rate_;
    double throttle_rate_;
    int latency_ms_;
};

Emulator::Emulator(EmulatorOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Emulator::~Emulator() = default;

unsigned short Emulator::port() const { return impl_->port(); }
std::string Emulator::baseUrl() const { return impl_->baseUrl(); }
bool Emulator::secure() const { return impl_->secure(); }
std::size_t Emulator::containerCount() const { return impl_->model().count("container"); }
std::size_t Emulator::artifactCount() const { return impl_->model().count("artifact"); }
std::size_t Emulator::noteCount() const { return impl_->model().count("note"); }
std::size_t Emulator::commentCount() const { return impl_->model().count("container_comment"); }
std::size_t Emulator::attachmentCount() const {
    return impl_->model().count("container_attachment");
}
std::size_t Emulator::vaultDocumentCount() const { return impl_->model().count("vault_document"); }
std::size_t Emulator::playbookRunCount() const { return impl_->model().count("playbook_run"); }
std::uint64_t Emulator::requestCount() const { return impl_->requests(); }

DirectResponse Emulator::direct(const std::string& method, const std::string& target,
                                const std::string& body, bool as_user) const {
    Request call;
    call.method = method;
    call.body = body;
    call.user_auth = as_user;
    try {
        const Poco::URI uri(target);
        call.path = uri.getPath();
        call.raw_path = rawPathOf(target);
        for (auto& [name, value] : uri.getQueryParameters()) {
            call.query.emplace_back(name, value);
        }
    } catch (const Poco::Exception& e) {
        return DirectResponse{400, toJson(failedBody("Bad request URI: " + e.displayText()))};
    }
    const Response r = impl_->model().handle(call);
    return DirectResponse{r.status, r.body};
}

namespace {

std::int64_t idOf(const DirectResponse& r, const char* what) {
    Poco::Dynamic::Var parsed;
    try {
        parsed = Poco::JSON::Parser().parse(r.body);
    } catch (const Poco::Exception&) {
    }
    if (r.status == 200 && !parsed.isEmpty() && parsed.type() == typeid(Poco::JSON::Object::Ptr)) {
        const auto obj = parsed.extract<Poco::JSON::Object::Ptr>();
        for (const char* key : {"id", "existing_artifact_id"}) {
            if (obj->has(key)) {
                return obj->getValue<Poco::Int64>(key);
            }
        }
    }
    throw std::runtime_error(std::string(what) + " failed (" + std::to_string(r.status) +
                             "): " + r.body);
}

}  // namespace

void Emulator::editContainer(std::int64_t id, const std::string& json_patch) {
    (void)idOf(direct("POST", "/rest/container/" + std::to_string(id), json_patch),
               "editContainer");
}

void Emulator::editContainer(std::int64_t id, const Poco::JSON::Object& fields) {
    editContainer(id, toJson(fields));
}

std::int64_t Emulator::addNote(std::int64_t container, const std::string& title,
                               const std::string& content) {
    Poco::JSON::Object body;
    body.set("container_id", container);
    body.set("title", title);
    body.set("content", content);
    body.set("note_type", "general");
    body.set("note_format", "markdown");
    return idOf(direct("POST", "/rest/note", toJson(body)), "addNote");
}

std::int64_t Emulator::addComment(std::int64_t container, const std::string& text) {
    Poco::JSON::Object body;
    body.set("container_id", container);
    body.set("comment", text);
    return idOf(direct("POST", "/rest/container_comment", toJson(body)), "addComment");
}

void Emulator::editNote(std::int64_t id, const std::string& content) {
    Poco::JSON::Object body;
    body.set("content", content);
    (void)idOf(direct("POST", "/rest/note/" + std::to_string(id), toJson(body)), "editNote");
}

void Emulator::setTaskStatus(std::int64_t task, int status, const std::string& note) {
    Poco::JSON::Object body;
    body.set("status", status);
    if (!note.empty()) {
        body.set("note", note);
    }
    (void)idOf(direct("POST", "/rest/workbook_task/" + std::to_string(task), toJson(body)),
               "setTaskStatus");
}

std::int64_t Emulator::createContainer(const std::string& json) {
    return idOf(direct("POST", "/rest/container", json), "createContainer");
}

std::int64_t Emulator::addArtifact(const std::string& json) {
    return idOf(direct("POST", "/rest/artifact", json), "addArtifact");
}

std::int64_t Emulator::addAttachment(std::int64_t container, const std::string& name,
                                     const std::string& bytes) {
    std::ostringstream content;
    Poco::Base64Encoder encoder(content);
    encoder.rdbuf()->setLineLength(0);
    encoder << bytes;
    encoder.close();
    Poco::JSON::Object body;
    body.set("container_id", container);
    body.set("file_name", name);
    body.set("file_content", content.str());
    return idOf(direct("POST", "/rest/container_attachment", toJson(body)), "addAttachment");
}

bool Emulator::deleteContainer(std::int64_t id) {
    return direct("DELETE", "/rest/container/" + std::to_string(id)).status == 200;
}

void Emulator::addLabel(const std::string& name) { impl_->model().addLabel(name); }

std::int64_t Emulator::addUser(const std::string& username) {
    return impl_->model().addUser(username);
}

std::int64_t Emulator::addWorkbookTemplate(const WorkbookTemplateSpec& spec) {
    return idOf(direct("POST", "/rest/workbook_template", toJson(templateBody(spec))),
                "addWorkbookTemplate");
}

std::int64_t Emulator::addStatus(const std::string& name, const std::string& type) {
    Poco::JSON::Object body;
    body.set("name", name);
    body.set("status_type", type);
    return idOf(direct("POST", "/rest/container_status", toJson(body)), "addStatus");
}

bool Emulator::removeStatus(const std::string& name) { return impl_->model().removeStatus(name); }

std::int64_t Emulator::putList(const std::string& name, const std::string& content_json) {
    const std::string body = "{\"content\": " + content_json + "}";
    if (const std::int64_t id = impl_->model().listId(name); id != 0) {
        const DirectResponse r = direct("POST", "/rest/decided_list/" + std::to_string(id), body);
        if (r.status != 200) {
            throw std::runtime_error("putList failed (" + std::to_string(r.status) +
                                     "): " + r.body);
        }
        return id;
    }
    return idOf(
        direct("POST", "/rest/decided_list", "{\"name\": " + toJson(name) + ", " + body.substr(1)),
        "putList");
}

std::optional<std::string> Emulator::listContent(const std::string& name) const {
    return impl_->model().listContent(name);
}

bool Emulator::deleteList(const std::string& name) {
    const std::int64_t id = impl_->model().listId(name);
    return id != 0 && direct("DELETE", "/rest/decided_list/" + std::to_string(id)).status == 200;
}

std::uint64_t Emulator::listWrites() const { return impl_->model().listWrites(); }

std::size_t Emulator::actionRunCount() const { return impl_->model().count("action_run"); }

std::size_t Emulator::appRunCount() const { return impl_->model().count("app_run"); }

std::size_t Emulator::workbookPhaseCount() const { return impl_->model().count("workbook_phase"); }

std::size_t Emulator::workbookTaskCount() const { return impl_->model().count("workbook_task"); }

std::string Emulator::recordJson(const std::string& type, std::int64_t id) const {
    return impl_->model().recordJson(type, id);
}

void Emulator::setToken(const std::string& token) { impl_->setToken(token); }

void Emulator::setFaults(double fail_rate, double throttle_rate, int latency_ms) {
    impl_->setFaults(fail_rate, throttle_rate, latency_ms);
}

}  // namespace soar::emulator
