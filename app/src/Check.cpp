#include "soar/app/Check.h"

#include "soar/sync/Errors.h"
#include "soar/sync/PocoSoarApi.h"
#include "soar/sync/Secret.h"

#include <Poco/Base64Encoder.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/AcceptCertificateHandler.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/RejectCertificateHandler.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <algorithm>
#include <filesystem>
#include <iomanip>
#include <map>
#include <memory>
#include <set>
#include <sstream>

namespace soar::app {

namespace {

/// GET /rest/container_options: the label names. SoarApi offers only list envelopes, and
/// this answer is a plain object, so `check` asks for it itself (same TLS and auth rules).
std::set<std::string> fetchLabels(const sync::InstanceConfig& config,
                                  const sync::Credentials& credentials) {
    const Poco::URI uri(config.url);
    std::unique_ptr<Poco::Net::HTTPClientSession> session;
    if (uri.getScheme() == "https") {
        Poco::Net::Context::Params params;
        params.verificationMode = config.verify_tls ? Poco::Net::Context::VERIFY_RELAXED
                                                    : Poco::Net::Context::VERIFY_NONE;
        if (!config.ca_file.empty()) {
            params.caLocation = config.ca_file;
        } else if (std::filesystem::exists("/etc/ssl/certs/ca-certificates.crt")) {
            params.caLocation = "/etc/ssl/certs/ca-certificates.crt";
        } else {
            params.loadDefaultCAs = true;
        }
        Poco::Net::Context::Ptr context =
            new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
        if (config.verify_tls) {
            context->setInvalidCertificateHandler(new Poco::Net::RejectCertificateHandler(false));
        } else {
            context->setInvalidCertificateHandler(new Poco::Net::AcceptCertificateHandler(false));
        }
        session =
            std::make_unique<Poco::Net::HTTPSClientSession>(uri.getHost(), uri.getPort(), context);
    } else {
        session = std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
    }
    session->setTimeout(Poco::Timespan(
        std::chrono::duration_cast<std::chrono::microseconds>(config.timeout).count()));
    std::string path = uri.getPath();
    while (!path.empty() && path.back() == '/') path.pop_back();
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET,
                                   path + "/rest/container_options",
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    const auto& secret = credentials.secret.reveal();
    switch (config.auth) {
        case sync::AuthScheme::PhAuthToken:
            request.set("ph-auth-token", secret);
            break;
        case sync::AuthScheme::Bearer:
            request.set("Authorization", "Bearer " + secret);
            break;
        case sync::AuthScheme::Basic: {
            std::ostringstream encoded;
            Poco::Base64Encoder encoder(encoded);
            encoder.rdbuf()->setLineLength(0);
            encoder << credentials.user << ":" << secret;
            encoder.close();
            request.set("Authorization", "Basic " + encoded.str());
            break;
        }
    }
    session->sendRequest(request);
    Poco::Net::HTTPResponse response;
    auto& in = session->receiveResponse(response);
    std::string body;
    Poco::StreamCopier::copyToString(in, body);
    if (response.getStatus() != Poco::Net::HTTPResponse::HTTP_OK) {
        throw std::runtime_error("GET /rest/container_options answered " +
                                 std::to_string(static_cast<int>(response.getStatus())));
    }
    const auto object = Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>();
    std::set<std::string> labels;
    if (const auto list = object->getArray("label")) {
        for (std::size_t i = 0; i < list->size(); ++i)
            labels.insert(list->getElement<std::string>(static_cast<unsigned>(i)));
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
                    const auto present = fetchLabels(*config.instance(target), entry.credentials);
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
    std::size_t subject_width = 7;
    std::size_t check_width = 5;
    for (const auto& r : rows) {
        subject_width = std::max(subject_width, r.subject.size());
        check_width = std::max(check_width, r.check.size());
    }
    std::ostringstream out;
    out << std::left << std::setw(static_cast<int>(subject_width + 2)) << "SUBJECT"
        << std::setw(static_cast<int>(check_width + 2)) << "CHECK" << std::setw(8) << "RESULT"
        << "DETAIL\n";
    for (const auto& r : rows) {
        out << std::setw(static_cast<int>(subject_width + 2)) << r.subject
            << std::setw(static_cast<int>(check_width + 2)) << r.check << std::setw(8)
            << (r.ok ? "ok" : "FAIL") << r.detail << "\n";
    }
    return out.str();
}

}  // namespace soar::app
