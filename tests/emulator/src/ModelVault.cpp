// Vault files (soar-api-more.md §1): container attachments and the vault documents behind
// them, one document per SHA-1, uploads as base64 in JSON, downloads as raw bytes.

#include "Model.h"

#include <Poco/Base64Decoder.h>
#include <Poco/DigestEngine.h>
#include <Poco/JSON/Array.h>
#include <Poco/MD5Engine.h>
#include <Poco/SHA1Engine.h>
#include <Poco/SHA2Engine.h>
#include <Poco/StreamCopier.h>

#include <sstream>

namespace soar::emulator {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

namespace {

template <class Engine>
std::string digestOf(const std::string& bytes) {
    Engine engine;
    engine.update(bytes);
    return Poco::DigestEngine::digestToHex(engine.digest());
}

std::string sha256Of(const std::string& bytes) {
    Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
    engine.update(bytes);
    return Poco::DigestEngine::digestToHex(engine.digest());
}

/// Strict base64 (RFC 4648 alphabet, padding, line breaks allowed); ApiError(400) otherwise.
std::string decodeContent(const std::string& text) {
    std::size_t symbols = 0;
    for (const char c : text) {
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                        (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=' || c == '\n' ||
                        c == '\r';
        if (!ok) throw ApiError(400, "Invalid file_content: not base64");
        if (c != '\n' && c != '\r') ++symbols;
    }
    if (symbols % 4 != 0) throw ApiError(400, "Invalid file_content: not base64 (length)");
    std::istringstream in(text);
    Poco::Base64Decoder decoder(in);
    std::string out;
    try {
        Poco::StreamCopier::copyToString(decoder, out);
    } catch (const Poco::Exception&) {
        throw ApiError(400, "Invalid file_content: not base64");
    }
    return out;
}

Array::Ptr stringArray(const Var& value) {
    Array::Ptr out = new Array;
    if (value.isEmpty() || value.type() != typeid(Array::Ptr)) return out;
    for (const auto& item : *value.extract<Array::Ptr>()) {
        if (item.isString()) out->add(item);
    }
    return out;
}

}  // namespace

Response Model::postAttachment(const Request& request) {
    const Var parsed = parseJsonBody(request.body);
    if (parsed.isEmpty() || parsed.type() != typeid(Object::Ptr)) {
        throw ApiError(400, "Expected a JSON object");
    }
    const auto in = parsed.extract<Object::Ptr>();
    const std::int64_t container = requireContainer(in->get("container_id"), "container_id");
    const Var name_var = in->get("file_name");
    if (name_var.isEmpty() || !name_var.isString() || name_var.toString().empty()) {
        throw ApiError(400, "Missing required field 'file_name'");
    }
    const std::string name = name_var.toString();
    const Var content_var = in->get("file_content");
    if (content_var.isEmpty() || !content_var.isString()) {
        throw ApiError(400, "Missing required field 'file_content' (base64)");
    }
    const std::string bytes = decodeContent(content_var.toString());
    const std::string sha1 = digestOf<Poco::SHA1Engine>(bytes);
    const auto size = static_cast<Poco::Int64>(bytes.size());
    Array::Ptr contains = new Array;
    if (const auto metadata = in->getObject("metadata"))
        contains = stringArray(metadata->get("contains"));
    const std::string now = formatTimestamp(clock_.next());

    // One vault document per content; its names gather every name it was uploaded under.
    std::int64_t document = 0;
    if (const auto found = vault_by_hash_.find(sha1); found != vault_by_hash_.end()) {
        document = found->second;
        Object::Ptr doc = new Object(*vault_documents_.find(document));  // rows are replaced
        Array::Ptr names = new Array(*doc->getArray("names"));
        bool known = false;
        for (const auto& n : *names) known = known || n.toString() == name;
        if (!known) {
            names->add(name);
            doc->set("names", names);
            vault_documents_.rows.replace(document, doc);
        }
    } else {
        Object::Ptr doc = new Object;
        doc->set("hash", sha1);
        Array::Ptr names = new Array;
        names->add(name);
        doc->set("names", names);
        doc->set("size", size);
        doc->set("contains", contains);
        doc->set("meta", Object::Ptr(new Object));
        doc->set("sources", Array::Ptr(new Array));
        doc->set("tags", Array::Ptr(new Array));
        doc->set("first_seen_time", now);
        doc->set("deleted", false);
        doc->set("version", 1);
        document = vault_documents_.insert(doc);
        vault_by_hash_[sha1] = document;
        vault_bytes_[sha1] = bytes;
    }

    std::int64_t id = 0;
    if (options_.attachment_dedup) {
        for (const auto& entry : attachments_.rows) {
            if (entry.second->getValue<Poco::Int64>("container_id") == container &&
                entry.second->getValue<std::string>("hash") == sha1) {
                id = entry.first;
                break;
            }
        }
    }
    if (id == 0) {
        Object::Ptr row = new Object;
        row->set("container", container);
        row->set("container_id", container);
        row->set("create_time", now);
        row->set("created_via", "automation");
        row->set("name", name);
        row->set("user", request.user_auth ? 1 : 2);
        row->set("vault_document", document);
        row->set("mime_type", "application/octet-stream");
        row->set("hash", sha1);
        row->set("vault_id", sha1);
        row->set("size", size);
        row->set("task", Var());
        row->set("path", "/opt/phantom/vault/" + sha1.substr(0, 2) + "/" + sha1);
        Object::Ptr metadata = new Object;
        metadata->set("sha1", sha1);
        metadata->set("sha256", sha256Of(bytes));
        metadata->set("md5", digestOf<Poco::MD5Engine>(bytes));
        metadata->set("size", size);
        metadata->set("contains", contains);
        row->set("metadata", metadata);
        row->set("aka", Array::Ptr(new Array(*vault_documents_.find(document)->getArray("names"))));
        row->set("contains", contains);
        id = attachments_.insert(row);
    }
    Object::Ptr answer = new Object;
    answer->set("succeeded", true);
    answer->set("message", "success");
    answer->set("hash", sha1);
    if (!options_.attachment_answer_without_vault_id) answer->set("vault_id", sha1);
    answer->set("container", container);
    answer->set("size", size);
    answer->set("id", id);
    answer->set("created_via", "automation");
    return jsonResponse(200, answer);
}

Response Model::downloadAttachment(const Request& request) const {
    std::string vault_id;
    for (const auto& [name, value] : request.query) {
        if (name == "vault_id") vault_id = value;
    }
    if (vault_id.empty()) throw ApiError(400, "Missing required parameter 'vault_id'");
    const auto found = vault_bytes_.find(vault_id);
    if (found == vault_bytes_.end()) {
        throw ApiError(404, "Invalid vault_id: " + vault_id + " (no such file)");
    }
    Response r;
    r.body = found->second;
    r.content_type = "application/octet-stream";
    return r;
}

void Model::deleteAttachment(std::int64_t id) {
    const auto row = attachments_.find(id);
    if (row.isNull()) return;
    const std::string sha1 = row->getValue<std::string>("hash");
    attachments_.rows.erase(id);
    for (const auto& entry : attachments_.rows) {
        if (entry.second->getValue<std::string>("hash") == sha1) return;  // still in use
    }
    const auto doc = vault_by_hash_.find(sha1);
    if (doc != vault_by_hash_.end()) {
        vault_documents_.rows.erase(doc->second);
        vault_by_hash_.erase(doc);
    }
    vault_bytes_.erase(sha1);
}

}  // namespace soar::emulator
