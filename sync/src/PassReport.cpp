#include "PassReport.h"

#include "PassScope.h"
#include "soar/client/Errors.h"
#include "soar/client/Timestamp.h"
#include "soar/state/StateError.h"

#include <Poco/Logger.h>

#include <sstream>

namespace soar::sync {
namespace {

/// How often an idle route says so at Information; other idle passes log at debug.
constexpr std::chrono::minutes kIdleInfoInterval{5};

std::string nowText(const Clock& clock) { return Timestamp::at(clock.wallNow()).toString(); }

bool isRefusal(ErrorKind kind) {
    return kind == ErrorKind::Auth || kind == ErrorKind::Tls || kind == ErrorKind::Config;
}

}  // namespace

const char* toString(PassOutcome outcome) {
    switch (outcome) {
        case PassOutcome::Ok:
            return "ok";
        case PassOutcome::RecordErrors:
            return "errors";
        case PassOutcome::Interrupted:
            return "interrupted";
        case PassOutcome::Failing:
            return "failing";
        case PassOutcome::Cancelled:
            return "cancelled";
    }
    return "unknown";
}

PassResult makeResult(const state::PassCounts& counts, std::exception_ptr error, bool cancelled,
                      std::chrono::milliseconds duration) {
    PassResult r;
    r.counts = counts;
    r.dead_lettered = counts.errors;
    r.duration = duration;
    if (error) {
        r.outcome = PassOutcome::Interrupted;
        try {
            std::rethrow_exception(error);
        } catch (const SoarError& e) {
            r.error = e.what();
            if (isRefusal(e.kind())) r.outcome = PassOutcome::Failing;
            r.unreachable = dynamic_cast<const UnreachableError*>(&e) != nullptr;
        } catch (const std::exception& e) {
            r.error = e.what();
        }
    } else if (cancelled) {
        r.outcome = PassOutcome::Cancelled;
    } else if (r.dead_lettered > 0) {
        r.outcome = PassOutcome::RecordErrors;
    }
    return r;
}

PassResult finishPass(const char* what, const state::RouteTarget& key, state::Store& store,
                      Poco::Logger& logger, const Clock& clock, const std::string& started_at,
                      PassResult result, std::chrono::steady_clock::time_point* idle_logged) {
    std::ostringstream line;
    line.precision(2);
    const auto& c = result.counts;
    line << std::fixed << what << " " << key.route << " -> " << key.target << ": "
         << toString(result.outcome) << " in "
         << static_cast<double>(result.duration.count()) / 1000.0 << " s; containers "
         << c.containers_created << " created, " << c.containers_updated << " updated, "
         << c.containers_unchanged << " unchanged; artifacts " << c.artifacts_created
         << " created, " << c.artifacts_updated << " updated, " << c.artifacts_unchanged
         << " unchanged; notes " << c.notes_created << " created, " << c.notes_updated
         << " updated; comments " << c.comments_created << " created; ";
    if (c.files_copied > 0) {
        line << "files " << c.files_copied << " copied (" << c.file_bytes << " bytes); ";
    }
    if (c.workbooks_copied + c.tasks_written > 0) {
        line << "workbooks " << c.workbooks_copied << " copied, tasks " << c.tasks_written
             << " written; ";
    }
    if (c.owners_unmatched > 0) line << c.owners_unmatched << " without their owner; ";
    line << result.dead_lettered << " dead-lettered";
    if (!result.playbooks.empty()) line << "; playbook runs " << result.playbooks;
    if (!result.error.empty()) line << "; " << result.error;
    const bool idle = result.outcome == PassOutcome::Ok && !wroteAny(c) && c.errors == 0 &&
                      result.dead_lettered == 0 && result.playbooks.empty();
    try {
        store.recordPass(key, {started_at, nowText(clock), toString(result.outcome), c});
        if (result.outcome == PassOutcome::Failing) {
            store.markFailing(key, result.error, nowText(clock));
        } else if (result.outcome == PassOutcome::Ok ||
                   result.outcome == PassOutcome::RecordErrors) {
            if (store.health(key).failing_since) store.markHealthy(key);
        } else if (result.outcome == PassOutcome::Interrupted) {
            // Transient (design §5): the next pass resumes, so the target is not failing;
            // the error stays visible as the last one.
            store.recordError(key, result.error, nowText(clock));
        }
    } catch (const state::StateError& e) {
        line << "; the pass could not be recorded: " << e.what();
        if (result.outcome == PassOutcome::Ok) result.outcome = PassOutcome::Interrupted;
    }
    if (idle && idle_logged) {
        const auto now = clock.now();
        if (*idle_logged == std::chrono::steady_clock::time_point{} ||
            now - *idle_logged >= kIdleInfoInterval) {
            *idle_logged = now;
            std::string cursor = "none yet";
            try {
                if (const auto at = store.cursor(key, state::Stream::ContainersCreated)) {
                    cursor = at->timestamp;
                }
            } catch (const state::StateError&) {
                cursor = "unreadable";
            }
            poco_information(logger, "route " + key.route + " -> " + key.target +
                                         ": idle, nothing changed on the source; create_time "
                                         "cursor at " +
                                         cursor + " (idle passes log at debug)");
        } else {
            poco_debug(logger, line.str());
        }
        return result;
    }
    if (idle_logged) *idle_logged = {};
    switch (result.outcome) {
        case PassOutcome::Ok:
        case PassOutcome::Cancelled:
            poco_information(logger, line.str());
            break;
        case PassOutcome::RecordErrors:
        case PassOutcome::Interrupted:
            poco_warning(logger, line.str());
            break;
        case PassOutcome::Failing:
            poco_error(logger, line.str());
            break;
    }
    return result;
}

ProgressLog::ProgressLog(const state::RouteTarget& key, Poco::Logger& logger, const Clock& clock,
                         std::chrono::milliseconds interval,
                         std::chrono::steady_clock::time_point started)
    : key_(key), logger_(logger), clock_(clock), interval_(interval), started_(started) {}

void ProgressLog::tick(const state::PassCounts& counts) {
    const auto now = clock_.now();
    if (now - last_ < interval_) return;
    if (last_ == std::chrono::steady_clock::time_point{}) {
        last_ = now;
        return;
    }
    last_ = now;
    const double seconds = std::chrono::duration<double>(now - started_).count();
    const auto done =
        counts.containers_created + counts.containers_updated + counts.containers_unchanged;
    std::ostringstream line;
    line.precision(1);
    line << std::fixed << "route " << key_.route << " -> " << key_.target << ": " << done
         << " containers done (" << counts.containers_created << " created, "
         << counts.containers_updated << " updated), " << counts.artifacts_created
         << " artifacts created, " << counts.errors << " errors, "
         << (seconds > 0 ? static_cast<double>(done) / seconds : 0.0) << " containers/s";
    poco_information(logger_, line.str());
}

}  // namespace soar::sync
