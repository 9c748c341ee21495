// Reading a `[route.NAME]` section of soar-sync's config into a RouteSpec (design.md §4).

#include "ConfigSection.h"
#include "soar/client/Timestamp.h"

#include <Poco/String.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace soar::app::ini {
namespace {

const std::vector<std::string> kRouteKeys = {"source",
                                             "targets",
                                             "poll_interval",
                                             "page_size",
                                             "lookback",
                                             "start_from",
                                             "filter.label",
                                             "filter.severity",
                                             "filter.status",
                                             "filter.tags",
                                             "filter.raw",
                                             "label_map",
                                             "add_tags",
                                             "artifacts",
                                             "notes",
                                             "playbook",
                                             "playbook_scope",
                                             "playbook_on",
                                             "playbook_timeout",
                                             "attachments",
                                             "attachment_max_size",
                                             "owner_map",
                                             "custom_fields",
                                             "workbooks",
                                             "mirror_back",
                                             "conflict",
                                             "report_back",
                                             "lists",
                                             "list_max_size",
                                             "on_source_delete",
                                             "reconcile_interval"};

std::map<std::string, std::string> parseLabelMap(const Section& s) {
    std::map<std::string, std::string> out;
    for (const auto& pair : splitList(s.str("label_map"))) {
        const auto colon = pair.find(':');
        const auto from = Poco::trim(pair.substr(0, colon));
        const auto to = colon == std::string::npos ? "" : Poco::trim(pair.substr(colon + 1));
        if (colon == std::string::npos || from.empty() || to.empty()) {
            s.fail("label_map",
                   "expected source:target pairs separated by commas, got '" + pair + "'");
        }
        if (!out.emplace(from, to).second) {
            s.fail("label_map", "source label '" + from + "' is mapped twice");
        }
    }
    return out;
}

}  // namespace

