// SoarSource::existing and SoarTarget::deleteContainer: what a reconcile asks of SOAR
// (soar-api-more.md §5). SOAR keeps no record of deleted containers, so the source is asked
// which of a batch of ids it still has, in one `_filter_id__in` request.

#include "SoarRecords.h"
#include "soar/sync/SoarAdapter.h"

namespace soar::sync {

std::set<std::int64_t> SoarSource::existing(const std::vector<std::int64_t>& ids) {
    std::set<std::int64_t> out;
    if (ids.empty()) return out;
    std::vector<PyValue> values(ids.begin(), ids.end());
    Query query;
    query.in("id", values).sort("id").pageSize(ids.size());
    const auto page = api_.listPage(collection::kContainer, query, 0);
    for (const auto& record : page.records) {
        if (const auto id = optId(*record, "id")) out.insert(*id);
    }
    return out;
}

bool SoarTarget::deleteContainer(std::int64_t id) {
    return api_.deleteRecord(collection::kContainer, id);
}

}  // namespace soar::sync
