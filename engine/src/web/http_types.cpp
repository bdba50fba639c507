#include "http_types.hpp"

#include <boost/json/serialize.hpp>
#include <boost/url/encoding_opts.hpp>
#include <boost/url/parse_query.hpp>

namespace proffer::web {

std::string_view HttpRequest::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k == name) return v;
  return {};
}

std::optional<std::string> HttpRequest::query_param(std::string_view name) const {
  auto parsed = boost::urls::parse_query(query);
  if (!parsed) return std::nullopt;
  boost::urls::encoding_opts opts;
  opts.space_as_plus = true;  // forms encode spaces as '+'
  for (auto param : *parsed)
    if (param.key.decode(opts) == name) return param.value.decode(opts);
  return std::nullopt;
}

HttpResponse HttpResponse::json(int status, const boost::json::value& body) {
  HttpResponse r;
  r.status = status;
  r.body = boost::json::serialize(body);
  return r;
}

HttpResponse HttpResponse::error(int status, std::string_view code, std::string_view message,
                                 std::string_view field) {
  boost::json::object e{{"code", code}, {"message", message}};
  if (!field.empty()) e["field"] = field;
  return json(status, boost::json::object{{"error", std::move(e)}});
}

}  // namespace proffer::web
