#pragma once

/// ListOnlyApi: a SoarApi that answers `version()` and, through the test's own `listPage`,
/// list reads; every other call is a test failure (a std::logic_error naming the call). The
/// base of the fakes that stand in for a SOAR instance's list answers (paging tests, the
/// source adapter's tests).

#include "soar/client/SoarApi.h"

#include <stdexcept>
#include <string>

namespace soar::test {

class ListOnlyApi : public sync::SoarApi {
public:
    std::string version() override { return "6.4.1.361"; }

    sync::Record getObject(const std::string&) override { unused("getObject"); }
    std::optional<sync::Record> find(const std::string&) override { unused("find"); }
    std::optional<sync::Record> get(const std::string&, std::int64_t) override { unused("get"); }
    sync::ContainerCreated createContainer(const Poco::JSON::Object&) override {
        unused("createContainer");
    }
    void updateContainer(std::int64_t, const Poco::JSON::Object&) override {
        unused("updateContainer");
    }
    sync::CreateResult createArtifact(const Poco::JSON::Object&) override {
        unused("createArtifact");
    }
    std::vector<sync::BatchItemResult> createArtifacts(const Poco::JSON::Array&) override {
        unused("createArtifacts");
    }
    void updateArtifact(std::int64_t, const Poco::JSON::Object&) override {
        unused("updateArtifact");
    }
    sync::CreateResult createNote(const Poco::JSON::Object&) override { unused("createNote"); }
    sync::CreateResult createComment(const Poco::JSON::Object&) override {
        unused("createComment");
    }
    void updateNote(std::int64_t, const Poco::JSON::Object&) override { unused("updateNote"); }
    std::int64_t createRecord(const std::string&, const Poco::JSON::Object&) override {
        unused("createRecord");
    }
    void updateRecord(const std::string&, std::int64_t, const Poco::JSON::Object&) override {
        unused("updateRecord");
    }
    bool deleteRecord(const std::string&, std::int64_t) override { unused("deleteRecord"); }
    std::optional<sync::PlaybookInfo> findPlaybook(const std::string&) override {
        unused("findPlaybook");
    }
    std::int64_t runPlaybook(const sync::PlaybookRunRequest&) override { unused("runPlaybook"); }
    sync::PlaybookRunStatus playbookRun(std::int64_t) override { unused("playbookRun"); }
    void cancelPlaybookRun(std::int64_t) override { unused("cancelPlaybookRun"); }
    std::uint64_t downloadFile(const std::string&, const std::string&, std::uint64_t) override {
        unused("downloadFile");
    }
    std::int64_t attachFile(std::int64_t, const std::string&, const std::string&,
                            const std::string&) override {
        unused("attachFile");
    }

private:
    [[noreturn]] static void unused(const char* call) {
        throw std::logic_error(std::string("a list-only fake was asked for ") + call);
    }
};

}  // namespace soar::test
