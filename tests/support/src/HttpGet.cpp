#include "support/HttpGet.h"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

namespace soar::test {

HttpAnswer httpGet(unsigned short port, const std::string& path, const std::string& token,
                   const std::string& host) {
    Poco::Net::HTTPClientSession session("127.0.0.1", port);
    session.setTimeout(Poco::Timespan(10, 0));
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, path,
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    if (!token.empty()) request.set("Authorization", "Bearer " + token);
    if (!host.empty()) request.setHost(host);
    session.sendRequest(request);
    Poco::Net::HTTPResponse response;
    auto& in = session.receiveResponse(response);
    HttpAnswer answer;
    answer.status = static_cast<int>(response.getStatus());
    answer.content_type = response.getContentType();
    answer.cache_control = response.get("Cache-Control", "");
    answer.content_type_options = response.get("X-Content-Type-Options", "");
    Poco::StreamCopier::copyToString(in, answer.body);
    return answer;
}

}  // namespace soar::test
