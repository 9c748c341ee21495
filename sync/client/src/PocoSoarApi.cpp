#include "soar/client/PocoSoarApi.h"

#include "RateLimiter.h"
#include "soar/client/Errors.h"
#include "soar/client/Paging.h"
#include "soar/client/Retry.h"

#include <Poco/Base64Encoder.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/Logger.h>
#include <Poco/Net/AcceptCertificateHandler.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/Net/RejectCertificateHandler.h>
#include <Poco/Net/SSLException.h>
#include <Poco/URI.h>

#include <algorithm>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <random>
#include <sstream>

namespace soar::sync {
namespace {

constexpr const char* kSystemCaBundle = "/etc/ssl/certs/ca-certificates.crt";
/// Larger answers are refused: a page of 500 containers is a few MB at most.
constexpr std::size_t kMaxBodyBytes = 256U * 1024U * 1024U;
/// How much of a body an error message quotes.
constexpr std::size_t kSnippetBytes = 200;
constexpr const char* kPastEndMessage = "That page contains no results";

Poco::Logger& logger() { return Poco::Logger::get("sync.client"); }

void initializeSslOnce() {
    static std::once_flag once;
    // Never uninitialized: clients live until exit, and OpenSSL cleans up at exit itself.
    std::call_once(once, [] { Poco::Net::initializeSSL(); });
}

std::string seconds(std::chrono::milliseconds d) {
    std::ostringstream out;
    out << static_cast<double>(d.count()) / 1000.0 << "s";
    return out.str();
}

/// A transient failure where the request surely did not reach the server (connection
/// refused, name not resolved), or was refused before being applied (429): safe to retry
/// even for a call that must not run twice.
class UnsentError : public TransientError {
public:
    using TransientError::TransientError;
};

/// Nothing was sent because the instance could not be reached (also an UnsentError in
/// spirit: retrying is always safe).
class UnsentUnreachable : public UnreachableError {
public:
    using UnreachableError::UnreachableError;
};

/// A kept-alive connection that the server had closed while idle: the usual cause is the
/// server's idle timeout racing ours, so one immediate retry on a new connection is due.
class StaleConnectionError : public TransientError {
public:
    using TransientError::TransientError;
};

/// What one HTTP exchange brought back.
struct Answer {
    int status = 0;
    std::string body;
    std::string retry_after;
    std::string location;
};

enum class RetryMode { Always, OnlyUnsent };

/// What a call accepts besides success.
struct CallOptions {
    RetryMode retry = RetryMode::Always;
    /// Return a body with existing_container_id / existing_artifact_id instead of failing.
    bool accept_duplicate = false;
    /// A list answer, read by parsePage(): a 2xx body comes back unparsed in Reply::body (so a
    /// page is parsed once), and so does the past-the-end failure whatever its status.
    bool list_answer = false;
    /// Return an empty Var on 404 instead of throwing.
    bool accept_not_found = false;
    /// A JSON array body is per-item results (batch create): return it whatever the status.
    bool accept_array = false;
};

struct Reply {
    int status = 0;
    Poco::Dynamic::Var json;
    /// The body as received, for list answers only (CallOptions::list_answer).
    std::string body;
};

bool isTransientStatus(int status) {
    if (status == 408 || status == 429) return true;
    return status >= 500 && status <= 599 && status != 501 && status != 505;
}

std::string basicAuthValue(const std::string& user, const std::string& password) {
    std::ostringstream out;
    Poco::Base64Encoder encoder(out);
    encoder.rdbuf()->setLineLength(0);
    encoder << user << ':' << password;
    encoder.close();
    return "Basic " + out.str();
}

Poco::JSON::Object::Ptr asObject(const Poco::Dynamic::Var& json) {
    if (json.type() == typeid(Poco::JSON::Object::Ptr)) {
        return json.extract<Poco::JSON::Object::Ptr>();
    }
    return {};
}

Poco::JSON::Array::Ptr asArray(const Poco::Dynamic::Var& json) {
    if (json.type() == typeid(Poco::JSON::Array::Ptr)) {
        return json.extract<Poco::JSON::Array::Ptr>();
    }
    return {};
}

std::string stringField(const Poco::JSON::Object::Ptr& object, const std::string& key) {
    if (!object || !object->has(key)) return {};
    const auto value = object->get(key);
    if (value.isEmpty()) return {};
    try {
        return value.convert<std::string>();
    } catch (const Poco::Exception&) {
        return {};
    }
}

bool isFailed(const Poco::JSON::Object::Ptr& object) {
    if (!object || !object->has("failed")) return false;
    const auto value = object->get("failed");
    try {
        return !value.isEmpty() && value.convert<bool>();
    } catch (const Poco::Exception&) {
        return true;  // `failed` present with an odd value: do not call it a success
    }
}

std::string toJson(const Poco::JSON::Object& object) {
    std::ostringstream out;
    object.stringify(out);
    return out.str();
}

std::string toJson(const Poco::JSON::Array& array) {
    std::ostringstream out;
    array.stringify(out);
    return out.str();
}

/// `text` with every occurrence of `secret` masked as `***`.
std::string scrubbed(std::string text, const std::string& secret) {
    if (secret.empty()) return text;
    for (auto pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos + 3)) {
        text.replace(pos, secret.size(), "***");
    }
    return text;
}

/// The first bytes of a body, safe for a log line: no secret, no control bytes.
std::string snippetOf(const std::string& body, const std::string& secret) {
    std::string text = scrubbed(body.substr(0, kSnippetBytes + secret.size()), secret);
    const bool cut = text.size() > kSnippetBytes;
    text.resize(std::min(text.size(), kSnippetBytes));
    for (char& c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte >= 0x7f)
            c = byte == '\n' || byte == '\r' || byte == '\t' ? ' ' : '?';
    }
    return cut || body.size() > kSnippetBytes ? text + "..." : text;
}

