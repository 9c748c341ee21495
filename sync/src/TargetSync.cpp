#include "soar/sync/TargetSync.h"

#include "FieldMirror.h"
#include "ListCopier.h"
#include "MirrorBack.h"
#include "Pass.h"
#include "PassReport.h"
#include "PassScope.h"
#include "PoisonTracker.h"
#include "Reconciler.h"
#include "ResultReporter.h"

#include <Poco/Logger.h>

#include <set>
#include <utility>

namespace soar::sync {

using state::RecordKind;
using state::Stream;

/// What lives as long as the object: the mapper, the live status, the poison strikes' tracker,
/// the worker pool when the daemon lent none, and the pacing of idle log lines.
struct TargetSync::Parts {
    Parts(const RouteConfig& route, const TargetSyncOptions& options, state::Store& store,
          const state::RouteTarget& key)
        : mapper(MappingRules{route.source, route.label_map, route.add_tags, route.custom_fields}),
          logger(Poco::Logger::get("sync.route")),
          poison(store, key, options.poison_passes),
          owners(logger),
          lookback(route.lookback, options.clock) {
        if (!options.workers) {
            own_pool = std::make_unique<WorkerPool>("route." + route.name + "." + options.target,
                                                    options.in_flight);
        }
    }

    RecordMapper mapper;
    Poco::Logger& logger;
    LiveBoard live;
    PoisonTracker poison;
    OwnerMap owners;
    std::unique_ptr<WorkerPool> own_pool;
    /// When the last idle pass was logged at Information (others go to debug).
    std::chrono::steady_clock::time_point idle_logged{};
    /// Why each custom list was last not written (ListCopier logs a reason once, not per pass).
    std::map<std::string, std::string> list_problems;
    Lookback lookback;
    EmbedPolicy embed;
};

TargetSync::TargetSync(RouteConfig route, TargetSyncOptions options, Source& source, Target& target,
                       state::Store& store)
    : route_(std::move(route)),
      options_(std::move(options)),
      source_(source),
      target_(target),
      store_(store),
      key_{route_.name, options_.target},
      parts_(std::make_unique<Parts>(route_, options_, store_, key_)) {}

TargetSync::~TargetSync() = default;

LiveStatus TargetSync::live() const { return parts_->live.get(); }

template <class Body>
PassResult TargetSync::run(const char* what, bool force, const std::atomic<bool>* stop,
                           Body&& body) {
    PassScope scope{route_,
                    options_,
                    key_,
                    source_,
                    target_,
                    store_,
                    parts_->mapper,
                    parts_->logger,
                    parts_->live,
                    force,
                    stop,
                    Timestamp::at(options_.clock->wallNow()).toString(),
                    options_.clock->now(),
                    {},
                    route_.owners_by_name ? &parts_->owners : nullptr};
    scope.lookback = &parts_->lookback;
    scope.embed = &parts_->embed;
    if (scope.owners) scope.owners->newPass();
    std::optional<FieldMirror> fields;
    if (options_.source_side && options_.target_side && route_.mirror_back.any()) {
        scope.source_side = options_.source_side;
        scope.target_side = options_.target_side;
        if (route_.mirror_back.fields()) {
            fields.emplace(route_, key_.target, *options_.source_side, *options_.target_side,
                           parts_->logger);
            scope.fields = &*fields;
        }
    }
    WorkerPool& pool = options_.workers ? *options_.workers : *parts_->own_pool;
    PassResult result;
    {
        Pass pass(scope, pool, parts_->poison);
        body(pass, result);
        auto summed = pass.result();
        summed.not_found = std::move(result.not_found);
        summed.counts += result.counts;  // what went back to the source
        result = std::move(summed);
    }
    const bool daemon_pass = std::string(what) == "pass";
    if (daemon_pass && options_.playbooks) result.playbooks = options_.playbooks->takeActivity();
    return finishPass(what, key_, store_, parts_->logger, *options_.clock, scope.started_at,
                      std::move(result), daemon_pass ? &parts_->idle_logged : nullptr);
}

PassResult TargetSync::runPass(const std::atomic<bool>* stop) {
    return run("pass", false, stop, [&](Pass& pass, PassResult& result) {
        if (options_.playbooks) {
            // Intents a crash left without a run id are settled before anything new is sent.
            try {
                options_.playbooks->recover();
            } catch (...) {
                pass.fail(std::current_exception());
            }
        }
        // Deletions first (when a reconcile is due): a container deleted on the source is
        // never met by the streams again.
        if (!pass.stopped()) {
            Reconciler reconciler(pass.scope());
            try {
                reconciler.run();
            } catch (...) {
                pass.fail(std::current_exception());
            }
            result.counts += reconciler.counts();
        }
        std::vector<Stream> streams{Stream::ContainersCreated, Stream::ContainersUpdated};
        if (route_.artifacts) streams.push_back(Stream::Artifacts);
        // Files before notes: a note's references to files are mapped through the files' copies.
        if (route_.attachments) streams.push_back(Stream::Attachments);
        if (route_.workbooks) streams.push_back(Stream::Tasks);
        if (route_.notes) {
            streams.push_back(Stream::Notes);
            streams.push_back(Stream::Comments);
        }
        // Sets a stream's cursor to the newest change the source holds now, so that a walk
        // from it reads only what changes later.
        const auto startAtNewest = [&](Stream stream) {
            if (const auto newest = source_.newest(stream)) {
                const auto at = KeysetCursor::after(*newest);
                store_.setCursor(key_, {stream, at.timestamp, at.last_id});
            }
        };
        // A first walk of new containers from the beginning reads every container as it is
        // now, with its artifacts, notes and comments: the other streams need only what
        // changes from here on. Their cursors start at the newest value the source holds
        // before that walk (less the lookback, as every walk), instead of re-reading the
        // whole source.
        try {
            if (route_.start_from == "beginning" && !pass.stopped() &&
                !store_.cursor(key_, Stream::ContainersCreated)) {
                for (const auto stream : streams) {
                    if (stream != Stream::ContainersCreated && !store_.cursor(key_, stream)) {
                        startAtNewest(stream);
                    }
                }
            }
        } catch (...) {
            pass.fail(std::current_exception());
        }
        for (const auto stream : streams) {
            if (pass.stopped()) break;
            try {
                const auto stored = store_.cursor(key_, stream);
                std::optional<KeysetCursor> stored_position;
                KeysetCursor start;
                if (stored) {
                    stored_position = KeysetCursor{stored->timestamp, stored->last_id};
                    start = parts_->lookback.start(stream, *stored_position);
                } else if (route_.start_from == "now") {
                    startAtNewest(stream);  // nothing older
                    continue;
                } else if (route_.start_from != "beginning") {
                    start = KeysetCursor::after(route_.start_from);
                }
                pass.walk(stream, start, stored_position, true);
                const auto now = store_.cursor(key_, stream);
                if (!pass.stopped() && now) {
                    parts_->lookback.walked(stream, KeysetCursor{now->timestamp, now->last_id});
                }
            } catch (...) {
                pass.fail(std::current_exception());
            }
        }
        // The way back, once the source's changes went out: a field both sides changed is
        // then settled once, by the rule.
        if (pass.scope().source_side && !pass.stopped()) {
            MirrorBack back(pass.scope(), pass.scope().fields);
            try {
                back.run();
            } catch (...) {
                pass.fail(std::current_exception());
            }
            result.counts += back.counts();
        }
        if (!route_.lists.empty() && !pass.stopped()) {
            ListCopier lists(pass.scope(), parts_->list_problems);
            try {
                lists.run();
            } catch (...) {
                pass.fail(std::current_exception());
            }
            result.counts += lists.counts();
        }
        if (options_.playbooks && !pass.stopped()) {
            try {
                (void)options_.playbooks->poll();
            } catch (...) {
                pass.fail(std::current_exception());
            }
        }
        if (options_.playbooks && options_.source_side && route_.report_back != ReportBack::Off &&
            !pass.stopped()) {
            ResultReporter reporter(pass.scope(), *options_.source_side);
            try {
                reporter.run();
            } catch (...) {
                pass.fail(std::current_exception());
            }
            result.counts += reporter.counts();
        }
    });
}

PassResult TargetSync::resyncContainers(const std::vector<std::int64_t>& source_ids) {
    return run("resync", true, nullptr, [&](Pass& pass, PassResult& result) {
        for (const auto id : source_ids) {
            if (pass.stopped()) break;
            try {
                if (!pass.replayId(id)) {
                    result.not_found.push_back(id);
                    poco_warning(parts_->logger, "resync " + route_.name + " -> " + key_.target +
                                                     ": source container " + std::to_string(id) +
                                                     " does not exist on " + route_.source);
                }
            } catch (...) {
                pass.fail(std::current_exception());
            }
        }
    });
}

PassResult TargetSync::resyncSince(Timestamp since, const std::atomic<bool>* stop) {
    return run("resync", true, stop, [&](Pass& pass, PassResult&) {
        // after(since - 1 µs): every record stamped at or after `since`.
        const auto start = KeysetCursor::after(since.plusMicros(-1).toString());
        for (const auto stream : {Stream::ContainersCreated, Stream::ContainersUpdated}) {
            if (pass.stopped()) break;
            pass.walk(stream, start, std::nullopt, false);
        }
    });
}

PassResult TargetSync::resyncAll(const std::atomic<bool>* stop) {
    return run("resync", true, stop, [&](Pass& pass, PassResult&) {
        pass.walk(Stream::ContainersCreated, KeysetCursor{}, std::nullopt, false);
    });
}

PassResult TargetSync::retryDead(const std::vector<std::int64_t>& only) {
    return run("retry-dead", true, nullptr, [&](Pass& pass, PassResult&) {
        std::set<std::int64_t> containers;
        const std::set<std::int64_t> wanted(only.begin(), only.end());
        for (const auto& letter : store_.deadLetters(key_)) {
            if (pass.stopped()) break;
            if (!wanted.empty() && wanted.count(letter.source_id) == 0) continue;
            if (letter.kind == RecordKind::Playbook) continue;  // the tracker settles its own
            try {
                // An artifact, note, comment or file: its container is replayed whole.
                const auto container = letter.kind == RecordKind::Container
                                           ? std::optional<std::int64_t>(letter.source_id)
                                           : source_.containerOf(letter.kind, letter.source_id);
                if (!container) {
                    store_.clearDeadLetter(key_, {letter.kind, letter.source_id});
                    poco_information(parts_->logger,
                                     "retry-dead " + route_.name + " -> " + key_.target +
                                         ": source " + std::string(toString(letter.kind)) + " " +
                                         std::to_string(letter.source_id) +
                                         " no longer exists; its dead letter is cleared");
                    continue;
                }
                if (!containers.insert(*container).second) continue;
                if (!pass.replayId(*container)) {
                    store_.clearDeadLetter(key_, {letter.kind, letter.source_id});
                }
            } catch (...) {
                pass.fail(std::current_exception());
            }
        }
    });
}

}  // namespace soar::sync
