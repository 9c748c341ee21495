// renderMetrics: the status snapshot in the Prometheus text exposition format (/metrics).

#include "StatusText.h"
#include "soar/app/StatusRender.h"

#include <iomanip>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace soar::app {

namespace {

std::string labelValue(const std::string& v) {
    std::string out;
    for (const char c : v) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '"') {
            out += "\\\"";
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

std::string number(double v) {
    std::ostringstream out;
    out << std::setprecision(15) << v;
    return out.str();
}

class Exposition {
public:
    void family(const std::string& name, const std::string& type, const std::string& help) {
        out_ << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n";
    }
    void sample(const std::string& name,
                const std::vector<std::pair<std::string, std::string>>& labels,
                const std::string& value) {
        out_ << name;
        if (!labels.empty()) {
            out_ << "{";
            for (std::size_t i = 0; i < labels.size(); ++i) {
                if (i > 0) out_ << ",";
                out_ << labels[i].first << "=\"" << labelValue(labels[i].second) << "\"";
            }
            out_ << "}";
        }
        out_ << " " << value << "\n";
    }
    [[nodiscard]] std::string text() const { return out_.str(); }

private:
    std::ostringstream out_;
};

using Labels = std::vector<std::pair<std::string, std::string>>;

template <class Fn>
void eachTarget(const StatusSnapshot& s, Fn&& fn) {
    for (const auto& r : s.routes) {
        for (const auto& t : r.targets) fn(r, t, Labels{{"route", r.name}, {"target", t.target}});
    }
}

Labels with(Labels labels, const std::string& key, const std::string& value) {
    labels.emplace_back(key, value);
    return labels;
}

/// One owner per route: who holds each route's lease, until when, and this daemon's side.
void leaseMetrics(Exposition& e, const StatusSnapshot& s) {
    e.family("soar_sync_route_lease_epoch", "gauge",
             "Fencing epoch of the route's lease, labelled with its owner node.");
    for (const auto& r : s.routes) {
        if (r.lease) {
            e.sample("soar_sync_route_lease_epoch", {{"route", r.name}, {"owner", r.lease->owner}},
                     std::to_string(r.lease->epoch));
        }
    }
    e.family("soar_sync_route_lease_expiry_seconds", "gauge",
             "Seconds until the route's lease lapses unless renewed (negative: lapsed).");
    for (const auto& r : s.routes) {
        if (r.lease) {
            e.sample("soar_sync_route_lease_expiry_seconds", {{"route", r.name}},
                     number(r.lease->expires_in_seconds));
        }
    }
    if (!s.cluster) return;
    e.family("soar_sync_route_owned", "gauge", "1 while this daemon holds the route's lease.");
    for (const auto& r : s.routes) {
        e.sample("soar_sync_route_owned", {{"route", r.name}},
                 r.lease && r.lease->mine ? "1" : "0");
    }
    e.family("soar_sync_state_store_up", "gauge",
             "1 while this daemon can renew its leases in the state store.");
    e.sample("soar_sync_state_store_up", {}, s.cluster->store_problem.empty() ? "1" : "0");
    e.family("soar_sync_cluster_nodes_alive", "gauge",
             "Daemons sharing the state store whose heartbeat has not lapsed.");
    e.sample("soar_sync_cluster_nodes_alive", {}, std::to_string(s.cluster->live_nodes));
}

}  // namespace

std::string renderMetrics(const StatusSnapshot& s) {
    Exposition e;
    e.family("soar_sync_build_info", "gauge", "Build of the running soar-sync.");
    e.sample("soar_sync_build_info", {{"version", s.version}}, "1");

    e.family("soar_sync_containers_replayed_total", "counter",
             "Containers written to a target since start, by operation.");
    eachTarget(s, [&](const auto&, const auto& t, const Labels& l) {
        e.sample("soar_sync_containers_replayed_total", with(l, "operation", "create"),
                 std::to_string(t.runtime.totals.containers_created));
        e.sample("soar_sync_containers_replayed_total", with(l, "operation", "update"),
                 std::to_string(t.runtime.totals.containers_updated));
    });
    e.family("soar_sync_artifacts_replayed_total", "counter",
             "Artifacts written to a target since start, by operation.");
    eachTarget(s, [&](const auto&, const auto& t, const Labels& l) {
        e.sample("soar_sync_artifacts_replayed_total", with(l, "operation", "create"),
                 std::to_string(t.runtime.totals.artifacts_created));
        e.sample("soar_sync_artifacts_replayed_total", with(l, "operation", "update"),
                 std::to_string(t.runtime.totals.artifacts_updated));
    });
    e.family("soar_sync_notes_replayed_total", "counter",
             "Notes and comments written to a target since start, by kind and operation.");
    eachTarget(s, [&](const auto&, const auto& t, const Labels& l) {
        const auto& totals = t.runtime.totals;
        e.sample("soar_sync_notes_replayed_total",
                 with(with(l, "kind", "note"), "operation", "create"),
                 std::to_string(totals.notes_created));
        e.sample("soar_sync_notes_replayed_total",
                 with(with(l, "kind", "note"), "operation", "update"),
                 std::to_string(totals.notes_updated));
        e.sample("soar_sync_notes_replayed_total",
                 with(with(l, "kind", "comment"), "operation", "create"),
                 std::to_string(totals.comments_created));
    });
    e.family("soar_sync_files_copied_total", "counter",
             "Vault files attached to target copies since start.");
    eachTarget(s, [&](const auto&, const auto& t, const Labels& l) {
        e.sample("soar_sync_files_copied_total", l, std::to_string(t.runtime.totals.files_copied));
    });
    e.family("soar_sync_file_bytes_total", "counter",
             "Bytes of the vault files attached to target copies since start.");
    eachTarget(s, [&](const auto&, const auto& t, const Labels& l) {
        e.sample("soar_sync_file_bytes_total", l, std::to_string(t.runtime.totals.file_bytes));
    });
    e.family("soar_sync_workbooks_copied_total", "counter",
             "Case workbooks made on target copies since start (by template or phase by phase).");
    eachTarget(s, [&](const auto&, const auto& t, const Labels& l) {
        e.sample("soar_sync_workbooks_copied_total", l,
                 std::to_string(t.runtime.totals.workbooks_copied));
    });
    e.family("soar_sync_tasks_written_total", "counter",
             "Workbook tasks created or brought up to date on target copies since start.");
    eachTarget(s, [&](const auto&, const auto& t, const Labels& l) {
        e.sample("soar_sync_tasks_written_total", l,
                 std::to_string(t.runtime.totals.tasks_written));
    });
    e.family("soar_sync_owners_unmatched_total", "counter",
             "Copies written without their owner since start: the target has no user with the "
             "source owner's username.");
    eachTarget(s, [&](const auto&, const auto& t, const Labels& l) {
        e.sample("soar_sync_owners_unmatched_total", l,
                 std::to_string(t.runtime.totals.owners_unmatched));
    });
    e.family("soar_sync_mirrored_back_total", "counter",
             "Two-way routes: container fields written back to the source from target copies, "
             "and notes and comments copied back, since start, by kind.");
    eachTarget(s, [&](const auto&, const auto& t, const Labels& l) {
        e.sample("soar_sync_mirrored_back_total", with(l, "kind", "fields"),
                 std::to_string(t.runtime.totals.fields_mirrored));
        e.sample("soar_sync_mirrored_back_total", with(l, "kind", "notes"),
                 std::to_string(t.runtime.totals.notes_mirrored));
    });
    e.family("soar_sync_conflicts_total", "counter",
             "Two-way routes: fields both sides changed since they were last settled, since "
             "start, by the side that won.");
    eachTarget(s, [&](const auto&, const auto& t, const Labels& l) {
        e.sample("soar_sync_conflicts_total", with(l, "winner", "source"),
                 std::to_string(t.runtime.totals.conflicts_source_won));
        e.sample("soar_sync_conflicts_total", with(l, "winner", "target"),
                 std::to_string(t.runtime.totals.conflicts_target_won));
    });
    e.family("soar_sync_results_reported_total", "counter",
             "Ended playbook runs reported to their source container (report_back) since start.");
    eachTarget(s, [&](const auto&, const auto& t, const Labels& l) {
        e.sample("soar_sync_results_reported_total", l,
                 std::to_string(t.runtime.totals.results_reported));
    });
    e.family("soar_sync_lists_written_total", "counter",
             "Custom lists written to the target (their content changed) since start.");
    eachTarget(s, [&](const auto&, const auto& t, const Labels& l) {
        e.sample("soar_sync_lists_written_total", l,
                 std::to_string(t.runtime.totals.lists_written));
    });
    e.family("soar_sync_lists_failed_total", "counter",
             "Custom lists that could not be written since start (missing on the source, too "
             "large, refused).");
    eachTarget(s, [&](const auto&, const auto& t, const Labels& l) {
        e.sample("soar_sync_lists_failed_total", l, std::to_string(t.runtime.totals.lists_failed));
    });
    e.family("soar_sync_list_rows", "gauge",
             "Rows of each custom list as last written to the target.");
    eachTarget(s, [&](const auto&, const auto& t, const Labels& l) {
        for (const auto& list : t.stored.lists) {
            e.sample("soar_sync_list_rows", with(l, "list", list.name), std::to_string(list.rows));
        }
    });
    e.family("soar_sync_deleted_on_source_total", "counter",
             "Mapped containers found deleted on the source, by what was done with the copy "
             "(kept, closed, deleted, gone: already gone from the target).");
    eachTarget(s, [&](const auto&, const auto& t, const Labels& l) {
        for (const auto action : state::kDeletionActions) {
            const auto it = t.stored.tombstones.find(action);
            e.sample("soar_sync_deleted_on_source_total",
                     with(l, "action", std::string(state::toString(action))),
                     std::to_string(it == t.stored.tombstones.end() ? 0 : it->second));
        }
    });
    e.family("soar_sync_reconcile_last_requests", "gauge",
             "Requests to the source the last finished reconcile made (one per page_size "
             "mapped containers).");
    eachTarget(s, [&](const auto&, const auto& t, const Labels& l) {
        const auto& rec = t.stored.reconcile;
        e.sample("soar_sync_reconcile_last_requests", l,
                 std::to_string(rec ? rec->last_requests : 0));
    });
    e.family("soar_sync_reconcile_last_checked", "gauge",
             "Mapped containers the last finished reconcile checked.");
    eachTarget(s, [&](const auto&, const auto& t, const Labels& l) {
        const auto& rec = t.stored.reconcile;
        e.sample("soar_sync_reconcile_last_checked", l,
                 std::to_string(rec ? rec->last_checked : 0));
    });
    e.family("soar_sync_passes_total", "counter", "Passes finished since start.");
    eachTarget(s, [&](const auto&, const auto& t, const Labels& l) {
        e.sample("soar_sync_passes_total", l, std::to_string(t.runtime.passes));
    });
    e.family("soar_sync_errors_total", "counter",
             "Passes that ended in error since start, by kind. record: the pass went on but "
             "some records were dead-lettered; transient: the pass stopped on a timeout, 429 "
             "or 5xx after retries and the next pass resumes; unreachable: an instance refused "
             "the connection or its name did not resolve; failing: credentials or TLS refused, "
             "the target is failing until fixed.");
    eachTarget(s, [&](const auto&, const auto& t, const Labels& l) {
        for (const char* kind : {"record", "transient", "unreachable", "failing"}) {
            const auto it = t.runtime.errors.find(kind);
            e.sample("soar_sync_errors_total", with(l, "kind", kind),
                     std::to_string(it == t.runtime.errors.end() ? 0 : it->second));
        }
    });
    e.family("soar_sync_http_requests_total", "counter",
             "HTTP requests to SOAR instances since start, by status code (0: no answer).");
    for (const auto& [instance, stats] : s.clients) {
        for (const auto& [code, n] : stats.by_status) {
            e.sample("soar_sync_http_requests_total",
                     {{"instance", instance}, {"code", std::to_string(code)}}, std::to_string(n));
        }
    }
    e.family("soar_sync_http_retries_total", "counter",
             "HTTP attempts that retried a transient failure, by instance.");
    for (const auto& [instance, stats] : s.clients) {
        e.sample("soar_sync_http_retries_total", {{"instance", instance}},
                 std::to_string(stats.retries));
    }
    e.family("soar_sync_client_errors_total", "counter",
             "Failed calls to SOAR instances since start, by instance and kind.");
    for (const auto& [instance, stats] : s.clients) {
        for (const auto& [kind, n] : stats.errors) {
            e.sample("soar_sync_client_errors_total", {{"instance", instance}, {"kind", kind}},
                     std::to_string(n));
        }
    }
    e.family("soar_sync_playbook_runs_total", "counter",
             "Playbook runs on targets that reached an outcome (from the state store).");
    eachTarget(s, [&](const auto&, const auto& t, const Labels& l) {
        for (const auto status : {state::RunStatus::Success, state::RunStatus::Failed,
                                  state::RunStatus::Cancelled, state::RunStatus::TimedOut}) {
            const auto it = t.stored.playbook_runs.find(status);
            e.sample("soar_sync_playbook_runs_total",
                     with(l, "outcome", std::string(state::toString(status))),
                     std::to_string(it == t.stored.playbook_runs.end() ? 0 : it->second));
        }
    });
    e.family("soar_sync_playbook_runs_pending", "gauge",
             "Playbook runs intended or running on targets.");
    eachTarget(s, [&](const auto&, const auto& t, const Labels& l) {
        std::int64_t pending = 0;
        for (const auto& [status, n] : t.stored.playbook_runs) {
            if (!state::isTerminal(status)) pending += n;
        }
        e.sample("soar_sync_playbook_runs_pending", l, std::to_string(pending));
    });
    e.family("soar_sync_lag_seconds", "gauge",
             "Seconds since the start of the last pass that finished its walk.");
    eachTarget(s, [&](const auto&, const auto& t, const Labels& l) {
        if (t.lag_seconds) e.sample("soar_sync_lag_seconds", l, number(*t.lag_seconds));
    });
    e.family("soar_sync_dead_letters", "gauge", "Records the target refused, awaiting retry-dead.");
    eachTarget(s, [&](const auto&, const auto& t, const Labels& l) {
        e.sample("soar_sync_dead_letters", l, std::to_string(t.stored.dead_letters));
    });
    e.family("soar_sync_target_failing", "gauge",
             "1 while the target is failing (credentials, TLS, or transient errors).");
    eachTarget(s, [&](const auto&, const auto& t, const Labels& l) {
        e.sample("soar_sync_target_failing", l, failing(t) ? "1" : "0");
    });
    e.family("soar_sync_pass_running", "gauge", "1 while a pass runs.");
    eachTarget(s, [&](const auto&, const auto& t, const Labels& l) {
        e.sample("soar_sync_pass_running", l, t.runtime.live ? "1" : "0");
    });
    e.family("soar_sync_pass_duration_seconds", "histogram", "Duration of passes since start.");
    eachTarget(s, [&](const auto&, const auto& t, const Labels& l) {
        const auto& rt = t.runtime;
        for (std::size_t i = 0; i < kPassDurationBuckets.size(); ++i) {
            e.sample("soar_sync_pass_duration_seconds_bucket",
                     with(l, "le", number(kPassDurationBuckets[i])),
                     std::to_string(i < rt.duration_buckets.size() ? rt.duration_buckets[i] : 0));
        }
        e.sample("soar_sync_pass_duration_seconds_bucket", with(l, "le", "+Inf"),
                 std::to_string(rt.duration_count));
        e.sample("soar_sync_pass_duration_seconds_sum", l, number(rt.duration_sum));
        e.sample("soar_sync_pass_duration_seconds_count", l, std::to_string(rt.duration_count));
    });
    leaseMetrics(e, s);
    return e.text();
}

}  // namespace soar::app