/// The ProtocolError for an answer of the wrong shape: "<what>: expected <expected>, got
/// '<the JSON, cut short>'".
[[noreturn]] void throwShape(const std::string& what, const Poco::Dynamic::Var& json, int status,
                             const std::string& expected, const std::string& secret) {
    std::ostringstream out;
    try {
        json.isEmpty() ? void(out << "null") : Poco::JSON::Stringifier::stringify(json, out);
    } catch (const Poco::Exception&) {
        out << "?";
    }
    throw ProtocolError(
        what + ": expected " + expected + ", got '" + snippetOf(out.str(), secret) + "'", status);
}

/// Whether a list answer is SOAR's for a page past the end: a failure, or at least no list,
/// whose message is Django's EmptyPage text.
bool isPastEnd(const Poco::JSON::Object::Ptr& object) {
    if (!object || (!isFailed(object) && object->has("data"))) return false;
    return stringField(object, "message").find(kPastEndMessage) != std::string::npos;
}

/// `count` or `num_pages` of a list answer: 0 when absent or null (not sent). A whole number
/// (JSON integer, numeric string, or a float without a fraction) of 0 or more passes.
std::int64_t pageNumber(const Poco::JSON::Object& object, const std::string& key,
                        const PageSource& source) {
    if (!object.has(key)) return 0;
    const auto value = object.get(key);
    if (value.isEmpty()) return 0;
    const auto number = parseId(value);
    if (!number || *number < 0) {
        throwShape(source.what, value, source.http_status,
                   "a whole number of 0 or more in \"" + key + "\"", source.secret.reveal());
    }
    return *number;
}

