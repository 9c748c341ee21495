#include "ArtifactReplayer.h"

#include "soar/client/Errors.h"
#include "soar/client/JsonTree.h"
#include "soar/sync/RecordMapper.h"

#include <algorithm>

namespace soar::sync {

ArtifactReplayer::ArtifactReplayer(PassScope& pass, std::int64_t source_container,
                                   std::int64_t target_container, bool fresh, Replayed& out)
    : pass_(pass),
      source_container_(source_container),
      target_container_(target_container),
      fresh_(fresh),
      out_(out) {
    if (!fresh_) {
        for (auto& m : pass_.store.artifactMappingsOf(pass_.key, source_container_)) {
            known_.emplace(m.source_id, std::move(m));
        }
    }
}

JsonFragment MappedArtifact::body(std::optional<std::int64_t> container) const {
    return {RecordMapper::artifactBody(text, container)};
}

Record MappedArtifact::object(std::int64_t container) const {
    return parseJson(body(container).text).extract<Record>();
}

ArtifactReplayer::Pending ArtifactReplayer::map(PassScope& pass, const SourceItem& artifact) {
    Pending a;
    a.source_id = artifact.id;
    a.text = pass.mapper.artifactText(*artifact.body);
    a.hash = sha256Hex(a.text);
    a.update_time = artifact.changed;
    return a;
}

std::vector<MappedArtifact> ArtifactReplayer::embed(PassScope& pass,
                                                    std::vector<SourceItem>& artifacts,
                                                    Poco::JSON::Object& container) {
    const auto n = std::min(artifacts.size(), pass.options.artifact_batch);
    std::vector<MappedArtifact> sent;
    sent.reserve(n);
    Poco::JSON::Array::Ptr bodies = new Poco::JSON::Array;
    for (std::size_t i = 0; i < n; ++i) {
        auto a = map(pass, artifacts[i]);
        // The server files them under the container it makes. `run_automation` stays false
        // on each: without it the server (or Splunk's SDK, on the last one) may start the
        // target's automation for the copy (soar-api.md §3.5).
        bodies->add(a.body(std::nullopt));
        sent.push_back(std::move(a));
    }
    artifacts.erase(artifacts.begin(), artifacts.begin() + static_cast<std::ptrdiff_t>(n));
    if (!sent.empty()) container.set("artifacts", bodies);
    return sent;
}

bool ArtifactReplayer::run(std::optional<std::vector<SourceItem>> prefetched, Embedded embedded) {
    if (embedded.results && embedded.results->size() == embedded.sent.size()) {
        record(embedded.sent, *embedded.results);
    } else {
        for (auto& a : embedded.sent) place(std::move(a), embedded.maybe_made);
    }
    if (prefetched) {
        for (const auto& artifact : *prefetched) {
            place(map(pass_, artifact), false);
        }
    } else {
        pass_.source.forEachItem(
            state::RecordKind::Artifact, source_container_,
            [this](SourceItem& artifact) { place(map(pass_, artifact), false); });
    }
    flush();
    return all_ok_;
}

void ArtifactReplayer::place(Pending a, bool made_now) {
    const auto mapping = known_.find(a.source_id);
    if (mapping != known_.end()) {
        if (!pass_.force && mapping->second.content_hash == a.hash) {
            ++out_.counts.artifacts_unchanged;
        } else {
            update(a, mapping->second.target_id);
        }
        return;
    }
    if (!fresh_) {
        if (!copies_by_sdi_) {
            const auto any = pass_.mapper.artifactSdi(0);
            copies_by_sdi_ =
                pass_.target.artifactCopies(target_container_, any.substr(0, any.size() - 1));
        }
        const auto copy = copies_by_sdi_->find(pass_.mapper.artifactSdi(a.source_id));
        if (copy != copies_by_sdi_->end()) {
            if (made_now) {
                ++out_.counts.artifacts_created;
                written(a, copy->second);
            } else {
                update(a, copy->second);
            }
            return;
        }
    }
    to_create_.push_back(std::move(a));
    if (to_create_.size() >= pass_.options.artifact_batch) flush();
}

void ArtifactReplayer::written(const Pending& a, std::int64_t target_id) {
    out_.unit.artifacts.push_back(
        {a.source_id, target_id, source_container_, a.hash, a.update_time});
    out_.resolve(pass_, state::RecordKind::Artifact, a.source_id);
}

void ArtifactReplayer::update(const Pending& a, std::int64_t target_id) {
    try {
        pass_.target.updateArtifact(target_id, *a.object(target_container_));
        ++out_.counts.artifacts_updated;
        written(a, target_id);
    } catch (const RecordError& e) {
        if (e.httpStatus() == 404) {
            to_create_.push_back(a);  // the target lost it
            return;
        }
        out_.refuse(pass_, state::RecordKind::Artifact, a.source_id, refusalMessage(e));
        all_ok_ = false;
    }
}

void ArtifactReplayer::flush() {
    if (to_create_.empty()) return;
    const auto batch = std::move(to_create_);
    to_create_.clear();
    Poco::JSON::Array bodies;
    for (const auto& a : batch) bodies.add(a.body(target_container_));
    std::vector<BatchItemResult> results;
    try {
        results = pass_.target.createArtifacts(bodies);
    } catch (const RecordError&) {
        // The whole batch was refused: one at a time, so that only the bad ones are
        // dead-lettered.
        for (const auto& a : batch) {
            try {
                const auto created = pass_.target.createArtifact(*a.object(target_container_));
                ++out_.counts.artifacts_created;
                written(a, created.id);
            } catch (const RecordError& e) {
                out_.refuse(pass_, state::RecordKind::Artifact, a.source_id, refusalMessage(e));
                all_ok_ = false;
            }
        }
        return;
    }
    if (results.size() != batch.size()) {
        throw ProtocolError("the target answered " + std::to_string(results.size()) +
                            " results to a batch of " + std::to_string(batch.size()) +
                            " artifacts");
    }
    record(batch, results);
}

void ArtifactReplayer::record(const std::vector<Pending>& sent,
                              const std::vector<BatchItemResult>& results) {
    for (std::size_t i = 0; i < sent.size(); ++i) {
        if (results[i].ok()) {
            ++out_.counts.artifacts_created;
            written(sent[i], *results[i].id);
        } else {
            out_.refuse(pass_, state::RecordKind::Artifact, sent[i].source_id, results[i].error);
            all_ok_ = false;
        }
    }
}

}  // namespace soar::sync
