#include "soar/client/SoarApi.h"

#include <charconv>

namespace soar::sync {

std::optional<std::int64_t> parseId(const Poco::Dynamic::Var& value) {
    try {
        if (value.isEmpty() || value.isBoolean()) return std::nullopt;  // Poco: bool is integer
        if (value.isInteger()) return value.convert<std::int64_t>();
        if (value.isString()) {
            const auto text = value.extract<std::string>();
            std::int64_t id = 0;
            const auto* const end = text.data() + text.size();
            const auto [ptr, ec] = std::from_chars(text.data(), end, id);
            if (ec != std::errc() || ptr != end || text.empty()) return std::nullopt;
            return id;
        }
        if (value.isNumeric()) {
            const auto number = value.convert<double>();
            // In range before the cast (2^63): casting 1e30 or NaN would be undefined.
            if (!(number >= -9223372036854775808.0 && number < 9223372036854775808.0)) {
                return std::nullopt;
            }
            const auto id = static_cast<std::int64_t>(number);
            if (static_cast<double>(id) == number) return id;
        }
    } catch (const Poco::Exception&) {
        // Out of range or not convertible: not an id.
    }
    return std::nullopt;
}

std::optional<std::string> vaultIdOf(const Poco::JSON::Object& attachment) {
    const auto sha1 = [](const Poco::Dynamic::Var& value) -> std::optional<std::string> {
        if (value.isEmpty() || !value.isString()) return std::nullopt;
        std::string text = value.extract<std::string>();
        if (text.size() != 40) return std::nullopt;
        for (char& c : text) {
            if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return std::nullopt;
        }
        return text;
    };
    for (const char* key : {"vault_id", "hash"}) {
        if (auto found = sha1(attachment.get(key))) return found;
    }
    if (const auto metadata = attachment.getObject("metadata")) return sha1(metadata->get("sha1"));
    return std::nullopt;
}

std::optional<PlaybookOutcome> playbookOutcome(const std::string& status) {
    if (status == "success") return PlaybookOutcome::Success;
    if (status == "failed") return PlaybookOutcome::Failed;
    if (status == "cancelled" || status == "canceled") return PlaybookOutcome::Cancelled;
    return std::nullopt;
}

}  // namespace soar::sync
