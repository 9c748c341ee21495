#include "soar/app/Check.h"

#include "TextTable.h"
#include "soar/client/Errors.h"
#include "soar/client/Paging.h"
#include "soar/client/PocoSoarApi.h"
#include "soar/client/Query.h"
#include "soar/client/Secret.h"
#include "soar/sync/CustomLists.h"
#include "soar/sync/SoarAdapter.h"

#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <filesystem>
#include <iomanip>
#include <map>
#include <memory>
#include <set>
#include <sstream>

namespace soar::app {

namespace {

/// GET /rest/container_options: the label names that exist on an instance.
std::set<std::string> fetchLabels(sync::SoarApi& api) {
    const auto options = api.getObject("container_options");
    std::set<std::string> labels;
    if (const auto list = options->getArray("label")) {
        for (std::size_t i = 0; i < list->size(); ++i) {
            labels.insert(list->getElement<std::string>(static_cast<unsigned>(i)));
        }
    }
    return labels;
}

std::string joined(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
    return out;
}

}  // namespace

std::vector<std::string> labelsWritten(const RouteSpec& spec) {
    std::set<std::string> labels;
    for (const auto& [from, to] : spec.config.label_map) labels.insert(to);
    for (const auto& l : spec.config.filters.labels) {
        if (spec.config.label_map.count(l) == 0) labels.insert(l);
    }
    return {labels.begin(), labels.end()};
}

namespace {

constexpr const char* kCredentials = "credentials";
constexpr const char* kReachable = "reachable, token valid";
constexpr std::size_t kLabelSample = 200;

/// The labels of the route's newest source containers (up to kLabelSample of them).
std::set<std::string> sampleSourceLabels(sync::SoarApi& source, const RouteSpec& spec) {
    auto query = sync::routeFilterQuery(spec.config);
    query.sort("id", sync::SortOrder::Desc).pageSize(kLabelSample);
    const auto page = source.listPage("container", query, 0);
    std::set<std::string> labels;
    for (const auto& record : page.records) {
        if (record && record->has("label") && record->get("label").isString()) {
            labels.insert(record->getValue<std::string>("label"));
        }
    }
    return labels;
}

/// The names of the workbook templates the source's newest case phases were made from (up to
/// kLabelSample phases).
std::set<std::string> sampleSourceTemplates(sync::SoarApi& source) {
    sync::Query query;
    query.sort("id", sync::SortOrder::Desc).pageSize(kLabelSample);
    const auto page = source.listPage(sync::collection::kWorkbookPhase, query, 0);
    std::set<std::int64_t> ids;
    for (const auto& record : page.records) {
        if (record && record->has("template")) {
            if (const auto id = sync::parseId(record->get("template"))) ids.insert(*id);
        }
    }
    std::set<std::string> names;
    for (const auto id : ids) {
        const auto found = source.get(sync::collection::kWorkbookTemplate, id);
        if (found && (*found)->has("name")) names.insert((*found)->get("name").toString());
    }
    return names;
}

/// The names of every workbook template of an instance.
std::set<std::string> fetchTemplates(sync::SoarApi& api) {
    std::set<std::string> names;
    sync::Query query;
    query.sort("id").pageSize(kLabelSample);
    sync::forEachPage(api, sync::collection::kWorkbookTemplate, query, [&](const sync::Page& page) {
        for (const auto& record : page.records) {
            if (record && record->has("name")) names.insert(record->get("name").toString());
        }
        return true;
    });
    return names;
}

/// Two-way routes mirroring `status`: a status one side lacks travels by its type (and closing
/// either side closes the other, which may start `container_resolved` playbooks there).
CheckRow statusCheck(const std::string& subject, const sync::RouteConfig& route,
                     sync::SoarApi& source, sync::SoarApi& target, const std::string& target_name) {
    using R = CheckResult;
    try {
        const auto names = [](sync::SoarApi& api, std::size_t page_size) {
            std::map<std::string, std::string> out;
            for (const auto& s : sync::SoarMirrorSide(api, page_size).statuses()) {
                out[s.name] = s.type;
            }
            return out;
        };
        const auto on_source = names(source, route.page_size);
        const auto on_target = names(target, route.page_size);
        std::vector<std::string> by_type;
        for (const auto& [name, type] : on_source) {
            if (on_target.count(name) == 0) {
                by_type.push_back(name + " (" + type + ") on " + route.source);
            }
        }
        for (const auto& [name, type] : on_target) {
            if (on_source.count(name) == 0) {
                by_type.push_back(name + " (" + type + ") on " + target_name);
            }
        }
        const std::string closing =
            "closing a container on either side closes the other, "
            "which may start its container_resolved playbooks";
        if (by_type.empty()) {
            return {subject, "two-way statuses", R::Ok, "the same statuses on both; " + closing};
        }
        return {subject, "two-way statuses", R::Warn,
                "only one side has " + joined(by_type) +
                    ": they travel as a status of the same type (new, open, closed on the "
                    "other side), so a copy and its source may show different names; " +
                    closing};
    } catch (const std::exception& e) {
        return {subject, "two-way statuses", R::Fail, e.what()};
    }
}

/// The route's custom lists on its source: each must exist (a missing one is an error every
/// pass), fit `list_max_size` and have a row (SOAR keeps at least one).
CheckRow listsCheck(const std::string& subject, const sync::RouteConfig& route,
                    sync::SoarApi& source) {
    using R = CheckResult;
    try {
        sync::SoarSource reader(source, route);
        std::vector<std::string> found;
        std::vector<std::string> problems;
        for (const auto& name : route.lists) {
            const auto rows = reader.readList(name);
            if (const auto problem = sync::listProblem(
                    route, name, rows, rows ? sync::canonicalRows(**rows) : std::string())) {
                problems.push_back(*problem);
            } else {
                found.push_back(name + " (" + std::to_string((*rows)->size()) +
                                ((*rows)->size() == 1 ? " row)" : " rows)"));
            }
        }
        if (problems.empty()) return {subject, "custom lists", R::Ok, joined(found)};
        return {subject, "custom lists", R::Fail,
                joined(problems) + ": such lists are reported by every pass and never written"};
    } catch (const std::exception& e) {
        return {subject, "custom lists", R::Fail, e.what()};
    }
}

}  // namespace

const char* toString(CheckResult result) {
    switch (result) {
        case CheckResult::Ok:
            return "ok";
        case CheckResult::Warn:
            return "WARN";
        case CheckResult::Fail:
            return "FAIL";
        case CheckResult::Skip:
            return "SKIP";
    }
    return "FAIL";
}

int checkExitCode(const std::vector<CheckRow>& rows) {
    bool config = false;
    bool unreachable = false;
    bool failed = false;
    for (const auto& row : rows) {
        if (row.result != CheckResult::Fail) continue;
        failed = true;
        if (row.check == kCredentials || row.exit_code == 78) config = true;
        if (row.check == kReachable || row.exit_code == 69) unreachable = true;
    }
    if (config) return 78;
    if (unreachable) return 69;
    return failed ? 1 : 0;
}

std::vector<CheckRow> runChecks(const AppConfig& config) {
    using R = CheckResult;
    std::vector<CheckRow> rows;
    rows.push_back({"config", "parse", R::Ok, config.path});
    for (auto& row : stateChecks(config)) rows.push_back(std::move(row));
    struct Instance {
        std::unique_ptr<sync::PocoSoarApi> api;
        sync::Credentials credentials;
        bool reachable = false;
        /// Why checks against this instance were not run; empty when it answered.
        std::string skip_reason;
    };
    std::map<std::string, Instance> instances;
    for (const auto& instance : config.instances) {
        const std::string subject = "instance " + instance.name;
        Instance entry;
        try {
            entry.credentials = sync::loadCredentials(instance);
            entry.api = sync::PocoSoarApi::create(instance, entry.credentials);
        } catch (const std::exception& e) {
            rows.push_back({subject, kCredentials, R::Fail, e.what()});
            rows.push_back({subject, kReachable, R::Skip, "no credentials (see above)"});
            entry.skip_reason = "instance " + instance.name + " has no credentials";
            instances[instance.name] = std::move(entry);
            continue;
        }
        try {
            const auto version = entry.api->version();
            rows.push_back({subject, kReachable, R::Ok, "SOAR " + version});
            entry.reachable = true;
        } catch (const std::exception& e) {
            rows.push_back({subject, kReachable, R::Fail, e.what()});
            entry.skip_reason = "instance " + instance.name + " did not answer";
        }
        instances[instance.name] = std::move(entry);
    }
    for (const auto& spec : config.routes) {
        const auto labels = labelsWritten(spec);
        auto& source = instances[spec.config.source];
        // The labels the route will write, as sampled from the source's recent containers.
        std::set<std::string> sampled;
        std::string sample_problem;
        if (!source.reachable) {
            sample_problem = source.skip_reason;
        } else {
            try {
                for (const auto& l : sampleSourceLabels(*source.api, spec)) {
                    const auto mapped = spec.config.label_map.find(l);
                    sampled.insert(mapped == spec.config.label_map.end() ? l : mapped->second);
                }
            } catch (const std::exception& e) {
                sample_problem = std::string("sampling the source failed: ") + e.what();
            }
        }
        // The workbook templates the route's cases use on the source.
        std::set<std::string> templates;
        std::string template_problem;
        if (spec.config.workbooks) {
            if (!source.reachable) {
                template_problem = source.skip_reason;
            } else {
                try {
                    templates = sampleSourceTemplates(*source.api);
                } catch (const std::exception& e) {
                    template_problem =
                        std::string("reading the source's workbooks failed: ") + e.what();
                }
            }
        }
        if (!spec.config.lists.empty() && source.reachable) {
            rows.push_back(listsCheck("route " + spec.config.name, spec.config, *source.api));
        }
        for (const auto& target : spec.config.targets) {
            const std::string subject = "route " + spec.config.name + " -> " + target;
            auto& entry = instances[target];
            if (spec.config.attachments) {
                constexpr std::uint64_t kSafeFileSize = 24ULL << 20U;
                const auto limit = spec.config.attachment_max_size;
                if (limit > kSafeFileSize) {
                    rows.push_back(
                        {subject, "file size limit", R::Warn,
                         "attachment_max_size is " + std::to_string(limit) +
                             " bytes, above 24 MiB: a default SOAR web server is reported to "
                             "refuse request bodies over about 32 MB and base64 adds a third, "
                             "so " +
                             target +
                             " may refuse larger files (they are dead-lettered with its "
                             "answer); lower it, or raise the server's body limit"});
                } else {
                    rows.push_back({subject, "file size limit", R::Ok,
                                    "files up to " + std::to_string(limit) + " bytes"});
                }
            }
            if (!entry.reachable) {
                rows.push_back(
                    {subject, "labels and playbook", R::Skip, "not checked: " + entry.skip_reason});
                continue;
            }
            std::set<std::string> present;
            bool have_labels = false;
            if (!labels.empty() || !sampled.empty()) {
                try {
                    present = fetchLabels(*entry.api);
                    have_labels = true;
                } catch (const std::exception& e) {
                    rows.push_back({subject, "labels exist", R::Fail, e.what()});
                }
            }
            if (have_labels && !labels.empty()) {
                std::vector<std::string> missing;
                for (const auto& l : labels) {
                    if (present.count(l) == 0) missing.push_back(l);
                }
                if (missing.empty()) {
                    rows.push_back({subject, "labels exist", R::Ok, joined(labels)});
                } else {
                    rows.push_back({subject, "labels exist", R::Fail,
                                    "missing on " + target + ": " + joined(missing) +
                                        " (add them, or fix label_map / filter.label)"});
                }
            }
            if (!sample_problem.empty()) {
                rows.push_back({subject, "labels of recent containers", R::Skip,
                                "not checked: " + sample_problem});
            } else if (have_labels) {
                std::vector<std::string> missing;
                for (const auto& l : sampled) {
                    if (present.count(l) == 0) missing.push_back(l);
                }
                if (sampled.empty()) {
                    rows.push_back({subject, "labels of recent containers", R::Ok,
                                    "the source has no matching containers yet"});
                } else if (missing.empty()) {
                    rows.push_back({subject, "labels of recent containers", R::Ok,
                                    joined({sampled.begin(), sampled.end()})});
                } else {
                    rows.push_back({subject, "labels of recent containers", R::Warn,
                                    "recent source containers would be written with " +
                                        joined(missing) + ", which " + target +
                                        " lacks: they will be dead-lettered (add the labels, "
                                        "or map them with label_map)"});
                }
            }
            if (spec.config.workbooks && !template_problem.empty()) {
                rows.push_back(
                    {subject, "workbook templates", R::Skip, "not checked: " + template_problem});
            } else if (spec.config.workbooks) {
                try {
                    const auto on_target = fetchTemplates(*entry.api);
                    std::vector<std::string> missing;
                    for (const auto& name : templates) {
                        if (on_target.count(name) == 0) missing.push_back(name);
                    }
                    if (templates.empty()) {
                        rows.push_back({subject, "workbook templates", R::Ok,
                                        "the source's cases use no template yet"});
                    } else if (missing.empty()) {
                        rows.push_back({subject, "workbook templates", R::Ok,
                                        joined({templates.begin(), templates.end()})});
                    } else {
                        rows.push_back({subject, "workbook templates", R::Warn,
                                        "cases on the source use " + joined(missing) + ", which " +
                                            target +
                                            " lacks: their copies get the phases and tasks one "
                                            "by one instead of the template (add the templates "
                                            "to keep them alike)"});
                    }
                } catch (const std::exception& e) {
                    rows.push_back({subject, "workbook templates", R::Fail, e.what()});
                }
            }
            if (spec.config.on_source_delete == sync::OnSourceDelete::Close) {
                rows.push_back({subject, "deletions", R::Ok,
                                "a copy whose source container is deleted is closed on " + target +
                                    " with a comment; closing may start its "
                                    "container_resolved playbooks"});
            } else if (spec.config.on_source_delete == sync::OnSourceDelete::Delete) {
                const auto* instance = config.instance(target);
                rows.push_back({subject, "deletions", R::Ok,
                                "a copy whose source container is deleted is deleted on " + target +
                                    " as user " + (instance ? instance->user : "?")});
            }
            if (spec.config.mirror_back.status && source.reachable) {
                rows.push_back(statusCheck(subject, spec.config, *source.api, *entry.api, target));
            }
            if (spec.playbook) {
                try {
                    const auto found = entry.api->findPlaybook(spec.playbook->playbook);
                    if (!found) {
                        rows.push_back(
                            {subject, "playbook exists", R::Fail,
                             "no playbook '" + spec.playbook->playbook + "' on " + target});
                    } else if (!found->active) {
                        rows.push_back({subject, "playbook exists", R::Fail,
                                        "playbook '" + spec.playbook->playbook + "' is inactive"});
                    } else {
                        rows.push_back(
                            {subject, "playbook exists", R::Ok,
                             spec.playbook->playbook + " (id " + std::to_string(found->id) + ")"});
                    }
                } catch (const std::exception& e) {
                    rows.push_back({subject, "playbook exists", R::Fail, e.what()});
                }
            }
        }
    }
    return rows;
}

std::string renderChecks(const std::vector<CheckRow>& rows) {
    TextTable table({"SUBJECT", "CHECK", "RESULT", "DETAIL"});
    for (const auto& r : rows) table.add({r.subject, r.check, toString(r.result), r.detail});
    return table.render();
}

}  // namespace soar::app
