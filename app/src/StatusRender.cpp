#include "soar/app/StatusRender.h"

#include "StatusText.h"
#include "TextTable.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <iomanip>
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
    for (const auto action : {state::DeletionAction::Kept, state::DeletionAction::Closed,
                              state::DeletionAction::Deleted, state::DeletionAction::Gone}) {
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
    return "soar-sync " + s.version + " status at " + s.now + "\n" + table.render();
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
        Array::Ptr targets = new Array;
        for (const auto& t : r.targets) targets->add(targetJson(t, s.live));
        route->set("targets", targets);
        routes->add(route);
    }
    root.set("routes", routes);
    std::ostringstream out;
    root.stringify(out, 2);
    out << "\n";
    return out.str();
}

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
        for (const auto action : {state::DeletionAction::Kept, state::DeletionAction::Closed,
                                  state::DeletionAction::Deleted, state::DeletionAction::Gone}) {
            const auto it = t.stored.tombstones.find(action);
            e.sample("soar_sync_deleted_on_source_total",
                     with(l, "action", str(state::toString(action))),
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
                     with(l, "outcome", str(state::toString(status))),
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
    return e.text();
}

Readiness readiness(const StatusSnapshot& s) {
    Readiness r;
    for (const auto& route : s.routes) {
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
