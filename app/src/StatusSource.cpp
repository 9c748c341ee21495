#include "soar/app/StatusSource.h"

#include "soar/app/StoredStatus.h"
#include "soar/client/Timestamp.h"
#include "soar/sync/RouteLeases.h"

#include <cstddef>
#include <dlfcn.h>
#include <gnu/libc-version.h>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace soar::app {

namespace {

std::vector<std::string> mirrorNames(const sync::MirrorItems& m) {
    std::vector<std::string> out;
    const std::pair<bool, const char*> items[] = {
        {m.status, "status"},     {m.severity, "severity"}, {m.sensitivity, "sensitivity"},
        {m.owner, "owner"},       {m.tags, "tags"},         {m.notes, "notes"},
        {m.comments, "comments"}, {m.tasks, "tasks"}};
    for (const auto& [on, name] : items) {
        if (on) out.emplace_back(name);
    }
    return out;
}

const char* conflictName(sync::ConflictRule rule) {
    switch (rule) {
        case sync::ConflictRule::Source:
            return "source";
        case sync::ConflictRule::Target:
            return "target";
        case sync::ConflictRule::Newest:
            break;
    }
    return "newest";
}

LeaseView leaseView(const state::Lease& lease, std::int64_t now_ms, std::int64_t ttl_ms) {
    LeaseView view;
    view.holder = lease.holder;
    view.owner = sync::nodeOf(lease.holder);
    view.epoch = lease.epoch;
    view.expires_at = sync::Timestamp::fromMicros(lease.expires_ms * 1000).toString();
    view.expires_in_seconds = static_cast<double>(lease.expires_ms - now_ms) / 1000.0;
    if (!lease.wanted_by.empty() && now_ms - lease.wanted_ms < ttl_ms) {
        view.wanted_by = sync::nodeOf(lease.wanted_by);
    }
    return view;
}

}  // namespace

const char* versionString() {
#ifdef SOAR_SYNC_VERSION
    return SOAR_SYNC_VERSION;
#else
    return "0.0.0";
#endif
}

std::string allocatorName() {
    // Asked of the running process rather than the build, so that a preloaded allocator
    // shows too: jemalloc answers mallctl("version").
    using Mallctl = int (*)(const char*, void*, std::size_t*, void*, std::size_t);
    if (void* symbol = dlsym(RTLD_DEFAULT, "mallctl")) {
        const auto mallctl = reinterpret_cast<Mallctl>(symbol);
        const char* version = nullptr;
        std::size_t size = sizeof(version);
        if (mallctl("version", static_cast<void*>(&version), &size, nullptr, 0) == 0 &&
            version != nullptr) {
            // "5.3.0-0-g<commit>": the release is enough.
            const std::string release(version);
            return "jemalloc " + release.substr(0, release.find('-'));
        }
        return "jemalloc";
    }
    return std::string("glibc malloc ") + gnu_get_libc_version();
}

std::string nowText() { return sync::Timestamp::now().toString(); }

StatusSnapshot readStoredStatus(const AppConfig& config, const state::Store& store,
                                std::size_t dead_letter_limit) {
    StatusSnapshot snap;
    snap.version = versionString();
    snap.now = nowText();
    const auto now = sync::Timestamp::now();
    std::map<std::string, state::Lease> leases;
    for (auto& lease : store.leases()) {
        if (!lease.holder.empty()) leases[lease.route] = std::move(lease);
    }
    const auto now_ms = leases.empty() ? 0 : store.leaseClockMs();
    for (const auto& spec : config.routes) {
        RouteView route;
        route.name = spec.config.name;
        route.source = spec.config.source;
        if (const auto* source = config.instance(spec.config.source))
            route.source_url = source->url;
        route.files = spec.config.attachments;
        route.file_max_size = spec.config.attachments ? spec.config.attachment_max_size : 0;
        route.workbooks = spec.config.workbooks;
        route.owners_by_name = spec.config.owners_by_name;
        route.custom_fields = spec.config.custom_fields;
        route.mirror_back = mirrorNames(spec.config.mirror_back);
        route.conflict = conflictName(spec.config.conflict);
        route.report_back = spec.config.report_back == sync::ReportBack::Note      ? "note"
                            : spec.config.report_back == sync::ReportBack::Comment ? "comment"
                                                                                   : "off";
        route.lists = spec.config.lists;
        route.on_source_delete =
            spec.config.on_source_delete == sync::OnSourceDelete::Close    ? "close"
            : spec.config.on_source_delete == sync::OnSourceDelete::Delete ? "delete"
                                                                           : "keep";
        route.reconcile_interval_seconds =
            std::chrono::duration_cast<std::chrono::seconds>(spec.config.reconcile_interval)
                .count();
        if (const auto lease = leases.find(spec.config.name); lease != leases.end()) {
            route.lease = leaseView(lease->second, now_ms, config.cluster.lease_ttl.count());
        }
        for (const auto& target : spec.config.targets) {
            TargetView view;
            view.target = target;
            const state::RouteTarget key{spec.config.name, target};
            view.stored = store.status(key);
            view.stored.key = key;
            if (const auto* instance = config.instance(target)) view.url = instance->url;
            if (view.stored.dead_letters > 0) {
                auto letters = store.deadLetters(key);
                if (letters.size() > dead_letter_limit) {
                    letters.erase(letters.begin(),
                                  letters.end() - static_cast<std::ptrdiff_t>(dead_letter_limit));
                }
                view.dead_letters = std::move(letters);
            }
            for (const auto& pass : store.recentPasses(key, 20)) {
                if (pass.outcome != "ok" && pass.outcome != "errors") continue;
                view.last_good_pass = pass.started_at;
                if (const auto at = sync::Timestamp::parse(pass.started_at)) {
                    view.lag_seconds =
                        static_cast<double>(now.micros() - at->micros()) / 1'000'000.0;
                    if (*view.lag_seconds < 0) view.lag_seconds = 0.0;
                }
                break;
            }
            route.targets.push_back(std::move(view));
        }
        snap.routes.push_back(std::move(route));
    }
    return snap;
}

}  // namespace soar::app
