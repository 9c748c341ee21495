// SqlStore: records a target refused (DeadLetterStore), and the dead-letter writes `commit`
// runs.

#include "SqliteAccess.h"
#include "SqliteRows.h"

#include <utility>

namespace soar::state {
namespace sqlite {
namespace {

constexpr const char* kUpsertDeadLetter =
    "INSERT INTO dead_letters (target_ref, kind, source_id, message, attempts, first_seen, "
    "last_seen) VALUES (?1, ?2, ?3, ?4, 1, ?5, ?5) "
    "ON CONFLICT (target_ref, kind, source_id) DO UPDATE SET message = excluded.message, "
    "attempts = dead_letters.attempts + 1, last_seen = excluded.last_seen RETURNING attempts";
constexpr const char* kSelectDeadLetters =
    "SELECT kind, source_id, message, attempts, first_seen, last_seen FROM dead_letters "
    "WHERE target_ref = ?1 ORDER BY first_seen, kind, source_id";
constexpr const char* kCountDeadLetters = "SELECT count(*) FROM dead_letters WHERE target_ref = ?1";
constexpr const char* kDeleteDeadLetter =
    "DELETE FROM dead_letters WHERE target_ref = ?1 AND kind = ?2 AND source_id = ?3";

std::optional<RecordKind> parseRecordKind(std::string_view name) {
    for (auto k :
         {RecordKind::Container, RecordKind::Artifact, RecordKind::Note, RecordKind::Comment,
          RecordKind::Playbook, RecordKind::Attachment, RecordKind::Task}) {
        if (toString(k) == name) return k;
    }
    return std::nullopt;
}

/// The one decoder of a `kSelectDeadLetters` row.
DeadLetter deadLetterFrom(const Connection& conn, Statement& row, const RouteTarget& key) {
    const std::string kind = row.getColumn(0).getString();
    const auto parsed = parseRecordKind(kind);
    if (!parsed) unknownValue(conn, "dead-letter kind", kind);
    DeadLetter d;
    d.key = key;
    d.kind = *parsed;
    d.source_id = row.getColumn(1).getInt64();
    d.message = row.getColumn(2).getString();
    d.attempts = row.getColumn(3).getInt64();
    d.first_seen = row.getColumn(4).getString();
    d.last_seen = row.getColumn(5).getString();
    return d;
}

}  // namespace

std::int64_t upsertDeadLetter(Connection& conn, std::int64_t ref, const DeadLetterRef& letter,
                              const std::string& message, const std::string& at) {
    Query q(conn, kUpsertDeadLetter);
    q->bind(1, ref);
    bindText(*q, 2, toString(letter.kind));
    q->bind(3, letter.source_id);
    q->bind(4, conn.storedText(message));
    q->bind(5, at);
    q->executeStep();
    const std::int64_t attempts = q->getColumn(0).getInt64();
    // RETURNING: the statement must run to completion before the transaction commits.
    while (q->executeStep()) {
    }
    return attempts;
}

bool deleteDeadLetter(Connection& conn, std::int64_t ref, const DeadLetterRef& letter) {
    Query q(conn, kDeleteDeadLetter);
    q->bind(1, ref);
    bindText(*q, 2, toString(letter.kind));
    q->bind(3, letter.source_id);
    return q->exec() > 0;
}

std::int64_t countDeadLetters(Connection& conn, std::int64_t ref) {
    return count(conn, kCountDeadLetters, ref);
}

}  // namespace sqlite

using namespace sqlite;

std::int64_t SqlStore::recordDeadLetter(const RouteTarget& key, const DeadLetterRef& ref,
                                        const std::string& message, const std::string& at) {
    return write("recording a dead letter", key, [&](Connection& conn, std::int64_t target_ref) {
        return upsertDeadLetter(conn, target_ref, ref, message, at);
    });
}

std::vector<DeadLetter> SqlStore::deadLetters(const RouteTarget& key) const {
    return read("listing dead letters", [&](Connection& conn) -> std::vector<DeadLetter> {
        const auto ref = findTargetRef(conn, key);
        if (!ref) return {};
        std::vector<DeadLetter> out;
        Query q(conn, kSelectDeadLetters);
        q->bind(1, *ref);
        while (q->executeStep()) out.push_back(deadLetterFrom(conn, *q, key));
        return out;
    });
}

std::int64_t SqlStore::deadLetterCount(const RouteTarget& key) const {
    return read("counting dead letters", [&](Connection& conn) -> std::int64_t {
        const auto ref = findTargetRef(conn, key);
        if (!ref) return 0;
        return countDeadLetters(conn, *ref);
    });
}

bool SqlStore::clearDeadLetter(const RouteTarget& key, const DeadLetterRef& ref) {
    return write("clearing a dead letter", key, [&](Connection& conn, std::int64_t target_ref) {
        return deleteDeadLetter(conn, target_ref, ref);
    });
}

}  // namespace soar::state
