// SqlStore: custom lists copied to a target (ListStore).

#include "SqliteAccess.h"
#include "SqliteRows.h"

namespace soar::state {
namespace sqlite {
namespace {

constexpr const char* kUpsertList =
    "INSERT INTO list_copies (target_ref, name, content_hash, rows, bytes, written_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (target_ref, name) DO UPDATE SET "
    "content_hash = excluded.content_hash, rows = excluded.rows, bytes = excluded.bytes, "
    "written_at = excluded.written_at";
constexpr const char* kSelectLists =
    "SELECT name, content_hash, rows, bytes, written_at FROM list_copies WHERE target_ref = ?1 "
    "ORDER BY name";

}  // namespace

std::vector<ListCopy> readListCopies(Connection& conn, std::int64_t ref) {
    std::vector<ListCopy> out;
    Query q(conn, kSelectLists);
    q->bind(1, ref);
    while (q->executeStep()) {
        ListCopy copy;
        copy.name = q->getColumn(0).getString();
        copy.content_hash = q->getColumn(1).getString();
        copy.rows = q->getColumn(2).getInt64();
        copy.bytes = q->getColumn(3).getInt64();
        copy.written_at = q->getColumn(4).getString();
        out.push_back(std::move(copy));
    }
    return out;
}

}  // namespace sqlite

using namespace sqlite;

std::vector<ListCopy> SqlStore::listCopies(const RouteTarget& key) const {
    return read("listing list copies", [&](Connection& conn) -> std::vector<ListCopy> {
        const auto ref = findTargetRef(conn, key);
        if (!ref) return {};
        return readListCopies(conn, *ref);
    });
}

void SqlStore::recordListCopy(const RouteTarget& key, const ListCopy& copy) {
    write("recording a list copy", key, [&](Connection& conn, std::int64_t ref) {
        Query q(conn, kUpsertList);
        q->bind(1, ref);
        q->bind(2, copy.name);
        q->bind(3, copy.content_hash);
        q->bind(4, copy.rows);
        q->bind(5, copy.bytes);
        q->bind(6, copy.written_at);
        q->exec();
    });
}

}  // namespace soar::state
