#include "StatusText.h"

#include <iomanip>
#include <sstream>

namespace soar::app {

bool failing(const TargetView& t) { return t.stored.health.failing_since.has_value(); }

std::string lagText(const TargetView& t) {
    if (!t.lag_seconds) return "-";
    std::ostringstream out;
    out << std::fixed << std::setprecision(0) << *t.lag_seconds << "s";
    return out.str();
}

std::string runsText(const TargetView& t) {
    std::string out;
    for (const auto& [status, n] : t.stored.playbook_runs) {
        if (!out.empty()) out += " ";
        out += std::string(state::toString(status)) + "=" + std::to_string(n);
    }
    return out.empty() ? "-" : out;
}

std::string directionWord(const RouteView& r) {
    return r.mirror_back.empty() ? "one-way" : "two-way";
}

std::string directionText(const RouteView& r) {
    std::string out = "one-way";
    if (!r.mirror_back.empty()) {
        out = "two-way: ";
        for (std::size_t i = 0; i < r.mirror_back.size(); ++i) {
            out += (i > 0 ? ", " : "") + r.mirror_back[i];
        }
        out += "; conflict = " + r.conflict;
    }
    if (r.report_back != "off") out += "; playbook results reported back as " + r.report_back + "s";
    return out;
}

std::string mirroredText(const state::PassCounts& c) {
    const std::int64_t conflicts = c.conflicts_source_won + c.conflicts_target_won;
    std::string reported;
    if (c.results_reported > 0) {
        reported = std::to_string(c.results_reported) +
                   (c.results_reported == 1 ? " playbook result" : " playbook results") +
                   " reported";
    }
    if (c.fields_mirrored == 0 && c.notes_mirrored == 0 && conflicts == 0) {
        return reported.empty() ? "" : "the last pass: " + reported;
    }
    if (!reported.empty()) reported = "; " + reported;
    return "the last pass mirrored back " + std::to_string(c.fields_mirrored) + " field" +
           (c.fields_mirrored == 1 ? "" : "s") + " and " + std::to_string(c.notes_mirrored) +
           (c.notes_mirrored == 1 ? " note or comment" : " notes or comments") +
           "; conflicts: " + std::to_string(c.conflicts_source_won) + " won by the source, " +
           std::to_string(c.conflicts_target_won) + " by the target" + reported;
}

std::string deletionsText(const RouteView& r, const TargetView& t) {
    std::string out = "deleted on the source: " + r.on_source_delete + ", checked every " +
                      std::to_string(r.reconcile_interval_seconds) + "s";
    const auto& rec = t.stored.reconcile;
    if (!rec || !rec->finished_at) {
        out += "; no reconcile finished yet";
    } else {
        out += "; the last reconcile (" + *rec->finished_at + ") checked " +
               std::to_string(rec->last_checked) + (rec->last_checked == 1 ? " copy" : " copies") +
               " with " + std::to_string(rec->last_requests) +
               (rec->last_requests == 1 ? " request" : " requests") + " and found " +
               std::to_string(rec->last_found) + " deleted";
    }
    if (rec && rec->started_at) {
        out += "; a reconcile is under way (after source id " + std::to_string(rec->after_id) + ")";
    }
    if (!t.stored.tombstones.empty()) {
        out += "; so far";
        bool first = true;
        for (const auto& [action, n] : t.stored.tombstones) {
            out += (first ? " " : ", ") + std::to_string(n) + " " +
                   std::string(state::toString(action));
            first = false;
        }
    }
    return out;
}

std::string listsText(const RouteView& r, const TargetView& t) {
    if (r.lists.empty()) return "";
    std::string out = "custom lists on " + t.target + ": ";
    for (std::size_t i = 0; i < r.lists.size(); ++i) {
        out += (i > 0 ? ", " : "") + r.lists[i];
        const state::ListCopy* copy = nullptr;
        for (const auto& l : t.stored.lists) {
            if (l.name == r.lists[i]) copy = &l;
        }
        if (!copy) {
            out += " (not written yet)";
            continue;
        }
        out += " (" + std::to_string(copy->rows) + (copy->rows == 1 ? " row, " : " rows, ") +
               std::to_string(copy->bytes) + " bytes, sha256 " + copy->content_hash.substr(0, 8) +
               ", written " + copy->written_at + ")";
    }
    if (t.stored.last_pass) {
        const auto& c = t.stored.last_pass->counts;
        out += "; the last pass wrote " + std::to_string(c.lists_written);
        if (c.lists_failed > 0) out += ", " + std::to_string(c.lists_failed) + " failed";
    }
    return out;
}

std::string leaseText(const RouteView& r) {
    if (!r.lease) return "no owner yet";
    const auto& l = *r.lease;
    std::ostringstream out;
    out << std::fixed << std::setprecision(0);
    if (l.expires_in_seconds > 0) {
        out << "owner " << l.owner << " (epoch " << l.epoch << ")"
            << (l.mine ? " (this daemon)" : "") << ", lease expires in " << l.expires_in_seconds
            << "s";
    } else {
        out << "lease of " << l.owner << " (epoch " << l.epoch << ") lapsed "
            << -l.expires_in_seconds << "s ago: free to take";
    }
    if (!l.wanted_by.empty()) out << "; handover asked by " << l.wanted_by;
    return out.str();
}

std::string clusterText(const ClusterView& c) {
    std::ostringstream out;
    out << std::fixed << std::setprecision(0) << "node " << c.node << ": ";
    if (c.standby) {
        out << "standby, holds no route";
    } else {
        out << c.held << (c.held == 1 ? " route" : " routes") << " held of a share of " << c.share;
    }
    out << "; " << c.live_nodes << (c.live_nodes == 1 ? " daemon" : " daemons")
        << " alive; lease_ttl " << c.lease_ttl_seconds << "s";
    if (!c.store_problem.empty()) {
        out << "; cannot renew leases since " << c.store_problem_since << ": " << c.store_problem;
    }
    return out.str();
}

}  // namespace soar::app
