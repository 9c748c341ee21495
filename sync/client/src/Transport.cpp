#include "Transport.h"

#include "AnswerBody.h"
#include "JsonSkim.h"

#include <Poco/Base64Encoder.h>
#include <Poco/Exception.h>
#include <Poco/Logger.h>
#include <Poco/Net/AcceptCertificateHandler.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/Net/RejectCertificateHandler.h>
#include <Poco/Net/SSLException.h>
#include <Poco/URI.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <sstream>
#include <sys/stat.h>

namespace soar::sync {
namespace {

constexpr const char* kSystemCaBundle = "/etc/ssl/certs/ca-certificates.crt";
/// TLS 1.2 cipher suites offered: ECDHE or DHE key exchange (forward secrecy) with GCM or
/// ChaCha20-Poly1305 (AEAD); no static-RSA key exchange, no CBC. Mozilla's "intermediate" set.
constexpr const char* kCipherList =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384";
/// How much of an answer over max_record_size is read through to name the record it holds;
/// beyond this the record cannot be named (and a walk cannot step past it).
constexpr std::size_t kMaxStreamedBytes = 1U << 30U;
/// How deep skimList() looks into a compacted answer (JsonCompactor keeps 4 levels).
constexpr std::size_t kSkimDepth = 16;

/// "16 MiB", "64 KiB", "5000 bytes".
std::string sizeText(std::size_t bytes) {
    if (bytes % (1U << 20U) == 0) return std::to_string(bytes >> 20U) + " MiB";
    if (bytes % (1U << 10U) == 0) return std::to_string(bytes >> 10U) + " KiB";
    return std::to_string(bytes) + " bytes";
}

Poco::Logger& logger() { return Poco::Logger::get("sync.client"); }

void initializeSslOnce() {
    static std::once_flag once;
    // Never uninitialized: clients live until exit, and OpenSSL cleans up at exit itself.
    std::call_once(once, [] { Poco::Net::initializeSSL(); });
}

std::string basicAuthValue(const std::string& user, const std::string& password) {
    std::ostringstream out;
    Poco::Base64Encoder encoder(out);
    encoder.rdbuf()->setLineLength(0);
    encoder << user << ':' << password;
    encoder.close();
    return "Basic " + out.str();
}

}  // namespace

std::string formatSeconds(std::chrono::milliseconds d) {
    std::ostringstream out;
    out << static_cast<double>(d.count()) / 1000.0 << "s";
    return out.str();
}

Transport::Transport(const InstanceConfig& config, Credentials credentials, Clock& clock,
                     CallStats& stats)
    : config_(config), stats_(stats), limiter_(config.rate_limit, clock) {
    validate(credentials);
    auth_ = authFor(std::move(credentials));
    stamp_ = stampOfTokenFile();
    if (https_) buildTlsContext();
    pool_ = std::make_unique<SessionPool>(SessionSettings{
        host_, port_, context_, config_.connections, config_.connect_timeout, config_.timeout});
}

Transport::~Transport() = default;

std::string Transport::target(const std::string& path, const std::string& query) const {
    return prefix_ + "/rest/" + path + (query.empty() ? "" : "?" + query);
}

void Transport::validate(const Credentials& credentials) {
    const std::string& section = config_.section();
    if (config_.name.empty()) throw ConfigError("[instance.] name: empty instance name");
    Poco::URI uri;
    try {
        uri = Poco::URI(config_.url);
    } catch (const Poco::Exception& e) {
        throw ConfigError(section + " url: not a URL: " + e.message());
    }
    if (uri.getScheme() == "https") {
        https_ = true;
    } else if (uri.getScheme() == "http") {
        if (!config_.allow_insecure_http) {
            throw ConfigError(section + " url: " + config_.url +
                              " is plain http; use https, or set allow_insecure_http = true");
        }
    } else {
        throw ConfigError(section + " url: expected https://host[:port], got '" + config_.url +
                          "'");
    }
    if (uri.getHost().empty()) throw ConfigError(section + " url: no host in " + config_.url);
    if (!uri.getUserInfo().empty()) {
        throw ConfigError(section +
                          " url: credentials in the url are not allowed; use user and "
                          "password_env");
    }
    if (!uri.getRawQuery().empty() || !uri.getFragment().empty()) {
        throw ConfigError(section + " url: no query or fragment expected in " + config_.url);
    }
    host_ = uri.getHost();
    port_ = uri.getPort();
    prefix_ = uri.getPath();
    while (!prefix_.empty() && prefix_.back() == '/') prefix_.pop_back();
    if (config_.connections == 0 || config_.connections > 256) {
        throw ConfigError(section + " connections: expected 1 to 256, got " +
                          std::to_string(config_.connections));
    }
    if (config_.timeout.count() <= 0) {
        throw ConfigError(section + " timeout: expected a positive duration");
    }
    if (config_.connect_timeout.count() <= 0) {
        throw ConfigError(section + " connect_timeout: expected a positive duration");
    }
    if (!(config_.rate_limit >= 0)) {
        throw ConfigError(section + " rate_limit: expected 0 (unlimited) or more");
    }
    if (credentials.secret.empty()) {
        throw ConfigError(
            section + " " +
            (credentials.source_key.empty() ? std::string("token_env") : credentials.source_key) +
            ": the secret is empty");
    }
    if (!config_.ca_file.empty() && !std::filesystem::is_regular_file(config_.ca_file)) {
        throw ConfigError(section + " ca_file: " + config_.ca_file + " is not a readable file");
    }
}

std::shared_ptr<const Transport::Auth> Transport::authFor(Credentials credentials) const {
    auto auth = std::make_shared<Auth>();
    const std::string& secret = credentials.secret.reveal();
    switch (config_.auth) {
        case AuthScheme::PhAuthToken:
            auth->header_name = "ph-auth-token";
            auth->header_value = secret;
            break;
        case AuthScheme::Bearer:
            auth->header_name = "Authorization";
            auth->header_value = "Bearer " + secret;
            break;
        case AuthScheme::Basic:
            auth->header_name = "Authorization";
            auth->header_value = basicAuthValue(credentials.user, secret);
            break;
    }
    auth->credentials = std::move(credentials);
    return auth;
}

std::shared_ptr<const Transport::Auth> Transport::auth() const { return std::atomic_load(&auth_); }

Credentials Transport::credentials() const { return auth()->credentials; }

Transport::FileStamp Transport::stampOfTokenFile() const {
    FileStamp stamp;
    struct stat info {};
    const auto path = tokenFilePath(config_);
    if (path.empty() || ::stat(path.c_str(), &info) != 0) return stamp;
    stamp.mtime_ns = static_cast<std::int64_t>(info.st_mtim.tv_sec) * 1'000'000'000 +
                     static_cast<std::int64_t>(info.st_mtim.tv_nsec);
    stamp.size = static_cast<std::int64_t>(info.st_size);
    stamp.inode = static_cast<std::uint64_t>(info.st_ino);
    return stamp;
}

bool Transport::reloadCredentials() {
    std::lock_guard<std::mutex> lock(reload_mutex_);
    return reloadLocked();
}

bool Transport::reloadLocked() {
    const auto path = tokenFilePath(config_);
    if (path.empty()) return false;
    stamp_ = stampOfTokenFile();
    Credentials fresh;
    try {
        fresh = loadCredentials(config_);
    } catch (const ConfigError& e) {
        poco_warning(logger(), std::string(e.what()) + "; the token in use is kept");
        return false;
    }
    if (fresh.secret.reveal() == auth()->credentials.secret.reveal()) return false;
    if (on_new_secret_) on_new_secret_(fresh.secret.reveal());
    std::atomic_store(&auth_, authFor(std::move(fresh)));
    poco_information(logger(), config_.section() + " " + auth()->credentials.source_key +
                                   ": read a new token from " + path +
                                   "; requests use it from now on");
    return true;
}

void Transport::reloadIfTokenFileChanged() {
    if (config_.token_file.empty() && config_.token_credential.empty()) return;
    std::unique_lock<std::mutex> lock(reload_mutex_, std::try_to_lock);
    if (!lock.owns_lock()) return;  // another thread is at it
    const auto now = std::chrono::steady_clock::now();
    if (now < next_check_) return;
    next_check_ = now + std::chrono::seconds(1);
    if (!(stampOfTokenFile() == stamp_)) (void)reloadLocked();
}

void Transport::buildTlsContext() {
    initializeSslOnce();
    Poco::Net::Context::Params params;
    // VERIFY_STRICT: Poco's relaxed mode skips the host name check for names that resolve to
    // loopback, which is where tunnels (ssh -L, stunnel) put a remote SOAR.
    params.verificationMode =
        config_.verify_tls ? Poco::Net::Context::VERIFY_STRICT : Poco::Net::Context::VERIFY_NONE;
    // TLS 1.2 suites with forward secrecy and AEAD only (TLS 1.3's own suites all are).
    params.cipherList = kCipherList;
    if (!config_.ca_file.empty()) {
        params.caLocation = config_.ca_file;
    } else if (std::filesystem::exists(kSystemCaBundle)) {
        params.caLocation = kSystemCaBundle;
    } else {
        params.loadDefaultCAs = true;
    }
    try {
        context_ = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
        context_->requireMinimumProtocol(config_.min_tls_minor >= 3
                                             ? Poco::Net::Context::PROTO_TLSV1_3
                                             : Poco::Net::Context::PROTO_TLSV1_2);
    } catch (const Poco::Exception& e) {
        throw ConfigError(config_.section() + " ca_file: cannot load " +
                          (params.caLocation.empty() ? "the default CAs" : params.caLocation) +
                          ": " + e.displayText());
    }
    // Per-context handlers: Poco's process-wide default may prompt on the console.
    if (config_.verify_tls) {
        context_->setInvalidCertificateHandler(new Poco::Net::RejectCertificateHandler(false));
    } else {
        context_->setInvalidCertificateHandler(new Poco::Net::AcceptCertificateHandler(false));
        poco_warning(logger(), config_.section() +
                                   " verify_tls = false: the server certificate of " + host_ +
                                   " is NOT verified; anyone on the path can read the token");
    }
}

std::string Transport::endpoint() const { return host_ + ":" + std::to_string(port_); }

void Transport::readStreamed(Poco::Net::HTTPClientSession& session,
                             const Poco::Net::HTTPResponse& response, std::istream& in,
                             const Streams& streams, const std::string& prefix, bool retry,
                             int status) {
    char buffer[64 * 1024];
    std::uint64_t received = 0;
    try {
        streams.read_body(nullptr, 0);
        while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
            const auto piece = static_cast<std::size_t>(in.gcount());
            received += piece;
            streams.read_body(buffer, piece);
        }
    } catch (const SoarError&) {
        session.reset();  // the rest of the answer is not read
        stats_.countAttempt(status, retry);
        throw;
    }
    if (in.bad()) {
        session.reset();
        stats_.countAttempt(0, retry);
        throw TransientError(prefix + "the connection broke while reading the answer", 0);
    }
    if (response.hasContentLength() &&
        static_cast<std::int64_t>(received) != response.getContentLength64()) {
        session.reset();
        stats_.countAttempt(status, retry);
        throw TransientError(prefix + "truncated answer: got " + std::to_string(received) + " of " +
                                 std::to_string(response.getContentLength64()) + " bytes",
                             0);
    }
    if (!response.getKeepAlive()) session.reset();
    stats_.countAttempt(status, retry);
}

