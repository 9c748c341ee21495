#pragma once

/// SoarSource and SoarTarget: the engine's seams (Source.h, Target.h) on the REST client
/// (soar/client/SoarApi.h). The only place in the engine that knows SOAR's paths, its
/// Django filters, its field names for change times and how ids are written; the engine
/// above it sees typed records.
///
/// Thread safety: as the SoarApi they wrap (PocoSoarApi: any number of threads). Ownership:
/// borrow the SoarApi, which must outlive them.

#include "soar/client/JsonTree.h"
#include "soar/client/Query.h"
#include "soar/client/SoarApi.h"
#include "soar/sync/MirrorSide.h"
#include "soar/sync/RouteConfig.h"
#include "soar/sync/Source.h"
#include "soar/sync/Target.h"

#include <cstddef>

namespace soar::sync {

/// The source query of a route's containers: its filters (label, severity, status, tags,
/// raw) and its page size; no sort or cursor.
[[nodiscard]] Query routeFilterQuery(const RouteConfig& route);

class SoarSource final : public Source {
public:
    /// Reads the containers `route`'s filters select, `route.page_size` records a request.
    SoarSource(SoarApi& api, const RouteConfig& route);

    WalkEnd walkContainers(state::Stream stream, const KeysetCursor& start,
                           const std::function<bool(ContainerPage&)>& on_page,
                           const CountCallback& on_count) override;
    WalkEnd walkItems(state::Stream stream, const KeysetCursor& start,
                      const std::function<bool(ItemPage&)>& on_page,
                      const CountCallback& on_count) override;
    [[nodiscard]] std::optional<std::string> newest(state::Stream stream) override;
    [[nodiscard]] std::optional<SourceContainer> container(std::int64_t id) override;
    /// One `_filter_id__in` request (records of any route filter).
    [[nodiscard]] std::set<std::int64_t> existing(const std::vector<std::int64_t>& ids) override;
    [[nodiscard]] std::optional<std::int64_t> containerOf(state::RecordKind kind,
                                                          std::int64_t id) override;
    void forEachItem(state::RecordKind kind, std::int64_t container,
                     const std::function<void(SourceItem&)>& each) override;
    [[nodiscard]] std::map<std::int64_t, std::vector<SourceItem>> artifactsOf(
        const std::map<std::int64_t, std::int64_t>& expected) override;
    std::uint64_t downloadFile(const std::string& sha1, const std::string& path,
                               std::uint64_t max_bytes) override;
    [[nodiscard]] std::optional<std::string> userName(std::int64_t id) override;
    [[nodiscard]] Workbook workbook(std::int64_t container) override;
    [[nodiscard]] std::optional<std::string> templateName(std::int64_t id) override;
    void forEachTaskNote(std::int64_t task, const std::function<void(SourceItem&)>& each) override;
    [[nodiscard]] std::optional<Poco::JSON::Array::Ptr> readList(const std::string& name) override;

private:
    SoarApi& api_;
    Query filters_;
    std::size_t page_size_;
    /// What an artifact replay reads of a source artifact (itemOfRecord() and
    /// RecordMapper::artifactText()), its objects as text: the rest is never built.
    RecordShape artifact_shape_;
};

class SoarTarget final : public Target {
public:
    /// `page_size`: records per list request when looking for copies.
    SoarTarget(SoarApi& api, std::size_t page_size);

