#include "soar/app/StatusRender.h"

#include "StatusText.h"
#include "TextTable.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <limits>
#include <sstream>

namespace soar::app {

namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

const std::vector<state::RunStatus> kRunStatuses = {
    state::RunStatus::Intent, state::RunStatus::Running,   state::RunStatus::Success,
    state::RunStatus::Failed, state::RunStatus::Cancelled, state::RunStatus::TimedOut};

std::string str(std::string_view v) { return std::string(v); }

std::string cursorText(const TargetView& t, state::Stream stream) {
    for (const auto& c : t.stored.cursors) {
        if (c.stream == stream) return c.timestamp;
    }
    return "-";
}

Object::Ptr countsJson(const state::PassCounts& c) {
    Object::Ptr out = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    Object::Ptr containers = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    containers->set("created", c.containers_created);
    containers->set("updated", c.containers_updated);
    containers->set("unchanged", c.containers_unchanged);
    Object::Ptr artifacts = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    artifacts->set("created", c.artifacts_created);
    artifacts->set("updated", c.artifacts_updated);
    artifacts->set("unchanged", c.artifacts_unchanged);
    Object::Ptr notes = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    notes->set("created", c.notes_created);
    notes->set("updated", c.notes_updated);
    Object::Ptr comments = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    comments->set("created", c.comments_created);
    Object::Ptr files = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    files->set("copied", c.files_copied);
    files->set("bytes", c.file_bytes);
    out->set("containers", containers);
    out->set("artifacts", artifacts);
    out->set("notes", notes);
    out->set("comments", comments);
    out->set("files", files);
    Object::Ptr workbooks = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    workbooks->set("copied", c.workbooks_copied);
    Object::Ptr tasks = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    tasks->set("written", c.tasks_written);
    Object::Ptr owners = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    owners->set("unmatched", c.owners_unmatched);
    out->set("workbooks", workbooks);
    out->set("tasks", tasks);
    out->set("owners", owners);
    Object::Ptr mirrored = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    mirrored->set("fields", c.fields_mirrored);
    mirrored->set("notes", c.notes_mirrored);
    Object::Ptr conflicts = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    conflicts->set("source_won", c.conflicts_source_won);
    conflicts->set("target_won", c.conflicts_target_won);
    out->set("mirrored_back", mirrored);
    out->set("conflicts", conflicts);
    out->set("results_reported", c.results_reported);
    Object::Ptr lists = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    lists->set("written", c.lists_written);
    lists->set("failed", c.lists_failed);
    out->set("lists", lists);
    Object::Ptr deletions = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    deletions->set("found", c.deletions_found);
    deletions->set("closed", c.copies_closed);
    deletions->set("deleted", c.copies_deleted);
    out->set("deletions", deletions);
    out->set("errors", c.errors);
    return out;
}

template <class T>
Poco::Dynamic::Var optional(const std::optional<T>& v) {
    return v ? Poco::Dynamic::Var(*v) : Poco::Dynamic::Var();
}

Object::Ptr targetJson(const TargetView& t, bool live) {
    Object::Ptr out = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    out->set("target", t.target);
    Object::Ptr cursors = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    for (const auto& c : t.stored.cursors) {
        Object::Ptr cursor = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
        cursor->set("timestamp", c.timestamp);
        // Past a whole timestamp group the stored id is a sentinel, not an id: show null.
        cursor->set("last_id", c.last_id == std::numeric_limits<std::int64_t>::max()
                                   ? Poco::Dynamic::Var()
                                   : Poco::Dynamic::Var(c.last_id));
        cursors->set(str(state::toString(c.stream)), cursor);
    }
    out->set("cursors", cursors);
    out->set("lag_seconds", optional(t.lag_seconds));
    if (t.stored.last_pass) {
        const auto& p = *t.stored.last_pass;
        Object::Ptr pass = countsJson(p.counts);
        pass->set("started_at", p.started_at);
        pass->set("finished_at", p.finished_at);
        pass->set("outcome", p.outcome);
        out->set("last_pass", pass);
    } else {
        out->set("last_pass", Poco::Dynamic::Var());
    }
    out->set("failing", failing(t));
    out->set("failing_since", optional(t.stored.health.failing_since));
    out->set("last_error", optional(t.stored.health.last_error));
    out->set("last_error_at", optional(t.stored.health.last_error_at));
    out->set("dead_letters", t.stored.dead_letters);
    Object::Ptr mappings = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    mappings->set("containers", t.stored.mappings.containers);
    mappings->set("artifacts", t.stored.mappings.artifacts);
    mappings->set("notes", t.stored.mappings.notes);
    mappings->set("files", t.stored.mappings.files);
    mappings->set("tasks", t.stored.mappings.tasks);
    out->set("mappings", mappings);
    Object::Ptr runs = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    for (const auto status : kRunStatuses) {
        const auto it = t.stored.playbook_runs.find(status);
        runs->set(str(state::toString(status)),
                  it == t.stored.playbook_runs.end() ? std::int64_t{0} : it->second);
    }
    out->set("playbook_runs", runs);
    Array::Ptr lists = new Array;
    for (const auto& l : t.stored.lists) {
        Object::Ptr list = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
        list->set("name", l.name);
        list->set("content_hash", l.content_hash);
        list->set("rows", l.rows);
        list->set("bytes", l.bytes);
        list->set("written_at", l.written_at);
        lists->add(list);
    }
    out->set("lists", lists);
    Object::Ptr reconcile = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    const auto& rec = t.stored.reconcile;
    reconcile->set("in_progress", rec && rec->started_at.has_value());
    reconcile->set("after_id", rec && rec->started_at ? Poco::Dynamic::Var(rec->after_id)
                                                      : Poco::Dynamic::Var());
    reconcile->set("last_finished_at", rec ? optional(rec->finished_at) : Poco::Dynamic::Var());
    reconcile->set("last_checked", rec ? rec->last_checked : 0);
    reconcile->set("last_requests", rec ? rec->last_requests : 0);
    reconcile->set("last_found", rec ? rec->last_found : 0);
    out->set("reconcile", reconcile);
    Object::Ptr tombstones = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    for (const auto action : state::kDeletionActions) {
        const auto it = t.stored.tombstones.find(action);
        tombstones->set(str(state::toString(action)),
                        it == t.stored.tombstones.end() ? std::int64_t{0} : it->second);
    }
    out->set("deleted_on_source", tombstones);
    if (live) {
        if (t.runtime.live) {
            const auto& l = *t.runtime.live;
            Object::Ptr running = countsJson(l.counts);
            running->set("started_at", l.started_at);
            running->set("activity", l.activity);
            running->set("seen", l.seen);
            out->set("running", running);
        } else {
            out->set("running", Poco::Dynamic::Var());
        }
        Object::Ptr since_start = countsJson(t.runtime.totals);
        since_start->set("passes", t.runtime.passes);
        out->set("since_start", since_start);
    }
    return out;
}

Object::Ptr leaseJson(const LeaseView& l) {
    Object::Ptr lease = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    lease->set("owner", l.owner);
    lease->set("holder", l.holder);
    lease->set("epoch", l.epoch);
    lease->set("expires_at", l.expires_at);
    lease->set("expires_in_seconds", l.expires_in_seconds);
    lease->set("mine", l.mine);
    lease->set("wanted_by",
               l.wanted_by.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(l.wanted_by));
    return lease;
}

Object::Ptr clusterJson(const ClusterView& c) {
    Object::Ptr cluster = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    cluster->set("node", c.node);
    cluster->set("holder", c.holder);
    cluster->set("lease_ttl_seconds", c.lease_ttl_seconds);
    cluster->set("share", c.share);
    cluster->set("held", c.held);
    cluster->set("standby", c.standby);
    cluster->set("live_nodes", c.live_nodes);
    cluster->set("store_problem", c.store_problem.empty() ? Poco::Dynamic::Var()
                                                          : Poco::Dynamic::Var(c.store_problem));
    cluster->set("store_problem_since", c.store_problem_since.empty()
                                            ? Poco::Dynamic::Var()
                                            : Poco::Dynamic::Var(c.store_problem_since));
    return cluster;
}

}  // namespace

