#include "soar/app/StatusSource.h"

#include "soar/sync/Timestamp.h"

namespace soar::app {

const char* versionString() {
#ifdef SOAR_SYNC_VERSION
    return SOAR_SYNC_VERSION;
#else
    return "0.0.0";
#endif
}

std::string nowText() { return sync::Timestamp::now().toString(); }

StatusSnapshot readStoredStatus(const AppConfig& config, const state::Store& store) {
    StatusSnapshot snap;
    snap.version = versionString();
    snap.now = nowText();
    const auto now = sync::Timestamp::now();
    for (const auto& spec : config.routes) {
        RouteView route;
        route.name = spec.config.name;
        route.source = spec.config.source;
        for (const auto& target : spec.config.targets) {
            TargetView view;
            view.target = target;
            const state::RouteTarget key{spec.config.name, target};
            view.stored = store.status(key);
            view.stored.key = key;
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