    void ping() override;
    [[nodiscard]] ContainerCreated createContainer(const Poco::JSON::Object& container) override;
    void updateContainer(std::int64_t id, const Poco::JSON::Object& fields) override;
    bool deleteContainer(std::int64_t id) override;
    [[nodiscard]] std::map<std::string, std::int64_t> artifactCopies(
        std::int64_t container, const std::string& sdi_prefix) override;
    [[nodiscard]] std::vector<BatchItemResult> createArtifacts(
        const Poco::JSON::Array& artifacts) override;
    [[nodiscard]] CreateResult createArtifact(const Poco::JSON::Object& artifact) override;
    void updateArtifact(std::int64_t id, const Poco::JSON::Object& fields) override;
    void forEachNote(
        state::RecordKind kind, std::int64_t container,
        const std::function<void(std::int64_t id, const std::string& text)>& each) override;
    [[nodiscard]] CreateResult createNote(const Poco::JSON::Object& note) override;
    [[nodiscard]] CreateResult createComment(const Poco::JSON::Object& comment) override;
    void updateNote(std::int64_t id, const Poco::JSON::Object& fields) override;
    [[nodiscard]] std::map<std::string, std::int64_t> fileCopies(std::int64_t container) override;
    [[nodiscard]] std::optional<std::int64_t> userId(const std::string& username) override;
    [[nodiscard]] Workbook workbook(std::int64_t container) override;
    [[nodiscard]] std::optional<std::int64_t> findTemplate(const std::string& name) override;
    [[nodiscard]] std::int64_t createPhase(std::int64_t container, const std::string& name,
                                           std::int64_t order) override;
    [[nodiscard]] std::int64_t createTask(std::int64_t phase, const WorkbookTask& task) override;
    void updateTask(std::int64_t id, const Poco::JSON::Object& fields) override;
    void forEachTaskNote(
        std::int64_t task,
        const std::function<void(std::int64_t id, const std::string& text)>& each) override;
    [[nodiscard]] std::int64_t attachFile(std::int64_t container, const std::string& name,
                                          const std::string& path,
                                          const std::string& sha1) override;
    [[nodiscard]] std::optional<PlaybookInfo> findPlaybook(const std::string& spec) override;
    [[nodiscard]] std::int64_t runPlaybook(const PlaybookRunRequest& request) override;
    [[nodiscard]] PlaybookRunStatus playbookRun(std::int64_t run_id) override;
    void cancelPlaybookRun(std::int64_t run_id) override;
    [[nodiscard]] std::vector<PlaybookRunSeen> playbookRuns(std::int64_t playbook,
                                                            std::int64_t container) override;
    void writeList(const std::string& name, const Poco::JSON::Array& rows) override;
    /// `playbook_run/<id>`, its `action_run`s and each one's `app_run`s (list views: no
    /// result data).
    [[nodiscard]] RunReport runReport(std::int64_t run_id) override;

private:
    SoarApi& api_;
    std::size_t page_size_;
};

/// One instance of a two-way route, either side (SoarMirrorSide.cpp).
class SoarMirrorSide final : public MirrorSide {
public:
    /// `page_size`: records per list request.
    SoarMirrorSide(SoarApi& api, std::size_t page_size);

    WalkEnd walkCopies(const std::string& sdi_prefix, const KeysetCursor& start,
                       const std::function<bool(ContainerPage&)>& on_page) override;
    WalkEnd walkChanged(state::RecordKind kind, const KeysetCursor& start,
                        const std::function<bool(ItemPage&)>& on_page) override;
    [[nodiscard]] std::optional<std::string> newest(state::RecordKind kind,
                                                    const std::string& sdi_prefix) override;
    [[nodiscard]] std::optional<SourceContainer> readContainer(std::int64_t id) override;
    void writeContainer(std::int64_t id, const Poco::JSON::Object& fields) override;
    [[nodiscard]] std::int64_t addNote(state::RecordKind kind,
                                       const Poco::JSON::Object& body) override;
    void forEachNote(
        state::RecordKind kind, std::int64_t container,
        const std::function<void(std::int64_t id, const std::string& text)>& each) override;
    void editNote(std::int64_t id, const Poco::JSON::Object& fields) override;
    void writeTask(std::int64_t id, const Poco::JSON::Object& fields) override;
    [[nodiscard]] std::vector<StatusInfo> statuses() override;
    [[nodiscard]] std::optional<std::string> userName(std::int64_t id) override;
    [[nodiscard]] std::optional<std::int64_t> userId(const std::string& username) override;

private:
    SoarApi& api_;
    std::size_t page_size_;
};

}  // namespace soar::sync