std::string htmlEscape(const std::string& text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&#39;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

std::string renderTable(const StatusSnapshot& s) {
    TextTable table({"ROUTE", "DIRECTION", "TARGET", "STATE", "CURSOR (create_time)", "LAG",
                     "CONTAINERS", "DEAD", "LAST PASS", "PLAYBOOK RUNS"});
    for (const auto& r : s.routes) {
        bool first = true;
        for (const auto& t : r.targets) {
            std::string state = failing(t) ? "failing" : (t.stored.last_pass ? "ok" : "new");
            std::string last = "-";
            if (t.stored.last_pass) {
                last = t.stored.last_pass->outcome + " " +
                       t.stored.last_pass->finished_at.substr(0, 19);
            }
            table.add({r.name, directionWord(r), t.target, state,
                       cursorText(t, state::Stream::ContainersCreated), lagText(t),
                       std::to_string(t.stored.mappings.containers),
                       std::to_string(t.stored.dead_letters), last, runsText(t)});
            if (first) table.note(leaseText(r));
            first = false;
            if (t.stored.health.last_error) {
                table.note("last error (" + t.stored.health.last_error_at.value_or("") +
                           "): " + *t.stored.health.last_error);
            }
            if (t.stored.dead_letters > 0) {
                table.note(std::to_string(t.stored.dead_letters) +
                           " dead letter(s): soar-sync dead-letters --route " + r.name);
            }
            if (r.files) {
                std::string files = "files: " + std::to_string(t.stored.mappings.files) + " on " +
                                    t.target + ", up to " + std::to_string(r.file_max_size) +
                                    " bytes each";
                if (t.stored.last_pass && t.stored.last_pass->counts.files_copied > 0) {
                    const auto& c = t.stored.last_pass->counts;
                    files += "; the last pass copied " + std::to_string(c.files_copied) + " (" +
                             std::to_string(c.file_bytes) + " bytes)";
                }
                table.note(files);
            }
            if (t.stored.last_pass && t.stored.last_pass->counts.owners_unmatched > 0) {
                table.note(std::to_string(t.stored.last_pass->counts.owners_unmatched) +
                           " copies of the last pass left unassigned: " + t.target +
                           " lacks their owners' usernames (the log names them)");
            }
            if (!r.lists.empty()) table.note(listsText(r, t));
            if (r.on_source_delete != "keep" || !t.stored.tombstones.empty()) {
                table.note(deletionsText(r, t));
            }
            if (!r.mirror_back.empty() || r.report_back != "off") {
                std::string back = directionText(r);
                if (t.stored.last_pass) {
                    const auto mirrored = mirroredText(t.stored.last_pass->counts);
                    if (!mirrored.empty()) back += "; " + mirrored;
                }
                table.note(back);
            }
        }
    }
    std::string head = "soar-sync " + s.version + " status at " + s.now + "\n";
    if (s.cluster) head += clusterText(*s.cluster) + "\n";
    return head + table.render();
}

std::string renderDeadLettersJson(const StatusSnapshot& s) {
    Object root(Poco::JSON_PRESERVE_KEY_ORDER);
    std::int64_t total = 0;
    Array::Ptr list = new Array;
    for (const auto& r : s.routes) {
        for (const auto& t : r.targets) {
            total += t.stored.dead_letters;
            for (const auto& d : t.dead_letters) {
                Object::Ptr item = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
                item->set("route", r.name);
                item->set("target", t.target);
                item->set("kind", str(state::toString(d.kind)));
                item->set("source_id", d.source_id);
                item->set("attempts", d.attempts);
                item->set("first_seen", d.first_seen);
                item->set("last_seen", d.last_seen);
                item->set("message", d.message);
                list->add(item);
            }
        }
    }
    root.set("total", total);
    root.set("dead_letters", list);
    std::ostringstream out;
    root.stringify(out, 2);
    out << "\n";
    return out.str();
}

std::string renderDeadLettersTable(const StatusSnapshot& s) {
    TextTable table(
        {"ROUTE", "TARGET", "KIND", "SOURCE ID", "ATTEMPTS", "FIRST SEEN", "LAST SEEN", "MESSAGE"});
    for (const auto& r : s.routes) {
        for (const auto& t : r.targets) {
            for (const auto& d : t.dead_letters) {
                table.add({r.name, t.target, str(state::toString(d.kind)),
                           std::to_string(d.source_id), std::to_string(d.attempts),
                           d.first_seen.substr(0, 19), d.last_seen.substr(0, 19), d.message});
            }
        }
    }
    if (table.empty()) return "no dead letters\n";
    return table.render();
}

std::string renderJson(const StatusSnapshot& s) {
    Object root(Poco::JSON_PRESERVE_KEY_ORDER);
    root.set("version", s.version);
    root.set("started_at",
             s.started_at.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(s.started_at));
    root.set("now", s.now);
    Array::Ptr routes = new Array;
    for (const auto& r : s.routes) {
        Object::Ptr route = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
        route->set("name", r.name);
        route->set("source", r.source);
        Object::Ptr files = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
        files->set("enabled", r.files);
        files->set("max_size",
                   r.files ? Poco::Dynamic::Var(r.file_max_size) : Poco::Dynamic::Var());
        route->set("files", files);
        route->set("workbooks", r.workbooks);
        route->set("owner_map", r.owners_by_name ? "by_name" : "off");
        route->set("custom_fields", r.custom_fields);
        route->set("direction", directionWord(r));
        Array::Ptr mirror_back = new Array;
        for (const auto& item : r.mirror_back) mirror_back->add(item);
        route->set("mirror_back", mirror_back);
        route->set("conflict",
                   r.mirror_back.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(r.conflict));
        route->set("report_back", r.report_back);
        Array::Ptr lists = new Array;
        for (const auto& name : r.lists) lists->add(name);
        route->set("lists", lists);
        route->set("on_source_delete", r.on_source_delete);
        route->set("reconcile_interval_seconds", r.reconcile_interval_seconds);
        route->set("lease",
                   r.lease ? Poco::Dynamic::Var(leaseJson(*r.lease)) : Poco::Dynamic::Var());
        Array::Ptr targets = new Array;
        for (const auto& t : r.targets) targets->add(targetJson(t, s.live));
        route->set("targets", targets);
        routes->add(route);
    }
    root.set("routes", routes);
    root.set("cluster",
             s.cluster ? Poco::Dynamic::Var(clusterJson(*s.cluster)) : Poco::Dynamic::Var());
    std::ostringstream out;
    root.stringify(out, 2);
    out << "\n";
    return out.str();
}

Readiness readiness(const StatusSnapshot& s) {
    Readiness r;
    if (s.cluster && !s.cluster->store_problem.empty()) {
        r.reasons.push_back("state store: cannot renew route leases since " +
                            s.cluster->store_problem_since + ": " + s.cluster->store_problem +
                            "; not replaying until it answers");
    }
    for (const auto& route : s.routes) {
        // Another live daemon's route is its business, not this one's readiness.
        if (s.cluster && route.lease && !route.lease->mine && route.lease->expires_in_seconds > 0) {
            continue;
        }
        for (const auto& t : route.targets) {
            const std::string where = route.name + " -> " + t.target + ": ";
            if (failing(t)) {
                r.reasons.push_back(
                    where + "failing: " + t.stored.health.last_error.value_or("unknown error"));
            } else if (t.last_good_pass.empty()) {
                // An interrupted pass (timeout, 5xx, unreachable) did not finish its walk.
                r.reasons.push_back(where + "no pass finished yet" +
                                    (t.stored.health.last_error
                                         ? " (last error: " + *t.stored.health.last_error + ")"
                                         : std::string()));
            }
        }
    }
    r.ready = r.reasons.empty();
    return r;
}

std::string renderReadiness(const Readiness& readiness) {
    Object root(Poco::JSON_PRESERVE_KEY_ORDER);
    root.set("ready", readiness.ready);
    Array::Ptr reasons = new Array;
    for (const auto& reason : readiness.reasons) reasons->add(reason);
    root.set("reasons", reasons);
    std::ostringstream out;
    root.stringify(out);
    out << "\n";
    return out.str();
}

int statusExitCode(const StatusSnapshot& s) {
    bool no_pass = s.routes.empty();
    for (const auto& route : s.routes) {
        for (const auto& t : route.targets) {
            if (failing(t) || t.stored.dead_letters > 0) return 1;
            if (t.last_good_pass.empty()) no_pass = true;
        }
    }
    return no_pass ? 3 : 0;
}

}  // namespace soar::app