RouteSpec parseRoute(const AbstractConfiguration& ini, const std::string& name,
                     const std::vector<sync::InstanceConfig>& instances) {
    const Section s(ini, "route." + name, "[route." + name + "]", kRouteKeys);
    checkName(s, "route", name);
    const auto known = [&](const std::string& instance) {
        return std::any_of(instances.begin(), instances.end(),
                           [&](const auto& i) { return i.name == instance; });
    };
    RouteSpec spec;
    auto& r = spec.config;
    r.name = name;
    r.source = s.required("source", "the name of an [instance.NAME] section");
    if (!known(r.source)) {
        s.fail("source", "no section [instance." + r.source + "]; expected a defined instance");
    }
    r.targets = splitList(s.required("targets", "a comma list of [instance.NAME] names"));
    std::set<std::string> seen;
    for (const auto& target : r.targets) {
        if (!known(target)) {
            s.fail("targets", "no section [instance." + target + "]; expected defined instances");
        }
        if (target == r.source) {
            s.fail("targets", "'" + target + "' is the route's source; a route cannot target it");
        }
        if (!seen.insert(target).second) s.fail("targets", "'" + target + "' is listed twice");
    }
    r.poll_interval = s.duration("poll_interval", r.poll_interval);
    r.page_size = static_cast<std::size_t>(s.count("page_size", r.page_size, 1, 5000));
    r.lookback = s.duration("lookback", r.lookback, true);
    r.start_from = s.str("start_from", "beginning");
    if (r.start_from != "beginning" && r.start_from != "now") {
        const auto at = sync::Timestamp::parse(r.start_from);
        if (!at) {
            s.fail("start_from",
                   "expected beginning, now or an ISO 8601 timestamp, got '" + r.start_from + "'");
        }
        r.start_from = at->toString();
    }
    r.filters.labels = splitList(s.str("filter.label"));
    r.filters.severities = splitList(s.str("filter.severity"));
    r.filters.statuses = splitList(s.str("filter.status"));
    r.filters.tags = splitList(s.str("filter.tags"));
    if (const auto raw = s.str("filter.raw"); !raw.empty()) {
        try {
            sync::Query().raw(raw);
        } catch (const std::invalid_argument&) {
            s.fail("filter.raw",
                   "expected one Django filter like _filter_field=\"value\", got '" + raw + "'");
        }
        r.filters.raw.push_back(raw);
    }
    r.label_map = parseLabelMap(s);
    r.add_tags = splitList(s.str("add_tags"));
    r.artifacts = s.boolean("artifacts", true);
    r.notes = s.boolean("notes", false);
    r.attachments = s.boolean("attachments", false);
    r.attachment_max_size =
        s.size("attachment_max_size", r.attachment_max_size, 1ULL << 10U, 1ULL << 40U);
    if (s.has("attachment_max_size") && !r.attachments) {
        s.fail("attachment_max_size", "has no effect without attachments = true");
    }
    const auto owners = s.str("owner_map");
    if (owners == "by_name") {
        r.owners_by_name = true;
    } else if (!owners.empty() && owners != "off") {
        s.fail("owner_map", "expected by_name or off, got '" + owners + "'");
    }
    r.custom_fields = s.boolean("custom_fields", true);
    r.workbooks = s.boolean("workbooks", false);
    for (const auto& item : splitList(s.str("mirror_back"))) {
        auto& m = r.mirror_back;
        bool* flag = item == "status"        ? &m.status
                     : item == "severity"    ? &m.severity
                     : item == "sensitivity" ? &m.sensitivity
                     : item == "owner"       ? &m.owner
                     : item == "tags"        ? &m.tags
                     : item == "notes"       ? &m.notes
                     : item == "comments"    ? &m.comments
                     : item == "tasks"       ? &m.tasks
                                             : nullptr;
        if (!flag) {
            s.fail("mirror_back",
                   "expected a comma list of status, severity, sensitivity, owner, tags, notes, "
                   "comments, tasks; got '" +
                       item + "'");
        }
        *flag = true;
    }
    if (r.mirror_back.owner && !r.owners_by_name) {
        s.fail("mirror_back", "owner flows back by username: it needs owner_map = by_name");
    }
    if ((r.mirror_back.notes || r.mirror_back.comments) && !r.notes) {
        s.fail("mirror_back", "notes and comments flow back only on a route with notes = true");
    }
    if (r.mirror_back.tasks && !r.workbooks) {
        s.fail("mirror_back", "tasks flow back only on a route with workbooks = true");
    }
    const auto conflict = s.str("conflict", "newest");
    if (conflict == "newest") {
        r.conflict = sync::ConflictRule::Newest;
    } else if (conflict == "source") {
        r.conflict = sync::ConflictRule::Source;
    } else if (conflict == "target") {
        r.conflict = sync::ConflictRule::Target;
    } else {
        s.fail("conflict", "expected newest, source or target, got '" + conflict + "'");
    }
    if (s.has("conflict") && !r.mirror_back.fields()) {
        s.fail("conflict", "has no effect without container fields in mirror_back");
    }

    for (const auto& list : splitList(s.str("lists"))) {
        if (std::find(r.lists.begin(), r.lists.end(), list) != r.lists.end()) {
            s.fail("lists", "names '" + list + "' twice");
        }
        r.lists.push_back(list);
    }
    const auto on_delete = s.str("on_source_delete", "keep");
    if (on_delete == "keep") {
        r.on_source_delete = sync::OnSourceDelete::Keep;
    } else if (on_delete == "close") {
        r.on_source_delete = sync::OnSourceDelete::Close;
    } else if (on_delete == "delete") {
        r.on_source_delete = sync::OnSourceDelete::Delete;
        // SOAR refuses DELETE from an automation token: the copies are deleted as a user.
        for (const auto& target : r.targets) {
            const auto found =
                std::find_if(instances.begin(), instances.end(),
                             [&](const sync::InstanceConfig& i) { return i.name == target; });
            if (found != instances.end() && (found->user.empty() || found->password_env.empty())) {
                s.fail("on_source_delete",
                       "delete needs a user on instance '" + target +
                           "' (SOAR refuses DELETE with a token): set user and password_env in "
                           "[instance." +
                           target + "]");
            }
        }
    } else {
        s.fail("on_source_delete", "expected keep, close or delete, got '" + on_delete + "'");
    }
    r.reconcile_interval = s.duration("reconcile_interval", r.reconcile_interval);
    if (r.reconcile_interval < std::chrono::minutes(1)) {
        s.fail("reconcile_interval",
               "expected at least 1m (each reconcile asks the source for "
               "every mapped container)");
    }

    // SOAR keeps at most 256 MB per list and truncates larger ones without an error.
    r.list_max_size = s.size("list_max_size", r.list_max_size, 1ULL << 10U, 256ULL << 20U);
    if (s.has("list_max_size") && r.lists.empty()) {
        s.fail("list_max_size", "has no effect without lists");
    }

    const auto report = s.str("report_back", "off");
    if (report == "note") {
        r.report_back = sync::ReportBack::Note;
    } else if (report == "comment") {
        r.report_back = sync::ReportBack::Comment;
    } else if (report != "off") {
        s.fail("report_back", "expected note, comment or off, got '" + report + "'");
    }

    const auto playbook = s.str("playbook");
    if (playbook.empty()) {
        for (const char* key :
             {"playbook_scope", "playbook_on", "playbook_timeout", "report_back"}) {
            if (s.has(key)) s.fail(key, "has no effect without playbook = repo/name");
        }
        return spec;
    }
    sync::PlaybookConfig p;
    p.playbook = playbook;
    p.scope = s.str("playbook_scope", "new");
    if (p.scope != "new" && p.scope != "all") {
        s.fail("playbook_scope", "expected new or all, got '" + p.scope + "'");
    }
    const auto on = s.str("playbook_on", "create");
    if (on != "create" && on != "update" && on != "both") {
        s.fail("playbook_on", "expected create, update or both, got '" + on + "'");
    }
    p.on_create = on != "update";
    p.on_update = on != "create";
    p.timeout = s.duration("playbook_timeout", p.timeout);
    spec.playbook = p;
    return spec;
}

}  // namespace soar::app::ini
