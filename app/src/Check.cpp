#include "soar/app/Check.h"

#include "TextTable.h"

#include "soar/sync/Errors.h"
#include "soar/sync/PocoSoarApi.h"
#include "soar/sync/Secret.h"

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

std::vector<CheckRow> runChecks(const AppConfig& config) {
    std::vector<CheckRow> rows;
    rows.push_back({"config", "parse", true, config.path});
    struct Instance {
        std::unique_ptr<sync::PocoSoarApi> api;
        sync::Credentials credentials;
        bool reachable = false;
    };
    std::map<std::string, Instance> instances;
    for (const auto& instance : config.instances) {
        const std::string subject = "instance " + instance.name;
        Instance entry;
        try {
            entry.credentials = sync::loadCredentials(instance);
            entry.api = sync::PocoSoarApi::create(instance, entry.credentials);
        } catch (const std::exception& e) {
            rows.push_back({subject, "credentials", false, e.what()});
            instances[instance.name] = std::move(entry);
            continue;
        }
        try {
            const auto version = entry.api->version();
            rows.push_back({subject, "reachable, token valid", true, "SOAR " + version});
            entry.reachable = true;
        } catch (const sync::AuthError& e) {
            rows.push_back({subject, "reachable, token valid", false, e.what()});
        } catch (const std::exception& e) {
            rows.push_back({subject, "reachable, token valid", false, e.what()});
        }
        instances[instance.name] = std::move(entry);
    }
    for (const auto& spec : config.routes) {
        const auto labels = labelsWritten(spec);
        for (const auto& target : spec.config.targets) {
            const std::string subject = "route " + spec.config.name + " -> " + target;
            auto& entry = instances[target];
            if (!entry.reachable) {
                rows.push_back({subject, "labels and playbook", false,
                                "not checked: instance " + target + " unreachable"});
                continue;
            }
            if (!labels.empty()) {
                try {
                    const auto present = fetchLabels(*entry.api);
                    std::vector<std::string> missing;
                    for (const auto& l : labels) {
                        if (present.count(l) == 0) missing.push_back(l);
                    }
                    if (missing.empty()) {
                        rows.push_back({subject, "labels exist", true, joined(labels)});
                    } else {
                        rows.push_back({subject, "labels exist", false,
                                        "missing on " + target + ": " + joined(missing) +
                                            " (add them, or fix label_map / filter.label)"});
                    }
                } catch (const std::exception& e) {
                    rows.push_back({subject, "labels exist", false, e.what()});
                }
            }
            if (spec.playbook) {
                try {
                    const auto found = entry.api->findPlaybook(spec.playbook->playbook);
                    if (!found) {
                        rows.push_back(
                            {subject, "playbook exists", false,
                             "no playbook '" + spec.playbook->playbook + "' on " + target});
                    } else if (!found->active) {
                        rows.push_back({subject, "playbook exists", false,
                                        "playbook '" + spec.playbook->playbook + "' is inactive"});
                    } else {
                        rows.push_back(
                            {subject, "playbook exists", true,
                             spec.playbook->playbook + " (id " + std::to_string(found->id) + ")"});
                    }
                } catch (const std::exception& e) {
                    rows.push_back({subject, "playbook exists", false, e.what()});
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