bool allDigits(const std::string& text) {
    return !text.empty() &&
           std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

class PocoSoarApi::Impl {
public:
    Impl(const InstanceConfig& config, Credentials credentials, std::shared_ptr<Clock> clock,
         std::uint64_t seed)
        : config_(config),
          credentials_(std::move(credentials)),
          clock_(std::move(clock)),
          limiter_(config.rate_limit, *clock_),
          random_(seed != 0 ? seed : std::random_device{}()) {
        validate();
        buildAuthHeader();
        if (https_) buildTlsContext();
    }

    const InstanceConfig& config() const { return config_; }

    ClientStats stats() const {
        std::lock_guard lock(stats_mutex_);
        return stats_;
    }

    /// One call: attempts, retries and classification.
    Reply call(const std::string& method, const std::string& path, const std::string& query,
               const std::string& body, const CallOptions& options) {
        const std::string what = method + " /rest/" + path;
        const std::string target = prefix_ + "/rest/" + path + (query.empty() ? "" : "?" + query);
        {
            std::lock_guard lock(stats_mutex_);
            ++stats_.calls;
        }
        const auto started = clock_->now();
        const RetryPolicy& policy = config_.retry;
        bool stale_retried = false;
        for (int attempt = 0;; ++attempt) {
            try {
                Answer answer = exchange(method, target, body, what, attempt > 0 || stale_retried);
                return classify(std::move(answer), what, options);
            } catch (const TransientError& e) {
                const bool unsent = dynamic_cast<const UnsentError*>(&e) != nullptr ||
                                    dynamic_cast<const UnsentUnreachable*>(&e) != nullptr;
                const bool may_retry = options.retry == RetryMode::Always || unsent;
                if (may_retry && !stale_retried &&
                    dynamic_cast<const StaleConnectionError*>(&e) != nullptr) {
                    stale_retried = true;  // at once, and it does not use up an attempt
                    --attempt;
                    continue;
                }
                if (!may_retry || attempt + 1 >= std::max(1, policy.max_attempts)) {
                    countError(e);
                    throw;
                }
                Clock::Duration delay;
                if (e.retryAfter()) {
                    if (*e.retryAfter() > policy.max_retry_after) {
                        countError(e);
                        throw;
                    }
                    delay = *e.retryAfter();
                } else {
                    std::lock_guard lock(random_mutex_);
                    delay = fullJitterBackoff(policy, attempt, random_);
                }
                if (clock_->now() - started + delay > policy.max_total) {
                    countError(e);
                    throw;
                }
                poco_debug(
                    logger(),
                    config_.section() + " retrying " + what + " in " +
                        seconds(std::chrono::duration_cast<std::chrono::milliseconds>(delay)) +
                        " after: " + e.what());
                {
                    std::lock_guard lock(stats_mutex_);
                    stats_.backoff_wait += delay;
                }
                clock_->sleepFor(delay);
            } catch (const SoarError& e) {
                countError(e);
                throw;
            }
        }
    }

    /// A RecordError for a body that is a failure (for callers that accepted it first).
    [[noreturn]] void failRecord(const std::string& what, const Reply& reply) const {
        const auto object = asObject(reply.json);
        const std::string message = scrub(stringField(object, "message"));
        throw RecordError(config_.section() + " " + what + " failed (HTTP " +
                              std::to_string(reply.status) + "): " + message,
                          reply.status, message);
    }

    [[noreturn]] void failShape(const std::string& what, const Reply& reply,
                                const std::string& expected) const {
        throwShape(config_.section() + " " + what, reply.json, reply.status, expected,
                   credentials_.secret.reveal());
    }

    /// One page of a list: the call, then parsePage() on its body. Errors of either are
    /// counted alike in stats().
    Page listPage(const std::string& path, const std::string& query) {
        CallOptions options;
        options.list_answer = true;
        const Reply reply = call("GET", path, query, "", options);
        try {
            return parsePage(reply.body, PageSource{config_.section() + " GET /rest/" + path,
                                                    reply.status, credentials_.secret});
        } catch (const SoarError& e) {
            countError(e);
            throw;
        }
    }

    std::string scrub(std::string text) const {
        return scrubbed(std::move(text), credentials_.secret.reveal());
    }

    std::string snippet(const std::string& body) const {
        return snippetOf(body, credentials_.secret.reveal());
    }

private:
    using Session = Poco::Net::HTTPClientSession;

    /// Borrows one session of the pool for one exchange.
    class Lease {
    public:
        explicit Lease(Impl& impl) : impl_(impl), session_(impl.acquire()) {}
        ~Lease() { impl_.release(std::move(session_)); }
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;

        Session& operator*() const { return *session_; }

    private:
        Impl& impl_;
        std::unique_ptr<Session> session_;
    };

    void validate() {
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
        if (credentials_.secret.empty()) {
            throw ConfigError(section + " " +
                              (credentials_.source_key.empty() ? std::string("token_env")
                                                               : credentials_.source_key) +
                              ": the secret is empty");
        }
        if (!config_.ca_file.empty() && !std::filesystem::is_regular_file(config_.ca_file)) {
            throw ConfigError(section + " ca_file: " + config_.ca_file + " is not a readable file");
        }
    }

    void buildAuthHeader() {
        const std::string& secret = credentials_.secret.reveal();
        switch (config_.auth) {
            case AuthScheme::PhAuthToken:
                auth_name_ = "ph-auth-token";
                auth_value_ = secret;
                break;
            case AuthScheme::Bearer:
                auth_name_ = "Authorization";
                auth_value_ = "Bearer " + secret;
                break;
            case AuthScheme::Basic:
                auth_name_ = "Authorization";
                auth_value_ = basicAuthValue(credentials_.user, secret);
                break;
        }
    }

    void buildTlsContext() {
        initializeSslOnce();
        Poco::Net::Context::Params params;
        params.verificationMode = config_.verify_tls ? Poco::Net::Context::VERIFY_RELAXED
                                                     : Poco::Net::Context::VERIFY_NONE;
        if (!config_.ca_file.empty()) {
            params.caLocation = config_.ca_file;
        } else if (std::filesystem::exists(kSystemCaBundle)) {
            params.caLocation = kSystemCaBundle;
        } else {
            params.loadDefaultCAs = true;
        }
        try {
            context_ = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
            context_->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
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

    std::unique_ptr<Session> acquire() {
        std::unique_lock lock(pool_mutex_);
        pool_cv_.wait(lock, [this] { return !idle_.empty() || open_ < config_.connections; });
        if (!idle_.empty()) {
            auto session = std::move(idle_.back());
            idle_.pop_back();
            return session;
        }
        ++open_;
        lock.unlock();
        std::unique_ptr<Session> session;
        if (https_) {
            session = std::make_unique<Poco::Net::HTTPSClientSession>(host_, port_, context_);
        } else {
            session = std::make_unique<Session>(host_, port_);
        }
        const auto to_span = [](std::chrono::milliseconds d) {
            return Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(d.count()) * 1000);
        };
        session->setTimeout(to_span(config_.connect_timeout), to_span(config_.timeout),
                            to_span(config_.timeout));
        session->setKeepAlive(true);
        return session;
    }

    void release(std::unique_ptr<Session> session) {
        {
            std::lock_guard lock(pool_mutex_);
            idle_.push_back(std::move(session));
        }
        pool_cv_.notify_one();
    }

    void countAttempt(int status, bool retry) {
        std::lock_guard lock(stats_mutex_);
        ++stats_.attempts;
        if (retry) ++stats_.retries;
        ++stats_.by_status[status];
    }

    void countError(const SoarError& e) {
        std::lock_guard lock(stats_mutex_);
        ++stats_.errors[dynamic_cast<const UnreachableError*>(&e) != nullptr ? "unreachable"
                                                                             : toString(e.kind())];
    }

    std::string endpoint() const { return host_ + ":" + std::to_string(port_); }

    /// One HTTP exchange on a pooled session. Transport failures become TransientError
    /// (UnsentError when nothing reached the server) or TlsError.
    Answer exchange(const std::string& method, const std::string& target, const std::string& body,
                    const std::string& what, bool retry) {
        const auto waited = limiter_.acquire();
        if (waited.count() > 0) {
            std::lock_guard lock(stats_mutex_);
            stats_.rate_limit_wait += waited;
        }
        Lease lease(*this);
        Session& session = *lease;
        const bool fresh = !session.connected();
        const std::string prefix = config_.section() + " " + what + " (" + endpoint() + "): ";
        Poco::Net::HTTPRequest request(method, target, Poco::Net::HTTPMessage::HTTP_1_1);
        request.setKeepAlive(true);
        request.set("Accept", "application/json");
        request.set("User-Agent", "soar-sync");
        request.set(auth_name_, auth_value_);
        if (method != Poco::Net::HTTPRequest::HTTP_GET) {
            request.setContentType("application/json");
            request.setContentLength(static_cast<std::streamsize>(body.size()));
        }
        Answer answer;
        try {
            std::ostream& out = session.sendRequest(request);
            out.write(body.data(), static_cast<std::streamsize>(body.size()));
            out.flush();
            Poco::Net::HTTPResponse response;
            std::istream& in = session.receiveResponse(response);
            answer.status = static_cast<int>(response.getStatus());
            answer.retry_after = response.get("Retry-After", "");
            answer.location = response.get("Location", "");
            char buffer[64 * 1024];
            while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
                answer.body.append(buffer, static_cast<std::size_t>(in.gcount()));
                if (answer.body.size() > kMaxBodyBytes) {
                    session.reset();
                    countAttempt(answer.status, retry);
                    throw ProtocolError(prefix + "the answer is larger than " +
                                            std::to_string(kMaxBodyBytes / (1024 * 1024)) + " MiB",
                                        answer.status);
                }
            }
            if (in.bad()) {
                session.reset();
                countAttempt(0, retry);
                throw TransientError(prefix + "the connection broke while reading the answer", 0);
            }
            if (response.hasContentLength() &&
                static_cast<std::int64_t>(answer.body.size()) != response.getContentLength64()) {
                session.reset();
                countAttempt(answer.status, retry);
                throw ProtocolError(
                    prefix + "truncated answer: got " + std::to_string(answer.body.size()) +
                        " of " + std::to_string(response.getContentLength64()) + " bytes (HTTP " +
                        std::to_string(answer.status) + "): '" + snippet(answer.body) + "'",
                    answer.status);
            }
            if (!response.getKeepAlive()) session.reset();
        } catch (const SoarError&) {
            throw;
        } catch (const Poco::Net::CertificateValidationException& e) {
            session.reset();
            countAttempt(0, retry);
            throw TlsError(prefix + "TLS handshake with " + host_ + " failed: " + e.displayText());
        } catch (const Poco::Net::SSLConnectionUnexpectedlyClosedException& e) {
            session.reset();
            countAttempt(0, retry);
            if (fresh) {
                throw TlsError(prefix + "TLS handshake with " + host_ +
                               " failed: " + e.displayText());
            }
            throw TransientError(prefix + "connection closed: " + e.displayText(), 0);
        } catch (const Poco::Net::SSLException& e) {
            session.reset();
            countAttempt(0, retry);
            // On a reused connection the handshake is long done: a reset, not a TLS problem.
            if (fresh) {
                throw TlsError(prefix + "TLS handshake with " + host_ +
                               " failed: " + e.displayText());
            }
            throw TransientError(prefix + "TLS connection failed: " + e.displayText(), 0);
        } catch (const Poco::Net::ConnectionRefusedException& e) {
            session.reset();
            countAttempt(0, retry);
            throw UnsentUnreachable(prefix + "connection refused (is " + endpoint() + " up?)", 0);
        } catch (const Poco::Net::DNSException& e) {
            session.reset();
            countAttempt(0, retry);
            throw UnsentUnreachable(prefix + "cannot resolve " + host_ + ": " + e.displayText(), 0);
        } catch (const Poco::TimeoutException&) {
            session.reset();
            countAttempt(0, retry);
            throw TransientError(
                prefix + "no answer within " + seconds(config_.timeout) +
                    (fresh ? " (connect timeout " + seconds(config_.connect_timeout) + ")"
                           : std::string()),
                0);
        } catch (const Poco::Net::NoMessageException&) {
            session.reset();
            countAttempt(0, retry);
            if (!fresh) {
                throw StaleConnectionError(prefix + "the kept-alive connection was closed", 0);
            }
            throw TransientError(prefix + "the connection closed without an answer", 0);
        } catch (const Poco::Net::ConnectionResetException& e) {
            session.reset();
            countAttempt(0, retry);
            if (!fresh) {
                throw StaleConnectionError(prefix + "the kept-alive connection was reset", 0);
            }
            throw TransientError(prefix + e.displayText(), 0);
        } catch (const Poco::Net::MessageException& e) {
            session.reset();
            countAttempt(0, retry);
            throw ProtocolError(prefix + "malformed HTTP answer: " + scrub(e.displayText()));
        } catch (const Poco::IOException& e) {
            session.reset();
            countAttempt(0, retry);
            throw TransientError(prefix + e.displayText(), 0);
        } catch (const Poco::Exception& e) {
            session.reset();
            countAttempt(0, retry);
            throw ProtocolError(prefix + "unexpected failure: " + scrub(e.displayText()));
        }
        countAttempt(answer.status, retry);
        return answer;
    }

    Reply classify(Answer answer, const std::string& what, const CallOptions& options) const {
        const std::string head = config_.section() + " " + what + ": ";
        const int status = answer.status;
        if (options.list_answer && status >= 200 && status <= 299) {
            return Reply{status, {}, std::move(answer.body)};
        }
        Reply reply{status, {}, {}};
        bool parsed = false;
        if (!answer.body.empty()) {
            try {
                Poco::JSON::Parser parser;
                reply.json = parser.parse(answer.body);
                parsed = true;
            } catch (const Poco::Exception&) {
                parsed = false;
            }
        }
        const auto object = parsed ? asObject(reply.json) : Poco::JSON::Object::Ptr();
        const std::string message = scrub(stringField(object, "message"));
        const std::string detail =
            !message.empty() ? message : (parsed ? std::string() : snippet(answer.body));

        if (status == 401) {
            throw AuthError(config_.section() + " " + credentials_.source_key + ": " + host_ +
                                " refused the credentials (" + toString(config_.auth) +
                                ", HTTP 401 on " + what + (detail.empty() ? "" : ": " + detail) +
                                "); check the secret that " + credentials_.source_key +
                                " points to",
                            status);
        }
        if (status == 403) {
            throw AuthError(config_.section() + " " + credentials_.source_key + ": " + host_ +
                                " denied " + what + " (" + toString(config_.auth) + ", HTTP 403" +
                                (detail.empty() ? "" : ": " + detail) + "); the account behind " +
                                credentials_.source_key + " lacks the permission",
                            status);
        }
        if (isTransientStatus(status)) {
            std::optional<std::chrono::milliseconds> retry_after;
            if (!answer.retry_after.empty()) {
                retry_after = parseRetryAfter(answer.retry_after, clock_->wallNow());
            }
            const std::string text =
                head + "HTTP " + std::to_string(status) + (detail.empty() ? "" : ": " + detail);
            if (status == 429) throw UnsentError(text, status, retry_after);
            throw TransientError(text, status, retry_after);
        }
        if (options.accept_array && parsed && asArray(reply.json)) return reply;
        if (options.accept_duplicate && object &&
            (object->has("existing_container_id") || object->has("existing_artifact_id"))) {
            return reply;
        }
        if (options.list_answer && isPastEnd(object)) {
            return Reply{status, {}, std::move(answer.body)};
        }
        if (options.accept_not_found && status == 404) return Reply{404, {}, {}};
        if (status >= 400 && status <= 499) {
            throw RecordError(
                head + "HTTP " + std::to_string(status) + (detail.empty() ? "" : ": " + detail),
                status, detail);
        }
        if (status >= 300 && status <= 399) {
            throw ProtocolError(head + "unexpected redirect (HTTP " + std::to_string(status) +
                                    (answer.location.empty() ? "" : " to " + answer.location) +
                                    "); is url right?",
                                status);
        }
        if (status < 200 || status > 299) {
            throw ProtocolError(head + "unexpected HTTP " + std::to_string(status) +
                                    (detail.empty() ? "" : ": " + detail),
                                status);
        }
        if (!parsed) {
            throw ProtocolError(head + "the answer (HTTP " + std::to_string(status) +
                                    ") is not JSON: '" + snippet(answer.body) + "'",
                                status);
        }
        if (isFailed(object)) {
            throw RecordError(head + "failed (HTTP " + std::to_string(status) + ")" +
                                  (message.empty() ? "" : ": " + message),
                              status, message);
        }
        return reply;
    }

    InstanceConfig config_;
    Credentials credentials_;
    std::shared_ptr<Clock> clock_;
    bool https_ = false;
    std::string host_;
    unsigned short port_ = 0;
    std::string prefix_;
    std::string auth_name_;
    std::string auth_value_;
    Poco::Net::Context::Ptr context_;

    std::mutex pool_mutex_;
    std::condition_variable pool_cv_;
    std::vector<std::unique_ptr<Session>> idle_;
    unsigned open_ = 0;

    RateLimiter limiter_;
    std::mutex random_mutex_;
    std::mt19937_64 random_;

    mutable std::mutex stats_mutex_;
    ClientStats stats_;
};

namespace {

std::string idPath(const std::string& collection, std::int64_t id) {
    return collection + "/" + std::to_string(id);
}

}  // namespace

std::unique_ptr<PocoSoarApi> PocoSoarApi::create(const InstanceConfig& config,
                                                 Credentials credentials,
                                                 std::shared_ptr<Clock> clock, std::uint64_t seed) {
    if (!clock) clock = SystemClock::instance();
    auto impl = std::make_unique<Impl>(config, std::move(credentials), std::move(clock), seed);
    return std::unique_ptr<PocoSoarApi>(new PocoSoarApi(std::move(impl)));
}

PocoSoarApi::PocoSoarApi(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

PocoSoarApi::~PocoSoarApi() = default;

ClientStats PocoSoarApi::stats() const { return impl_->stats(); }

const InstanceConfig& PocoSoarApi::config() const { return impl_->config(); }

std::string PocoSoarApi::version() {
    const Reply reply = impl_->call("GET", "version", "", "", {});
    const auto object = asObject(reply.json);
    const std::string version = stringField(object, "version");
    if (version.empty()) impl_->failShape("GET /rest/version", reply, "{\"version\": ...}");
    return version;
}

Page PocoSoarApi::listPage(const std::string& path, const Query& query, std::size_t page) {
    return impl_->listPage(path, query.toQueryString(page));
}

Record PocoSoarApi::getObject(const std::string& path) {
    const Reply reply = impl_->call("GET", path, "", "", {});
    auto object = asObject(reply.json);
    if (!object) impl_->failShape("GET /rest/" + path, reply, "an object");
    return object;
}

std::optional<Record> PocoSoarApi::get(const std::string& collection, std::int64_t id) {
    CallOptions options;
    options.accept_not_found = true;
    const Reply reply = impl_->call("GET", idPath(collection, id), "", "", options);
    if (reply.status == 404) return std::nullopt;
    auto object = asObject(reply.json);
    if (!object) impl_->failShape("GET /rest/" + collection + "/<id>", reply, "an object");
    return object;
}

namespace {

CreateResult createResult(PocoSoarApi::Impl& impl, const std::string& what, const Reply& reply,
                          const char* existing_key) {
    const auto object = asObject(reply.json);
    if (!object) impl.failShape(what, reply, "an object");
    if (object->has(existing_key)) {
        const auto id = parseId(object->get(existing_key));
        if (!id) impl.failShape(what, reply, std::string("a numeric ") + existing_key);
        return {*id, true};
    }
    if (isFailed(object)) impl.failRecord(what, reply);
    const auto id = parseId(object->get("id"));
    if (!id) impl.failShape(what, reply, "{\"id\": N}");
    return {*id, false};
}

}  // namespace

CreateResult PocoSoarApi::createContainer(const Poco::JSON::Object& container) {
    CallOptions options;
    options.accept_duplicate = true;
    const Reply reply = impl_->call("POST", "container", "", toJson(container), options);
    return createResult(*impl_, "POST /rest/container", reply, "existing_container_id");
}

void PocoSoarApi::updateContainer(std::int64_t id, const Poco::JSON::Object& fields) {
    (void)impl_->call("POST", idPath("container", id), "", toJson(fields), {});
}

CreateResult PocoSoarApi::createArtifact(const Poco::JSON::Object& artifact) {
    CallOptions options;
    options.accept_duplicate = true;
    const Reply reply = impl_->call("POST", "artifact", "", toJson(artifact), options);
    return createResult(*impl_, "POST /rest/artifact", reply, "existing_artifact_id");
}

std::vector<BatchItemResult> PocoSoarApi::createArtifacts(const Poco::JSON::Array& artifacts) {
    const std::string what = "POST /rest/artifact (batch)";
    CallOptions options;
    options.accept_array = true;
    const Reply reply = impl_->call("POST", "artifact", "", toJson(artifacts), options);
    const auto items = asArray(reply.json);
    if (!items || items->size() != artifacts.size()) {
        impl_->failShape(what, reply,
                         "an array of " + std::to_string(artifacts.size()) + " results");
    }
    std::vector<BatchItemResult> results;
    results.reserve(items->size());
    for (std::size_t i = 0; i < items->size(); ++i) {
        const auto item = items->getObject(static_cast<unsigned>(i));
        if (!item) impl_->failShape(what, reply, "objects in the result array");
        BatchItemResult result;
        if (item->has("existing_artifact_id")) {
            result.id = parseId(item->get("existing_artifact_id"));
            result.existed = true;
        } else if (isFailed(item)) {
            result.error = impl_->scrub(stringField(item, "message"));
            if (result.error.empty()) result.error = "failed without a message";
        } else {
            result.id = parseId(item->get("id"));
        }
        if (!result.id && result.error.empty()) {
            impl_->failShape(what, reply, "an id or a failure per item");
        }
        results.push_back(std::move(result));
    }
    return results;
}

void PocoSoarApi::updateArtifact(std::int64_t id, const Poco::JSON::Object& fields) {
    (void)impl_->call("POST", idPath("artifact", id), "", toJson(fields), {});
}

CreateResult PocoSoarApi::createNote(const Poco::JSON::Object& note) {
    CallOptions options;
    options.retry = RetryMode::OnlyUnsent;  // no server-side dedup: a resend could double it
    const Reply reply = impl_->call("POST", "note", "", toJson(note), options);
    return createResult(*impl_, "POST /rest/note", reply, "existing_note_id");
}

CreateResult PocoSoarApi::createComment(const Poco::JSON::Object& comment) {
    CallOptions options;
    options.retry = RetryMode::OnlyUnsent;
    const Reply reply = impl_->call("POST", "container_comment", "", toJson(comment), options);
    return createResult(*impl_, "POST /rest/container_comment", reply, "existing_comment_id");
}

void PocoSoarApi::updateNote(std::int64_t id, const Poco::JSON::Object& fields) {
    (void)impl_->call("POST", idPath("note", id), "", toJson(fields), {});
}

std::optional<PlaybookInfo> PocoSoarApi::findPlaybook(const std::string& spec) {
    const auto info = [](const Record& record) {
        PlaybookInfo result;
        result.id = parseId(record->get("id")).value_or(0);
        result.name = stringField(record, "name");
        result.scm_id = parseId(record->get("scm")).value_or(0);
        const auto active = record->get("active");
        try {
            result.active = active.isEmpty() || active.convert<bool>();
        } catch (const Poco::Exception&) {
            result.active = true;
        }
        return result;
    };
    if (allDigits(spec)) {
        const auto id = parseId(Poco::Dynamic::Var(spec));
        if (!id) return std::nullopt;
        const auto record = get(collection::kPlaybook, *id);
        if (!record) return std::nullopt;
        return info(*record);
    }
    Query query;
    query.pageSize(50);
    std::string name = spec;
    const auto slash = spec.find('/');
    if (slash != std::string::npos) {
        const std::string repo = spec.substr(0, slash);
        name = spec.substr(slash + 1);
        const Page scms = listPage(collection::kScm, Query().exact("name", repo).pageSize(2), 0);
        if (scms.records.empty()) return std::nullopt;
        const auto scm = parseId(scms.records.front()->get("id"));
        if (!scm) return std::nullopt;
        query.exact("scm", *scm);
    }
    query.exact("name", name).sort("id");
    const Page page = listPage(collection::kPlaybook, query, 0);
    if (page.records.empty()) return std::nullopt;
    if (page.records.size() > 1 && slash == std::string::npos) {
        throw RecordError(impl_->config().section() + " playbook '" + spec + "' exists in " +
                              std::to_string(page.records.size()) +
                              " repositories; name it as repo/name",
                          0, "ambiguous playbook name");
    }
    // Several with one repo and name: re-imports; the newest (highest id) is the live one.
    return info(page.records.back());
}

std::int64_t PocoSoarApi::runPlaybook(const PlaybookRunRequest& request) {
    Poco::JSON::Object body;
    body.set("container_id", request.container_id);
    if (request.playbook_id) {
        body.set("playbook_id", *request.playbook_id);
    } else {
        body.set("playbook_id", request.playbook_name);
    }
    body.set("scope", request.scope);
    body.set("run", true);
    CallOptions options;
    options.retry = RetryMode::OnlyUnsent;
    const Reply reply = impl_->call("POST", "playbook_run", "", toJson(body), options);
    const auto object = asObject(reply.json);
    const auto id = object ? parseId(object->get("playbook_run_id")) : std::nullopt;
    if (!id) impl_->failShape("POST /rest/playbook_run", reply, "{\"playbook_run_id\": N}");
    return *id;
}

PlaybookRunStatus PocoSoarApi::playbookRun(std::int64_t run_id) {
    const std::string what = "GET /rest/playbook_run/<id>";
    const Reply reply = impl_->call("GET", idPath("playbook_run", run_id), "", "", {});
    const auto object = asObject(reply.json);
    if (!object) impl_->failShape(what, reply, "an object");
    PlaybookRunStatus status;
    status.id = parseId(object->get("id")).value_or(run_id);
    status.status = stringField(object, "status");
    if (status.status.empty()) impl_->failShape(what, reply, "a run with a status");
    status.outcome = playbookOutcome(status.status);
    status.message = impl_->scrub(stringField(object, "message"));
    return status;
}

bool PocoSoarApi::remove(const std::string& collection, std::int64_t id) {
    CallOptions options;
    options.accept_not_found = true;
    const Reply reply = impl_->call("DELETE", idPath(collection, id), "", "", options);
    return reply.status != 404;
}

void PocoSoarApi::cancelPlaybookRun(std::int64_t run_id) {
    Poco::JSON::Object body;
    body.set("cancel", true);
    (void)impl_->call("POST", idPath("playbook_run", run_id), "", toJson(body), {});
}

Page parsePage(const std::string& body, const PageSource& source) {
    const std::string& secret = source.secret.reveal();
    const int status = source.http_status;
    Poco::Dynamic::Var json;
    try {
        json = Poco::JSON::Parser().parse(body);
    } catch (const Poco::Exception&) {
        throw ProtocolError(source.what + ": the answer (HTTP " + std::to_string(status) +
                                ") is not JSON: '" + snippetOf(body, secret) + "'",
                            status);
    }
    const auto object = asObject(json);
    if (!object) throwShape(source.what, json, status, "a list object", secret);
    Page page;
    if (isPastEnd(object)) {
        page.past_end = true;
        return page;
    }
    if (isFailed(object)) {
        const std::string message = scrubbed(stringField(object, "message"), secret);
        throw RecordError(source.what + ": failed (HTTP " + std::to_string(status) + ")" +
                              (message.empty() ? "" : ": " + message),
                          status, message);
    }
    const auto data = object->getArray("data");
    if (!data) throwShape(source.what, json, status, "a list with \"data\"", secret);
    page.count = pageNumber(*object, "count", source);
    page.num_pages = pageNumber(*object, "num_pages", source);
    page.records.reserve(data->size());
    for (std::size_t i = 0; i < data->size(); ++i) {
        auto record = data->getObject(static_cast<unsigned>(i));
        if (!record) {
            throwShape(source.what, data->get(static_cast<unsigned>(i)), status,
                       "objects in \"data\" (item " + std::to_string(i) + ")", secret);
        }
        page.records.push_back(std::move(record));
    }
    return page;
}

}  // namespace soar::sync
