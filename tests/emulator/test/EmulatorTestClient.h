#pragma once

/// A small HTTP(S) client for the emulator tests: one keep-alive Poco session, a choice of
/// authentication, and JSON helpers. Not thread-safe: one client per thread.

#include "soar/emulator/Emulator.h"

#include <Poco/Base64Encoder.h>
#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <memory>
#include <sstream>
#include <string>

namespace soar::emulator::test {

enum class Auth { Token, Bearer, BasicUser, BasicToken, None, BadToken };

struct HttpResult {
    int status = 0;
    std::string body;
    std::string retry_after;
    std::string content_type;

    [[nodiscard]] Poco::Dynamic::Var json() const { return Poco::JSON::Parser().parse(body); }
    [[nodiscard]] Poco::JSON::Object::Ptr object() const {
        return json().extract<Poco::JSON::Object::Ptr>();
    }
    [[nodiscard]] Poco::JSON::Array::Ptr array() const {
        return json().extract<Poco::JSON::Array::Ptr>();
    }
    /// `data` of a list envelope.
    [[nodiscard]] Poco::JSON::Array::Ptr data() const { return object()->getArray("data"); }
    [[nodiscard]] bool failed() const {
        const auto o = object();
        return o->has("failed") && o->getValue<bool>("failed");
    }
};

class Client {
public:
    Client(const Emulator& emulator, Auth auth = Auth::Token, const std::string& ca_file = "")
        : auth_(auth) {
        const Poco::URI base(emulator.baseUrl());
        if (emulator.secure()) {
            Poco::Net::Context::Ptr context =
                new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", ca_file,
                                       Poco::Net::Context::VERIFY_STRICT, 9, false);
            session_ = std::make_unique<Poco::Net::HTTPSClientSession>(base.getHost(),
                                                                       base.getPort(), context);
        } else {
            session_ =
                std::make_unique<Poco::Net::HTTPClientSession>(base.getHost(), base.getPort());
        }
        session_->setKeepAlive(true);
    }

    void setAuth(Auth auth) { auth_ = auth; }
    /// Sets the token the client sends (defaults to the emulator default "test-token").
    void setToken(const std::string& token) { token_ = token; }

    HttpResult get(const std::string& target) { return send("GET", target, ""); }
    HttpResult post(const std::string& target, const std::string& body) {
        return send("POST", target, body);
    }
    HttpResult del(const std::string& target) { return send("DELETE", target, ""); }

    HttpResult send(const std::string& method, const std::string& target, const std::string& body) {
        Poco::Net::HTTPRequest request(method, target, Poco::Net::HTTPMessage::HTTP_1_1);
        switch (auth_) {
            case Auth::Token:
                request.set("ph-auth-token", token_);
                break;
            case Auth::BadToken:
                request.set("ph-auth-token", "not-the-token");
                break;
            case Auth::Bearer:
                request.set("Authorization", "Bearer " + token_);
                break;
            case Auth::BasicUser:
                request.set("Authorization", "Basic " + base64("admin:password"));
                break;
            case Auth::BasicToken:
                request.set("Authorization", "Basic " + base64(":" + token_));
                break;
            case Auth::None:
                break;
        }
        if (!body.empty()) {
            request.setContentType("application/json");
        }
        request.setContentLength(static_cast<std::streamsize>(body.size()));
        std::ostream& out = session_->sendRequest(request);
        out << body;
        Poco::Net::HTTPResponse response;
        std::istream& in = session_->receiveResponse(response);
        HttpResult result;
        result.status = static_cast<int>(response.getStatus());
        Poco::StreamCopier::copyToString(in, result.body);
        result.retry_after = response.get("Retry-After", "");
        result.content_type = response.getContentType();
        return result;
    }

private:
    static std::string base64(const std::string& text) {
        std::ostringstream out;
        Poco::Base64Encoder encoder(out);
        encoder << text;
        encoder.close();
        return out.str();
    }

    Auth auth_;
    std::string token_ = "test-token";
    std::unique_ptr<Poco::Net::HTTPClientSession> session_;
};

/// Percent-encodes a query value (quotes, brackets, spaces...).
inline std::string enc(const std::string& value) {
    std::string out;
    Poco::URI::encode(value, "!#$&'()*+,/:;=?@[]\" ", out);
    return out;
}

}  // namespace soar::emulator::test
