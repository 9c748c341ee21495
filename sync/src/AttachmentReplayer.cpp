#include "AttachmentReplayer.h"

#include "soar/client/Errors.h"

#include <atomic>
#include <filesystem>
#include <system_error>
#include <unistd.h>

namespace soar::sync {
namespace {

using state::RecordKind;

/// A file in the scratch folder, named for this process, removed when it goes out of scope
/// (also when a download or an upload fails half-way).
class ScratchFile {
public:
    explicit ScratchFile(const std::string& folder) {
        static std::atomic<std::uint64_t> next{0};
        const std::filesystem::path dir =
            folder.empty() ? std::filesystem::temp_directory_path() : std::filesystem::path(folder);
        path_ = (dir / (".soar-sync-file-" + std::to_string(::getpid()) + "-" +
                        std::to_string(next.fetch_add(1)) + ".part"))
                    .string();
    }
    ~ScratchFile() {
        std::error_code ignored;
        std::filesystem::remove(path_, ignored);
    }
    ScratchFile(const ScratchFile&) = delete;
    ScratchFile& operator=(const ScratchFile&) = delete;

    [[nodiscard]] const std::string& path() const { return path_; }

private:
    std::string path_;
};

std::string inQuotes(const std::string& name) { return "'" + name + "'"; }

}  // namespace

AttachmentReplayer::AttachmentReplayer(PassScope& pass, std::int64_t source_container,
                                       std::int64_t target_container, bool fresh, Replayed& out)
    : pass_(pass),
      source_container_(source_container),
      target_container_(target_container),
      fresh_(fresh),
      out_(out) {}

void AttachmentReplayer::all() {
    std::map<std::int64_t, state::NoteMapping> known;
    if (!fresh_) {
        for (auto& m : pass_.store.noteMappingsOf(pass_.key, source_container_)) {
            if (m.kind == RecordKind::Attachment) known.emplace(m.source_id, std::move(m));
        }
    }
    pass_.source.forEachItem(RecordKind::Attachment, source_container_, [&](SourceItem& file) {
        const auto found = known.find(file.id);
        replay(file, found == known.end() ? std::nullopt
                                          : std::optional<state::NoteMapping>(found->second));
    });
}

void AttachmentReplayer::one(const SourceItem& file,
                             const std::optional<state::NoteMapping>& known) {
    // A file never changes: one refused before (met again in the lookback overlap) would be
    // refused again. retry-dead re-drives it.
    if (!pass_.force && pass_.dead_letters.contains(RecordKind::Attachment, file.id)) return;
    replay(file, known);
}

std::map<std::string, std::int64_t>& AttachmentReplayer::copies() {
    if (!copies_) {
        copies_.emplace();
        if (!fresh_) *copies_ = pass_.target.fileCopies(target_container_);
    }
    return *copies_;
}

void AttachmentReplayer::replay(const SourceItem& file,
                                const std::optional<state::NoteMapping>& known) {
    const auto refuse = [&](std::string message) {
        out_.refuse(pass_, RecordKind::Attachment, file.id, std::move(message));
    };
    if (file.unreadable) {
        refuse("the source's answer cannot be read: " + *file.unreadable);
        return;
    }
    const auto sha1 = vaultIdOf(*file.body);
    std::string name = file.body->optValue<std::string>("name", "");
    if (name.empty()) name = sha1.value_or("file");
    if (!sha1) {
        refuse("the source's file " + inQuotes(name) + " has no SHA-1 (vault_id)");
        return;
    }
    if (known && known->content_hash == *sha1 && !pass_.force) return;  // files never change
    const auto record = [&](std::int64_t target_id) {
        out_.unit.notes.push_back(
            {RecordKind::Attachment, file.id, target_id, source_container_, *sha1, file.changed});
        out_.resolve(pass_, RecordKind::Attachment, file.id);
    };
    try {
        auto& on_copy = copies();
        if (const auto copy = on_copy.find(*sha1); copy != on_copy.end()) {
            record(copy->second);
            return;
        }
        const auto limit = pass_.route.attachment_max_size;
        const auto over = [&](const std::string& size) {
            refuse("the file " + inQuotes(name) + " (" + *sha1 + ") is " + size +
                   ", above attachment_max_size (" + std::to_string(limit) + " bytes): not copied");
        };
        const auto size = file.body->has("size") ? parseId(file.body->get("size")) : std::nullopt;
        if (size && *size >= 0 && static_cast<std::uint64_t>(*size) > limit) {
            over(std::to_string(*size) + " bytes");
            return;
        }
        ScratchFile scratch(pass_.options.scratch_dir);
        std::uint64_t bytes = 0;
        try {
            bytes = pass_.source.downloadFile(*sha1, scratch.path(), limit);
        } catch (const RecordError& e) {
            if (e.httpStatus() == 413) {
                over("larger than its size says");
            } else {
                refuse("the source refused the file " + inQuotes(name) + ": " + refusalMessage(e));
            }
            return;
        } catch (const ProtocolError& e) {
            refuse(e.what());  // bytes that are not the file's
            return;
        }
        const auto target_id =
            pass_.target.attachFile(target_container_, name, scratch.path(), *sha1);
        on_copy.emplace(*sha1, target_id);
        ++out_.counts.files_copied;
        out_.counts.file_bytes += static_cast<std::int64_t>(bytes);
        record(target_id);
    } catch (const RecordError& e) {
        refuse(refusalMessage(e));
    }
}

}  // namespace soar::sync
