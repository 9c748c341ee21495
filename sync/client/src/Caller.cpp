#include "Caller.h"

#include "AnswerBody.h"
#include "soar/client/Errors.h"
#include "soar/client/JsonTree.h"
#include "soar/client/PocoSoarApi.h"
#include "soar/client/Retry.h"

#include <Poco/Exception.h>
#include <Poco/Logger.h>

#include <algorithm>
#include <chrono>
#include <optional>

namespace soar::sync {
namespace {

/// Only poco_debug uses it, which release builds compile out.
[[maybe_unused]] Poco::Logger& logger() { return Poco::Logger::get("sync.client"); }

bool isTransientStatus(int status) {
    if (status == 408 || status == 429) return true;
    return status >= 500 && status <= 599 && status != 501 && status != 505;
}

}  // namespace

Caller::Caller(const InstanceConfig& config, Credentials credentials, std::shared_ptr<Clock> clock,
               std::uint64_t seed)
    : clock_(std::move(clock)),
      transport_(config, std::move(credentials), *clock_, stats_),
      random_(seed != 0 ? seed : std::random_device{}()) {}

std::string Caller::secret() const { return transport_.credentials().secret.reveal(); }

std::string Caller::scrub(std::string text) const { return scrubbed(std::move(text), secret()); }

std::string Caller::snippet(const std::string& body) const { return snippetOf(body, secret()); }

Reply Caller::call(const std::string& method, const std::string& path, const std::string& query,
                   const std::string& body, const CallOptions& options) {
    const InstanceConfig& config = transport_.config();
    const std::string what = method + " /rest/" + path;
    const std::string target = transport_.target(path, query);
    stats_.countCall();
    const auto started = clock_->now();
    const RetryPolicy& policy = config.retry;
    bool stale_retried = false;
    bool reloaded = false;
    for (int attempt = 0;; ++attempt) {
        try {
            Answer answer = transport_.exchange(method, target, body, what,
                                                attempt > 0 || stale_retried, options.streams);
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
                stats_.countError(e);
                throw;
            }
            Clock::Duration delay;
            if (e.retryAfter()) {
                if (*e.retryAfter() > policy.max_retry_after) {
                    stats_.countError(e);
                    throw;
                }
                delay = *e.retryAfter();
            } else {
                std::lock_guard lock(random_mutex_);
                delay = fullJitterBackoff(policy, attempt, random_);
            }
            if (clock_->now() - started + delay > policy.max_total) {
                stats_.countError(e);
                throw;
            }
            poco_debug(
                logger(),
                config.section() + " retrying " + what + " in " +
                    formatSeconds(std::chrono::duration_cast<std::chrono::milliseconds>(delay)) +
                    " after: " + e.what());
            stats_.addBackoffWait(delay);
            clock_->sleepFor(delay);
        } catch (const AuthError& e) {
            // A 401 after the token was rotated: read the token file again and, when it holds
            // a new token, try once more with it before the target is called failing.
            if (e.httpStatus() == 401 && !reloaded && transport_.reloadCredentials()) {
                reloaded = true;
                --attempt;
                continue;
            }
            stats_.countError(e);
            throw;
        } catch (const SoarError& e) {
            stats_.countError(e);
            throw;
        }
    }
}

Page Caller::listPage(const std::string& path, const std::string& query, const RecordShape* shape) {
    CallOptions options;
    options.list_answer = true;
    const Reply reply = call("GET", path, query, "", options);
    try {
        Page page =
            parsePage(reply.body, PageSource{config().section() + " GET /rest/" + path,
                                             reply.status, transport_.credentials().secret, shape});
        page.bytes = reply.body.size();
        return page;
    } catch (const SoarError& e) {
        stats_.countError(e);
        throw;
    }
}

void Caller::failRecord(const std::string& what, const Reply& reply) const {
    const auto object = asObject(reply.json);
    const std::string message = scrub(stringField(object, "message"));
    throw RecordError(config().section() + " " + what + " failed (HTTP " +
                          std::to_string(reply.status) + "): " + message,
                      reply.status, message);
}

void Caller::failShape(const std::string& what, const Reply& reply,
                       const std::string& expected) const {
    throwShape(config().section() + " " + what, reply.json, reply.status, expected, secret());
}

Reply Caller::classify(Answer answer, const std::string& what, const CallOptions& options) const {
    const InstanceConfig& config = transport_.config();
    const Credentials credentials = transport_.credentials();
    const std::string& host = transport_.host();
    const std::string head = config.section() + " " + what + ": ";
    const int status = answer.status;
    if (options.list_answer && status >= 200 && status <= 299) {
        return Reply{status, {}, std::move(answer.body)};
    }
    if (options.streams && options.streams->read_body && status >= 200 && status <= 299) {
        return Reply{status, {}, {}};
    }
    Reply reply{status, {}, {}};
    bool parsed = false;
    if (!answer.body.empty()) {
        try {
            reply.json = parseJson(answer.body);
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
        throw AuthError(config.section() + " " + credentials.source_key + ": " + host +
                            " refused the credentials (" + toString(config.auth) +
                            ", HTTP 401 on " + what + (detail.empty() ? "" : ": " + detail) +
                            "); check the secret that " + credentials.source_key + " points to",
                        status);
    }
    if (status == 403) {
        throw AuthError(config.section() + " " + credentials.source_key + ": " + host + " denied " +
                            what + " (" + toString(config.auth) + ", HTTP 403" +
                            (detail.empty() ? "" : ": " + detail) + "); the account behind " +
                            credentials.source_key + " lacks the permission",
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
            head + "HTTP " + std::to_string(status) + (detail.empty() ? "" : ": " + detail), status,
            detail);
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

}  // namespace soar::sync