Answer Transport::exchange(const std::string& method, const std::string& target,
                           const std::string& body, const std::string& what, bool retry,
                           const Streams* streams) {
    const bool write_stream = streams && streams->write_body;
    const auto waited = limiter_.acquire();
    if (waited.count() > 0) stats_.addRateLimitWait(waited);
    reloadIfTokenFileChanged();
    const auto auth_now = auth();
    const std::string& secret = auth_now->credentials.secret.reveal();
    SessionPool::Lease lease(*pool_);
    Poco::Net::HTTPClientSession& session = *lease;
    const bool fresh = !session.connected();
    const std::string prefix = config_.section() + " " + what + " (" + endpoint() + "): ";
    Poco::Net::HTTPRequest request(method, target, Poco::Net::HTTPMessage::HTTP_1_1);
    request.setKeepAlive(true);
    request.set("Accept", "application/json");
    request.set("User-Agent", "soar-sync");
    request.set(auth_now->header_name, auth_now->header_value);
    if (method != Poco::Net::HTTPRequest::HTTP_GET) {
        request.setContentType("application/json");
        request.setContentLength64(write_stream ? static_cast<Poco::Int64>(streams->body_length)
                                                : static_cast<Poco::Int64>(body.size()));
    }
    Answer answer;
    try {
        std::ostream& out = session.sendRequest(request);
        if (write_stream) {
            streams->write_body(out);
        } else {
            out.write(body.data(), static_cast<std::streamsize>(body.size()));
        }
        out.flush();
        Poco::Net::HTTPResponse response;
        std::istream& in = session.receiveResponse(response);
        answer.status = static_cast<int>(response.getStatus());
        answer.retry_after = response.get("Retry-After", "");
        answer.location = response.get("Location", "");
        if (streams && streams->read_body && answer.status >= 200 && answer.status <= 299) {
            readStreamed(session, response, in, *streams, prefix, retry, answer.status);
            return answer;
        }
        const std::size_t cap = config_.max_record_size;
        if (response.hasContentLength() && response.getContentLength64() > 0 &&
            response.getContentLength64() <= static_cast<std::int64_t>(cap)) {
            answer.body.reserve(static_cast<std::size_t>(response.getContentLength64()));
        }
        char buffer[64 * 1024];
        while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
            answer.body.append(buffer, static_cast<std::size_t>(in.gcount()));
            if (answer.body.size() > cap) {
                // Too large to keep: the rest streams through a compactor (up to
                // kMaxStreamedBytes), so that the record it holds can still be named.
                JsonCompactor compact;
                compact.feed(answer.body);
                std::size_t streamed = answer.body.size();
                std::string().swap(answer.body);
                if (method == Poco::Net::HTTPRequest::HTTP_GET) {
                    while (streamed <= kMaxStreamedBytes &&
                           (in.read(buffer, sizeof buffer) || in.gcount() > 0)) {
                        compact.feed({buffer, static_cast<std::size_t>(in.gcount())});
                        streamed += static_cast<std::size_t>(in.gcount());
                    }
                }
                session.reset();
                stats_.countAttempt(answer.status, retry);
                const std::string reason = "larger than max_record_size (" + sizeText(cap) + ")";
                throw UnreadablePage(prefix + "the answer is " + reason, reason, answer.status,
                                     skimList(compact.text(), kSkimDepth).first);
            }
        }
        if (in.bad()) {
            session.reset();
            stats_.countAttempt(0, retry);
            throw TransientError(prefix + "the connection broke while reading the answer", 0);
        }
        if (response.hasContentLength() &&
            static_cast<std::int64_t>(answer.body.size()) != response.getContentLength64()) {
            session.reset();
            stats_.countAttempt(answer.status, retry);
            throw ProtocolError(
                prefix + "truncated answer: got " + std::to_string(answer.body.size()) + " of " +
                    std::to_string(response.getContentLength64()) + " bytes (HTTP " +
                    std::to_string(answer.status) + "): '" + snippetOf(answer.body, secret) + "'",
                answer.status);
        }
        if (!response.getKeepAlive()) session.reset();
    } catch (const SoarError&) {
        throw;
    } catch (const Poco::Net::CertificateValidationException& e) {
        session.reset();
        stats_.countAttempt(0, retry);
        throw TlsError(prefix + "TLS handshake with " + host_ + " failed: " + e.displayText());
    } catch (const Poco::Net::SSLConnectionUnexpectedlyClosedException& e) {
        session.reset();
        stats_.countAttempt(0, retry);
        if (fresh) {
            throw TlsError(prefix + "TLS handshake with " + host_ + " failed: " + e.displayText());
        }
        throw TransientError(prefix + "connection closed: " + e.displayText(), 0);
    } catch (const Poco::Net::SSLException& e) {
        session.reset();
        stats_.countAttempt(0, retry);
        // On a reused connection the handshake is long done: a reset, not a TLS problem.
        if (fresh) {
            throw TlsError(prefix + "TLS handshake with " + host_ + " failed: " + e.displayText());
        }
        throw TransientError(prefix + "TLS connection failed: " + e.displayText(), 0);
    } catch (const Poco::Net::ConnectionRefusedException& e) {
        session.reset();
        stats_.countAttempt(0, retry);
        throw UnsentUnreachable(prefix + "connection refused (is " + endpoint() + " up?)", 0);
    } catch (const Poco::Net::DNSException& e) {
        session.reset();
        stats_.countAttempt(0, retry);
        throw UnsentUnreachable(prefix + "cannot resolve " + host_ + ": " + e.displayText(), 0);
    } catch (const Poco::TimeoutException&) {
        session.reset();
        stats_.countAttempt(0, retry);
        throw TransientError(
            prefix + "no answer within " + formatSeconds(config_.timeout) +
                (fresh ? " (connect timeout " + formatSeconds(config_.connect_timeout) + ")"
                       : std::string()),
            0);
    } catch (const Poco::Net::NoMessageException&) {
        session.reset();
        stats_.countAttempt(0, retry);
        if (!fresh) {
            throw StaleConnectionError(prefix + "the kept-alive connection was closed", 0);
        }
        throw TransientError(prefix + "the connection closed without an answer", 0);
    } catch (const Poco::Net::ConnectionResetException& e) {
        session.reset();
        stats_.countAttempt(0, retry);
        if (!fresh) {
            throw StaleConnectionError(prefix + "the kept-alive connection was reset", 0);
        }
        throw TransientError(prefix + e.displayText(), 0);
    } catch (const Poco::Net::MessageException& e) {
        session.reset();
        stats_.countAttempt(0, retry);
        throw ProtocolError(prefix + "malformed HTTP answer: " + scrubbed(e.displayText(), secret));
    } catch (const Poco::IOException& e) {
        session.reset();
        stats_.countAttempt(0, retry);
        throw TransientError(prefix + e.displayText(), 0);
    } catch (const Poco::Exception& e) {
        session.reset();
        stats_.countAttempt(0, retry);
        throw ProtocolError(prefix + "unexpected failure: " + scrubbed(e.displayText(), secret));
    }
    stats_.countAttempt(answer.status, retry);
    return answer;
}

}  // namespace soar::sync
