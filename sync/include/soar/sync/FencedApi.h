#pragma once

/// FencedApi: a SoarApi that writes only under a lease it can prove. It wraps one route's view
/// of an instance's client and, before every call that changes something on the peer (creates,
/// updates, deletes, playbook runs and their cancellation, file uploads), asks the route's
/// `RouteLeases` whether this daemon may write (`checkWritable`): a daemon that lost the
/// route's lease, or cannot tell because the state store is away, sends nothing and its pass
/// ends with `state::StateError` of kind `Fenced`. Reads pass straight through.
///
/// Thread safety: as the wrapped client's. Ownership: references to the client and the
/// leases, which outlive it.

#include "soar/client/SoarApi.h"
#include "soar/sync/RouteLeases.h"

#include <string>

namespace soar::sync {

class FencedApi final : public SoarApi {
public:
    FencedApi(SoarApi& inner, const RouteLeases& leases, std::string route);

    [[nodiscard]] std::string version() override;
    [[nodiscard]] Page listPage(const std::string& path, const Query& query,
                                std::size_t page) override;
    [[nodiscard]] Record getObject(const std::string& path) override;
    [[nodiscard]] std::optional<Record> find(const std::string& path) override;
    [[nodiscard]] std::optional<Record> get(const std::string& collection,
                                            std::int64_t id) override;
    [[nodiscard]] ContainerCreated createContainer(const Poco::JSON::Object& container) override;
    void updateContainer(std::int64_t id, const Poco::JSON::Object& fields) override;
    [[nodiscard]] CreateResult createArtifact(const Poco::JSON::Object& artifact) override;
    [[nodiscard]] std::vector<BatchItemResult> createArtifacts(
        const Poco::JSON::Array& artifacts) override;
    void updateArtifact(std::int64_t id, const Poco::JSON::Object& fields) override;
    [[nodiscard]] CreateResult createNote(const Poco::JSON::Object& note) override;
    [[nodiscard]] CreateResult createComment(const Poco::JSON::Object& comment) override;
    void updateNote(std::int64_t id, const Poco::JSON::Object& fields) override;
    [[nodiscard]] std::int64_t createRecord(const std::string& collection,
                                            const Poco::JSON::Object& body) override;
    void updateRecord(const std::string& collection, std::int64_t id,
                      const Poco::JSON::Object& fields) override;
    bool deleteRecord(const std::string& collection, std::int64_t id) override;
    [[nodiscard]] std::optional<PlaybookInfo> findPlaybook(const std::string& spec) override;
    [[nodiscard]] std::int64_t runPlaybook(const PlaybookRunRequest& request) override;
    [[nodiscard]] PlaybookRunStatus playbookRun(std::int64_t run_id) override;
    void cancelPlaybookRun(std::int64_t run_id) override;
    std::uint64_t downloadFile(const std::string& sha1, const std::string& path,
                               std::uint64_t max_bytes) override;
    [[nodiscard]] std::int64_t attachFile(std::int64_t container, const std::string& name,
                                          const std::string& path,
                                          const std::string& sha1) override;

private:
    /// Throws unless the route's lease is held and proved.
    void check() const { leases_.checkWritable(route_); }

    SoarApi& inner_;
    const RouteLeases& leases_;
    std::string route_;
};

}  // namespace soar::sync
