// docs/api/openapi.json against a real profferd: every example request of every operation is sent
// (placeholders replaced by a real tenant's keys, a storefront session, an order, a preference
// cookie) and must get the status it documents, one the operation documents, with a body that has
// every member the documented schema requires. The other way round: unknown paths and wrong
// methods get the documented 404 and 405, the limits (408, 413, 431, 503) answer as documented,
// the engage WebSocket speaks the documented messages, and every route in the engine's route
// tables and every error code in the web plane's source is in the document.
#include <poll.h>
#include <sys/socket.h>

#include <QtTest>
#include <boost/json.hpp>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "engine_harness.hpp"
#include "http_client.hpp"

using namespace proffer::test;
namespace json = boost::json;

namespace {

// Small limits so that the limit tests are quick; everything else as shipped.
const char* kConfig =
    "[web]\n"
    "enabled = true\n"
    "listen = \"127.0.0.1:0\"\n"
    "max_body_bytes = 4096\n"
    "max_header_bytes = 8192\n"
    "request_timeout_ms = 800\n"
    "idle_timeout_ms = 30000\n"
    "max_connections = 24\n";

const std::string kOrigin = "http://shop.test";
const char* kMethods[] = {"get", "put", "post", "delete", "options", "head", "patch", "trace"};

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

std::string lower(std::string s) {
  for (auto& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string upper(std::string s) {
  for (auto& c : s) c = char(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string str(const json::value& v) {
  return v.is_string() ? std::string(v.as_string()) : json::serialize(v);
}

std::string percent_encode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(char(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

// The first of a list of problems, "" when there is none (QVERIFY2 evaluates its message always).
std::string first_of(const std::vector<std::string>& problems) {
  return problems.empty() ? std::string() : problems.front();
}

std::string base64(const std::string& s) {
  return QByteArray::fromStdString(s).toBase64().toStdString();
}

// The value of cookie `name` in a Set-Cookie header ("" when it is not set there).
std::string set_cookie_value(const HttpReply& r, const std::string& name) {
  std::stringstream lines(r.header("set-cookie"));
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(name + "=", 0) != 0) continue;
    auto end = line.find(';');
    return line.substr(name.size() + 1, end == std::string::npos ? end : end - name.size() - 1);
  }
  return {};
}

// A reply read off a raw socket (for the tests that misbehave on purpose).
HttpReply parse_raw_reply(const std::string& raw) {
  HttpReply r;
  auto end = raw.find("\r\n\r\n");
  if (raw.rfind("HTTP/1.1 ", 0) != 0 || end == std::string::npos) return r;
  r.status = std::stoi(raw.substr(9, 3));
  std::stringstream head(raw.substr(0, end));
  std::string line;
  std::getline(head, line);
  while (std::getline(head, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    auto value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    r.headers[lower(line.substr(0, colon))] = value;
  }
  r.body = raw.substr(end + 4);
  return r;
}

// The document, with a checker of values against its schemas: `type`, `enum`, `nullable`,
// `required`, `properties`, `items`, `allOf`, `oneOf`/`anyOf` (one alternative must pass) and
// `$ref` into the document. Formats, patterns and bounds are not checked.
class Spec {
 public:
  json::object doc;

  const json::value* pointer(const std::string& ref) const {
    if (ref.rfind("#/", 0) != 0) return nullptr;
    const json::value* at = nullptr;
    const json::object* o = &doc;
    std::stringstream parts(ref.substr(2));
    for (std::string part; std::getline(parts, part, '/');) {
      if (!o) return nullptr;
      for (std::size_t p; (p = part.find("~1")) != std::string::npos;) part.replace(p, 2, "/");
      for (std::size_t p; (p = part.find("~0")) != std::string::npos;) part.replace(p, 2, "~");
      at = o->if_contains(part);
      if (!at) return nullptr;
      o = at->if_object();
    }
    return at;
  }

  // Follows $ref chains; nullptr when one does not resolve to an object.
  const json::object* resolve(const json::value& v) const {
    const json::object* o = v.if_object();
    for (int hops = 0; o && o->contains("$ref") && hops < 16; ++hops) {
      const json::value* target = pointer(str(o->at("$ref")));
      o = target ? target->if_object() : nullptr;
    }
    return o;
  }

  const json::object* schema(const std::string& name) const {
    auto* v = pointer("#/components/schemas/" + name);
    return v ? v->if_object() : nullptr;
  }

  void check(const json::value& v, const json::value& schema_value, const std::string& where,
             std::vector<std::string>& errors, int depth = 0) const {
    if (depth > 48) {
      errors.push_back(where + ": schemas nest too deep");
      return;
    }
    const json::object* s = resolve(schema_value);
    if (!s) {
      errors.push_back(where + ": unresolvable schema " + json::serialize(schema_value));
      return;
    }
    auto flag = [&](const char* key) {
      auto* f = s->if_contains(key);
      return f && f->is_bool() && f->as_bool();
    };
    if (v.is_null()) {
      bool constrained = s->contains("type") || s->contains("allOf") || s->contains("oneOf") ||
                         s->contains("anyOf") || s->contains("enum");
      if (constrained && !flag("nullable")) errors.push_back(where + ": null is not allowed");
      return;
    }
    if (auto* all = s->if_contains("allOf"); all && all->is_array())
      for (const auto& sub : all->as_array()) check(v, sub, where, errors, depth + 1);
    for (const char* key : {"oneOf", "anyOf"}) {
      auto* any = s->if_contains(key);
      if (!any || !any->is_array()) continue;
      std::vector<std::string> first;
      bool passed = false;
      for (const auto& sub : any->as_array()) {
        std::vector<std::string> e;
        check(v, sub, where, e, depth + 1);
        if (e.empty()) {
          passed = true;
          break;
        }
        if (first.empty()) first = e;
      }
      if (!passed)
        errors.push_back(where + ": matches none of " + key +
                         (first.empty() ? std::string() : " (first: " + first.front() + ")"));
    }
    if (auto* t = s->if_contains("type")) {
      const std::string type = str(*t);
      bool ok = type == "object"    ? v.is_object()
                : type == "array"   ? v.is_array()
                : type == "string"  ? v.is_string()
                : type == "boolean" ? v.is_bool()
                : type == "number"  ? v.is_number()
                : type == "integer"
                    ? (v.is_int64() || v.is_uint64() ||
                       (v.is_double() && v.as_double() == double(std::int64_t(v.as_double()))))
                    : true;
      if (!ok) {
        errors.push_back(where + ": " + json::serialize(v).substr(0, 60) + " is not of type " +
                         type);
        return;
      }
    }
    if (auto* e = s->if_contains("enum"); e && e->is_array()) {
      bool listed = false;
      for (const auto& allowed : e->as_array()) listed = listed || allowed == v;
      if (!listed) errors.push_back(where + ": " + json::serialize(v) + " is not in the enum");
    }
    if (v.is_object()) {
      const auto& o = v.as_object();
      if (auto* req = s->if_contains("required"); req && req->is_array())
        for (const auto& name : req->as_array())
          if (!o.contains(str(name)))
            errors.push_back(where + ": required `" + str(name) + "` is missing");
      if (auto* props = s->if_contains("properties"); props && props->is_object())
        for (const auto& [name, sub] : props->as_object())
          if (auto* member = o.if_contains(name))
            check(*member, sub, where + "." + std::string(name), errors, depth + 1);
    }
    if (v.is_array())
      if (auto* items = s->if_contains("items")) {
        const auto& a = v.as_array();
        for (std::size_t i = 0; i < a.size(); ++i)
          check(a[i], *items, where + "[" + std::to_string(i) + "]", errors, depth + 1);
      }
  }

  // Does `reply` match what `operation` documents for its status? Problems, empty when it does.
  std::vector<std::string> check_reply(const json::object& operation, const HttpReply& reply,
                                       const std::string& label) const {
    std::vector<std::string> errors;
    const auto& responses = operation.at("responses").as_object();
    const std::string status = std::to_string(reply.status);
    auto* documented = responses.if_contains(status);
    if (!documented) {
      std::string listed;
      for (const auto& [code, r] : responses) listed += " " + std::string(code);
      errors.push_back(label + ": status " + status + " is not documented (documented:" + listed +
                       "); body " + reply.body.substr(0, 200));
      return errors;
    }
    const json::object* response = resolve(*documented);
    if (!response) {
      errors.push_back(label + ": the response for " + status + " does not resolve");
      return errors;
    }
    if (auto* headers = response->if_contains("headers"))
      for (const auto& [name, h] : headers->as_object()) {
        const json::object* header = resolve(h);
        auto* required = header ? header->if_contains("required") : nullptr;
        if (required && required->is_bool() && required->as_bool() &&
            reply.header(std::string(name)).empty())
          errors.push_back(label + ": " + status + " without the required header " +
                           std::string(name));
      }
    auto* content = response->if_contains("content");
    if (!content) return errors;
    std::string type = lower(reply.header("content-type"));
    type = type.substr(0, type.find(';'));
    while (!type.empty() && type.back() == ' ') type.pop_back();
    auto* media = content->as_object().if_contains(type);
    if (!media) {
      std::string listed;
      for (const auto& [m, c] : content->as_object()) listed += " " + std::string(m);
      errors.push_back(label + ": " + status + " with Content-Type '" + type +
                       "', documented:" + listed);
      return errors;
    }
    if (type != "application/json" || !media->as_object().contains("schema")) return errors;
    boost::system::error_code ec;
    auto body = json::parse(reply.body, ec);
    if (ec) {
      errors.push_back(label + ": " + status + " body is not JSON: " + reply.body.substr(0, 200));
      return errors;
    }
    std::vector<std::string> problems;
    check(body, media->as_object().at("schema"), "body", problems);
    for (const auto& p : problems)
      errors.push_back(label + ": " + status + " " + p + "; body " + reply.body.substr(0, 300));
    return errors;
  }

  // Every operation as (path, method, operation object), in document order.
  struct Operation {
    std::string path, method;
    const json::object* op;
  };
  std::vector<Operation> operations() const {
    std::vector<Operation> out;
    for (const auto& [path, item] : doc.at("paths").as_object())
      for (const char* m : kMethods)
        if (auto* op = item.as_object().if_contains(m))
          out.push_back({std::string(path), m, &op->as_object()});
    return out;
  }

  bool documents(const std::string& path, const std::string& method) const {
    auto* item = doc.at("paths").as_object().if_contains(path);
    return item && item->as_object().contains(lower(method));
  }

  // The JSON schema of a component response (NotFound, MethodNotAllowed, ...) and the error code
  // of its first example.
  std::pair<const json::value*, std::string> error_response(const std::string& name) const {
    auto* r = pointer("#/components/responses/" + name);
    if (!r) return {nullptr, {}};
    const auto& media = r->at("content").at("application/json").as_object();
    std::string code;
    if (auto* ex = media.if_contains("examples"); ex && !ex->as_object().empty())
      code = str(ex->as_object().begin()->value().at("value").at("error").at("code"));
    return {media.if_contains("schema"), code};
  }
};

// One example request as built from an operation's `x-request-examples` entry.
struct ExampleRequest {
  std::string label;
  HttpCall call;
  int status = 0;
  std::string body_name;
  std::string media;  // the requestBody media type the body example came from
};

// A bare WebSocket client: the handshake, masked text frames out, frames in.
class WsClient {
 public:
  WsClient(int port, const std::string& target, std::vector<std::string> headers) : conn_(port) {
    std::string req = "GET " + target +
                      " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\n"
                      "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
    for (const auto& h : headers) req += h + "\r\n";
    req += "\r\n";
    if (!conn_.connected() || !conn_.write_raw(req)) return;
    while (buf_.find("\r\n\r\n") == std::string::npos)
      if (!read_more(3000)) return;
    auto end = buf_.find("\r\n\r\n");
    reply_ = parse_raw_reply(buf_.substr(0, end + 4));
    buf_.erase(0, end + 4);
  }
  const HttpReply& reply() const { return reply_; }

  bool send_text(const std::string& text) {
    std::string frame;
    frame.push_back(char(0x81));
    if (text.size() < 126) {
      frame.push_back(char(0x80 | text.size()));
    } else {
      frame.push_back(char(0x80 | 126));
      frame.push_back(char((text.size() >> 8) & 0xff));
      frame.push_back(char(text.size() & 0xff));
    }
    const unsigned char mask[4] = {0x12, 0x34, 0x56, 0x78};
    frame.append(reinterpret_cast<const char*>(mask), 4);
    for (std::size_t i = 0; i < text.size(); ++i) frame.push_back(char(text[i] ^ mask[i % 4]));
    return conn_.write_raw(frame);
  }

  // The next text message, or nullopt when none comes within `timeout_ms`.
  std::optional<std::string> next_text(int timeout_ms) {
    for (;;) {
      if (buf_.size() >= 2) {
        auto b1 = static_cast<unsigned char>(buf_[1]);
        std::size_t len = b1 & 0x7f, off = 2;
        if (len == 126 && buf_.size() >= 4) {
          len = (std::size_t(static_cast<unsigned char>(buf_[2])) << 8) |
                static_cast<unsigned char>(buf_[3]);
          off = 4;
        }
        if (len != 126 && len != 127 && buf_.size() >= off + len) {
          int opcode = buf_[0] & 0x0f;
          std::string payload = buf_.substr(off, len);
          buf_.erase(0, off + len);
          if (opcode == 1) return payload;
          if (opcode == 8) return std::nullopt;  // closed
          continue;                              // ping, pong: not messages
        }
      }
      if (!read_more(timeout_ms)) return std::nullopt;
    }
  }

 private:
  bool read_more(int timeout_ms) {
    pollfd p{conn_.fd(), POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return false;
    char chunk[8192];
    auto n = ::recv(conn_.fd(), chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buf_.append(chunk, std::size_t(n));
    return true;
  }

  HttpConnection conn_;
  std::string buf_;
  HttpReply reply_;
};

}  // namespace

class OpenApiConformance : public QObject {
  Q_OBJECT

  Spec spec_;
  std::unique_ptr<EngineProcess> engine_;
  int port_ = 0;
  std::string secret_, site_key_, prefs_cookie_, widget_etag_;
  int next_id_ = 0;

  json::object web_status() { return engine_->result("web.status").value().as_object(); }

  // A fresh storefront session whose cart holds one P01.
  std::string shop_session() {
    auto r = http(port_, HttpCall{"GET", "/shop/api/cart", {}, {}});
    std::string session = set_cookie_value(r, "shop_session");
    json::object item{{"product_id", "P01"}, {"quantity", 1}};
    http(port_, json_post("/shop/api/cart/items", json::serialize(item),
                          {{"Cookie", "shop_session=" + session}}));
    return session;
  }

  // An order placed in `session` (which then has an empty cart).
  std::string place_order(const std::string& session) {
    json::object order{
        {"shipping",
         {{"name", "Grace Hopper"},
          {"email", "grace@example.com"},
          {"address", "1 Harbour Road"},
          {"city", "Arlington"},
          {"postcode", "22201"},
          {"country", "US"}}},
        {"payment", {{"card_number", "4242424242424242"}, {"expiry", "12/39"}, {"cvc", "123"}}}};
    auto r = http(port_, json_post("/shop/api/orders", json::serialize(order),
                                   {{"Cookie", "shop_session=" + session}}));
    if (r.status != 201) return "(no order: " + std::to_string(r.status) + ")";
    return str(json::parse(r.body).at("order_id"));
  }

  // Replaces the {{placeholders}} of `text`; names it does not know are added to `unknown`.
  std::string substitute(const std::string& text, std::map<std::string, std::string>& values,
                         std::vector<std::string>& unknown) {
    std::string out;
    std::size_t at = 0;
    for (;;) {
      auto open = text.find("{{", at);
      if (open == std::string::npos) break;
      auto close = text.find("}}", open);
      if (close == std::string::npos) break;
      out += text.substr(at, open - at);
      std::string name = text.substr(open + 2, close - open - 2);
      if (name == "message_id") {
        out += "conformance-" + std::to_string(++next_id_);  // a new one at every use
      } else if (name == "shop_session" || name == "order_id") {
        if (!values.count("shop_session")) values["shop_session"] = shop_session();
        if (name == "order_id" && !values.count("order_id"))
          values["order_id"] = place_order(values["shop_session"]);
        out += values[name];
      } else if (auto it = values.find(name); it != values.end()) {
        out += it->second;
      } else {
        unknown.push_back(name);
        out += text.substr(open, close + 2 - open);
      }
      at = close + 2;
    }
    return out + text.substr(at);
  }

  const json::object* request_body_example(const json::object& op, const std::string& name,
                                           std::string& media) {
    auto* rb = op.if_contains("requestBody");
    const json::object* body = rb ? spec_.resolve(*rb) : nullptr;
    if (!body) return nullptr;
    for (const auto& [m, c] : body->at("content").as_object()) {
      auto* examples = c.as_object().if_contains("examples");
      auto* ex = examples ? examples->as_object().if_contains(name) : nullptr;
      if (ex && spec_.resolve(*ex)) {
        media = std::string(m);
        return spec_.resolve(*ex);
      }
    }
    return nullptr;
  }

  // Builds every example request of an operation; problems with the document go to `errors`.
  std::vector<ExampleRequest> examples_of(const Spec::Operation& o,
                                          std::vector<std::string>& errors) {
    std::vector<ExampleRequest> out;
    auto* list = o.op->if_contains("x-request-examples");
    if (!list || !list->is_array()) return out;
    std::map<std::string, std::string> path_defaults;
    if (auto* params = o.op->if_contains("parameters"))
      for (const auto& p : params->as_array()) {
        const json::object* param = spec_.resolve(p);
        if (param && str(param->at("in")) == "path" && param->contains("example"))
          path_defaults[str(param->at("name"))] = str(param->at("example"));
      }
    for (const auto& entry : list->as_array()) {
      const auto& e = entry.as_object();
      ExampleRequest x;
      x.label = upper(o.method) + " " + o.path + " (" + str(e.at("summary")) + ")";
      x.status = int(e.at("status").to_number<std::int64_t>());
      std::map<std::string, std::string> values{
          {"secret_key", secret_},         {"basic_auth", base64(secret_ + ":")},
          {"site_key", site_key_},         {"origin", kOrigin},
          {"prefs_cookie", prefs_cookie_}, {"widget_etag", widget_etag_}};
      std::vector<std::string> unknown;
      std::string path = o.path;
      for (auto [name, value] : path_defaults) {
        if (auto* given = e.if_contains("path"); given && given->as_object().contains(name))
          value = str(given->as_object().at(name));
        auto at = path.find("{" + name + "}");
        if (at != std::string::npos)
          path.replace(at, name.size() + 2, substitute(value, values, unknown));
      }
      if (path.find('{') != std::string::npos)
        errors.push_back(x.label + ": path parameter without a value in " + path);
      std::string query;
      if (auto* q = e.if_contains("query"))
        for (const auto& [k, v] : q->as_object())
          query += (query.empty() ? "?" : "&") + std::string(k) + "=" +
                   percent_encode(substitute(str(v), values, unknown));
      x.call.method = upper(o.method);
      x.call.path = path + query;
      bool has_type = false;
      if (auto* h = e.if_contains("headers"))
        for (const auto& [k, v] : h->as_object()) {
          has_type = has_type || lower(std::string(k)) == "content-type";
          x.call.headers.emplace_back(std::string(k), substitute(str(v), values, unknown));
        }
      if (auto* b = e.if_contains("body")) {
        x.body_name = str(*b);
        const json::object* example = request_body_example(*o.op, x.body_name, x.media);
        if (!example || !example->contains("value")) {
          errors.push_back(x.label + ": no requestBody example named " + x.body_name);
          continue;
        }
        const auto& value = example->at("value");
        x.call.body =
            substitute(value.is_string() ? str(value) : json::serialize(value), values, unknown);
        if (!has_type) x.call.headers.emplace_back("Content-Type", x.media);
      }
      for (const auto& name : unknown)
        errors.push_back(x.label + ": unknown placeholder {{" + name + "}}");
      out.push_back(std::move(x));
    }
    return out;
  }

  const json::object& operation(const std::string& path, const std::string& method) {
    return spec_.doc.at("paths").at(path).at(method).as_object();
  }

 private slots:
  void initTestCase() {
    boost::system::error_code ec;
    auto text = read_text(source_path("docs/api/openapi.json"));
    auto doc = json::parse(text, ec);
    QVERIFY2(!ec && doc.is_object(), "docs/api/openapi.json does not parse as a JSON object");
    spec_.doc = doc.as_object();
    engine_ = std::make_unique<EngineProcess>(EngineOptions{.toml = kConfig});
    QVERIFY2(engine_->start(), qPrintable(engine_->failure()));
    port_ = int(web_status().at("port").as_int64());
    QVERIFY(port_ > 0);
    auto t = engine_->result("tenant.add",
                             {{"name", "conformance-shop"}, {"origins", json::array{kOrigin}}});
    QVERIFY(t);
    secret_ = str(t->at("secret_key"));
    site_key_ = str(t->at("site_key"));
    json::object prefs{
        {"mode", "voip"}, {"language", "en"}, {"remember", true}, {"consent_text", "yes"}};
    auto r = http(port_, json_post("/v1/preferences", json::serialize(prefs),
                                   {{"Origin", kOrigin}, {"X-Proffer-Site-Key", site_key_}}));
    prefs_cookie_ = set_cookie_value(r, "proffer_prefs");
    QVERIFY2(!prefs_cookie_.empty(), r.body.c_str());
    widget_etag_ = http(port_, HttpCall{"GET", "/widget.js", {}, {}}).header("etag");
    QVERIFY(!widget_etag_.empty());
  }

  void the_document_is_openapi_3_0_3_and_every_reference_resolves() {
    QCOMPARE(str(spec_.doc.at("openapi")), std::string("3.0.3"));
    std::vector<std::string> broken;
    std::function<void(const json::value&)> walk = [&](const json::value& v) {
      if (v.is_object()) {
        for (const auto& [k, sub] : v.as_object()) {
          if (k == "$ref" && !spec_.pointer(str(sub))) broken.push_back(str(sub));
          walk(sub);
        }
      } else if (v.is_array()) {
        for (const auto& sub : v.as_array()) walk(sub);
      }
    };
    walk(spec_.doc);
    QVERIFY2(broken.empty(), qPrintable(QString::fromStdString("unresolved: " + first_of(broken))));
    for (auto name : {"Error", "ErrorCode", "SegmentTrack", "Batch", "Ga4Collect",
                      "PreferencesRequest", "PreferencesResponse", "Product", "Cart", "Order",
                      "EngageServerMessage", "EngagePageMessage"})
      QVERIFY2(spec_.schema(name), name);
    for (auto name : {"bearer", "basic", "siteKey"})
      QVERIFY2(spec_.pointer(std::string("#/components/securitySchemes/") + name), name);
  }

  void every_operation_documents_example_requests_and_their_statuses() {
    std::vector<std::string> errors;
    std::set<std::string> ids;
    std::size_t requests = 0;
    for (const auto& o : spec_.operations()) {
      const std::string label = upper(o.method) + " " + o.path;
      auto* id = o.op->if_contains("operationId");
      if (!id || !ids.insert(str(*id)).second)
        errors.push_back(label + ": no operationId, or one used twice");
      auto* list = o.op->if_contains("x-request-examples");
      if (!list || !list->is_array() || list->as_array().empty()) {
        errors.push_back(label + ": no x-request-examples");
        continue;
      }
      const auto& responses = o.op->at("responses").as_object();
      std::set<std::string> used_bodies;
      for (const auto& e : list->as_array()) {
        ++requests;
        auto status = std::to_string(e.at("status").to_number<std::int64_t>());
        if (!responses.contains(status))
          errors.push_back(label + " (" + str(e.at("summary")) + "): status " + status +
                           " is not among the documented responses");
        if (auto* b = e.as_object().if_contains("body")) used_bodies.insert(str(*b));
      }
      // Every request body example is sent by some example request.
      if (auto* rb = o.op->if_contains("requestBody"))
        for (const auto& [m, c] : spec_.resolve(*rb)->at("content").as_object())
          if (auto* ex = c.as_object().if_contains("examples"))
            for (const auto& [name, x] : ex->as_object())
              if (!used_bodies.count(std::string(name)))
                errors.push_back(label + ": body example " + std::string(name) + " is never sent");
    }
    qInfo("%zu operations, %zu example requests", spec_.operations().size(), requests);
    QVERIFY(spec_.operations().size() >= 20);
    QVERIFY2(errors.empty(), qPrintable(QString::fromStdString(first_of(errors))));
  }

  void every_route_of_the_engine_is_documented() {
    struct Route {
      std::string method, path;
      bool takes_id;
      std::string source;
    };
    std::vector<Route> routes;
    auto scan = [&](const std::string& file, const std::regex& re, bool storefront) {
      std::string text = read_text(source_path(file));
      std::size_t found = 0;
      for (std::sregex_iterator it(text.begin(), text.end(), re), end; it != end; ++it, ++found)
        routes.push_back(
            {(*it)[1].str(), (*it)[2].str(), storefront && (*it)[3].str() == "true", file});
      return found;
    };
    auto plane = scan("engine/src/web/plane.cpp",
                      std::regex("\\{\"([A-Z]+)\",\\s*\"(/[^\"]*)\",\\s*(&)WebPlane::"), false);
    auto shop = scan(
        "engine/src/web/storefront.cpp",
        std::regex("\\{\"([A-Z]+)\",\\s*\"(/[^\"]*)\",\\s*(true|false),\\s*&Storefront::"), true);
    std::string engage_src = read_text(source_path("engine/src/web/engage_api.cpp"));
    std::smatch m;
    QVERIFY(std::regex_search(engage_src, m, std::regex("r\\.path != \"(/[^\"]+)\"")));
    routes.push_back({"GET", m[1].str(), false, "engine/src/web/engage_api.cpp"});
    qInfo("route tables: %zu in plane.cpp, %zu in storefront.cpp, 1 in engage_api.cpp", plane,
          shop);
    QVERIFY2(plane >= 8, "the route table of plane.cpp was not found");
    QVERIFY2(shop >= 8, "the route table of storefront.cpp was not found");
    std::vector<std::string> missing;
    for (const auto& r : routes) {
      bool found = false;
      if (!r.takes_id) {
        found = spec_.documents(r.path, r.method);
      } else {
        // A prefix ending in '/' followed by one path segment: documented as prefix + "{name}".
        for (const auto& [path, item] : spec_.doc.at("paths").as_object()) {
          std::string p(path);
          if (p.rfind(r.path, 0) != 0) continue;
          std::string rest = p.substr(r.path.size());
          if (rest.size() > 2 && rest.front() == '{' && rest.back() == '}' &&
              rest.find('/') == std::string::npos && item.as_object().contains(lower(r.method)))
            found = true;
        }
      }
      if (!found)
        missing.push_back(r.method + " " + r.path + (r.takes_id ? "{id}" : "") + " (" + r.source +
                          ")");
    }
    QVERIFY2(missing.empty(),
             qPrintable(QString::fromStdString("undocumented route: " + first_of(missing))));
  }

  void every_error_code_in_the_web_plane_source_is_in_the_error_code_enum() {
    std::set<std::string> codes;
    for (const auto& v : spec_.schema("ErrorCode")->at("enum").as_array()) codes.insert(str(v));
    std::set<std::string> engage_codes;
    for (const auto& v :
         spec_.schema("EngageError")->at("properties").at("code").at("enum").as_array())
      engage_codes.insert(str(v));
    std::regex http_error("HttpResponse::error\\(\\s*(\\d{3}),\\s*\"([a-z_]+)\"");
    std::regex core_error("core::Error\\{\"([a-z_]+)\"");
    std::regex ws_error("error_message\\(\"([a-z_]+)\"");
    std::vector<std::string> missing;
    std::size_t seen = 0;
    for (auto file : {"server.cpp", "plane.cpp", "events_api.cpp", "preferences_api.cpp",
                      "engage_api.cpp", "storefront.cpp", "ecommerce.cpp", "money.cpp"}) {
      std::string text = read_text(source_path(std::string("engine/src/web/") + file));
      QVERIFY2(!text.empty(), file);
      for (std::sregex_iterator it(text.begin(), text.end(), http_error), end; it != end; ++it) {
        ++seen;
        if (!codes.count((*it)[2].str())) missing.push_back((*it)[2].str() + " in " + file);
      }
      // core::Error codes reach HTTP from these files (server.cpp's and storefront.cpp's are
      // start-up failures).
      const std::string name(file);
      const bool to_http = name == "plane.cpp" || name == "events_api.cpp" ||
                           name == "ecommerce.cpp" || name == "money.cpp";
      for (std::sregex_iterator it(text.begin(), text.end(), core_error), end; to_http && it != end;
           ++it) {
        ++seen;
        if (!codes.count((*it)[1].str())) missing.push_back((*it)[1].str() + " in " + file);
      }
      for (std::sregex_iterator it(text.begin(), text.end(), ws_error), end; it != end; ++it) {
        ++seen;
        if (!engage_codes.count((*it)[1].str()))
          missing.push_back((*it)[1].str() + " (engage) in " + file);
      }
    }
    qInfo("%zu error sites in the web plane's source", seen);
    QVERIFY(seen >= 20);
    QVERIFY2(missing.empty(),
             qPrintable(QString::fromStdString("undocumented error code: " + first_of(missing))));
  }

  void every_example_request_gets_its_documented_status_and_shape() {
    QElapsedTimer timer;
    timer.start();
    std::vector<std::string> errors;
    std::size_t sent = 0, operations = 0;
    for (const auto& o : spec_.operations()) {
      auto examples = examples_of(o, errors);
      if (!examples.empty()) ++operations;
      for (const auto& x : examples) {
        auto reply = http(port_, x.call);
        ++sent;
        if (reply.status != x.status)
          errors.push_back(x.label + ": " + x.call.method + " " + x.call.path + " answered " +
                           std::to_string(reply.status) + ", the example documents " +
                           std::to_string(x.status) + "; body " + reply.body.substr(0, 300));
        for (auto& e : spec_.check_reply(*o.op, reply, x.label)) errors.push_back(std::move(e));
      }
    }
    qInfo("%zu example requests of %zu operations sent in %lld ms", sent, operations,
          timer.elapsed());
    for (const auto& e : errors) qWarning("%s", e.c_str());
    QVERIFY(sent >= 60);
    QVERIFY2(errors.empty(), qPrintable(QString("%1 of the checks failed; first: %2")
                                            .arg(errors.size())
                                            .arg(QString::fromStdString(first_of(errors)))));
  }

  void successful_example_bodies_satisfy_their_request_schemas() {
    std::vector<std::string> errors;
    std::size_t checked = 0;
    for (const auto& o : spec_.operations()) {
      for (const auto& x : examples_of(o, errors)) {
        if (x.body_name.empty() || x.status >= 300) continue;
        boost::system::error_code ec;
        auto body = json::parse(x.call.body, ec);
        if (ec) continue;  // a raw body, sent as written
        const auto& rb = *spec_.resolve(o.op->at("requestBody"));
        const auto& media = rb.at("content").at(x.media).as_object();
        std::vector<std::string> problems;
        spec_.check(body, media.at("schema"), "request", problems);
        ++checked;
        for (const auto& p : problems) errors.push_back(x.label + ": " + p);
      }
    }
    qInfo("%zu request bodies checked against their schemas", checked);
    QVERIFY(checked >= 10);
    QVERIFY2(errors.empty(), qPrintable(QString::fromStdString(first_of(errors))));
  }

  void unknown_paths_answer_the_documented_404_error() {
    auto [schema, code] = spec_.error_response("NotFound");
    QVERIFY(schema);
    QCOMPARE(code, std::string("not_found"));
    const std::pair<const char*, const char*> calls[] = {
        {"GET", "/nope"},
        {"GET", "/v2/track"},
        {"POST", "/v1/trackx"},
        {"GET", "/shop/api/"},
        {"GET", "/shop/api/nothing"},
        {"DELETE", "/shop/api/products/P01/x"},
        {"POST", "/widget.js"},
        {"GET", "/shop/img/none.svg"},
        {"PUT", "/"},
    };
    for (const auto& [method, path] : calls) {
      auto r = http(port_, HttpCall{method, path, {}, {}});
      auto label = QString("%1 %2: %3 %4").arg(method, path).arg(r.status).arg(r.body.c_str());
      QVERIFY2(r.status == 404, qPrintable(label));
      std::vector<std::string> problems;
      spec_.check(json::parse(r.body), *schema, "body", problems);
      QVERIFY2(problems.empty(), qPrintable(label));
      QCOMPARE(str(json::parse(r.body).at("error").at("code")), code);
    }
  }

  void wrong_methods_on_api_paths_answer_the_documented_405_error() {
    auto [schema, code] = spec_.error_response("MethodNotAllowed");
    QVERIFY(schema);
    QCOMPARE(code, std::string("method_not_allowed"));
    const std::pair<const char*, const char*> calls[] = {
        {"GET", "/v1/track"},        {"PUT", "/healthz"},
        {"DELETE", "/v1/batch"},     {"POST", "/metrics"},
        {"PUT", "/v1/preferences"},  {"GET", "/mp/collect"},
        {"HEAD", "/v1/track"},       {"PATCH", "/shop/api/cart"},
        {"GET", "/shop/api/orders"}, {"POST", "/shop/api/products/P01"},
    };
    for (const auto& [method, path] : calls) {
      // The list is only meaningful for methods the document does not give these paths.
      QVERIFY2(!spec_.documents(path, method), path);
      auto r = http(port_, HttpCall{method, path, {}, {}});
      auto label = QString("%1 %2: %3 %4").arg(method, path).arg(r.status).arg(r.body.c_str());
      QVERIFY2(r.status == 405, qPrintable(label));
      if (std::string(method) == "HEAD") continue;  // no body to a HEAD
      std::vector<std::string> problems;
      spec_.check(json::parse(r.body), *schema, "body", problems);
      QVERIFY2(problems.empty(), qPrintable(label));
      QCOMPARE(str(json::parse(r.body).at("error").at("code")), code);
    }
  }

  void the_engage_socket_speaks_the_documented_messages() {
    const json::object* server = spec_.schema("EngageServerMessage");
    const json::object* page = spec_.schema("EngagePageMessage");
    QVERIFY(server && page);
    auto conforms = [&](const std::string& text, const json::object& schema,
                        const std::string& type) -> std::string {
      boost::system::error_code ec;
      auto v = json::parse(text, ec);
      if (ec) return "not JSON: " + text;
      std::vector<std::string> problems;
      spec_.check(v, schema, "message", problems);
      if (!problems.empty()) return problems.front() + " in " + text;
      if (str(v.at("type")) != type) return "expected " + type + ", got " + text;
      return {};
    };
    auto target = "/v1/engage?site_key=" + site_key_ + "&anonymous_id=conformance-ws";
    for (bool with_cookie : {false, true}) {
      std::vector<std::string> headers{"Origin: " + kOrigin};
      if (with_cookie) headers.push_back("Cookie: proffer_prefs=" + prefs_cookie_);
      WsClient ws(port_, target, headers);
      auto problems = spec_.check_reply(operation("/v1/engage", "get"), ws.reply(), "upgrade");
      QVERIFY2(ws.reply().status == 101, qPrintable(QString::number(ws.reply().status)));
      QVERIFY2(problems.empty(), first_of(problems).c_str());
      auto hello = ws.next_text(3000);
      QVERIFY(hello);
      auto why = conforms(*hello, *server, "hello");
      QVERIFY2(why.empty(), why.c_str());
      QCOMPARE(json::parse(*hello).at("preferences").is_object(), with_cookie);
      // What the page sends is checked against the page schema before it is sent.
      for (const auto& [sent, answer] : std::vector<std::pair<std::string, std::string>>{
               {"{\"type\":\"ping\"}", "pong"},
               {"{\"type\":\"resume\",\"last_seq\":0}", ""},
               {"{\"type\":\"signal\",\"name\":\"page_hidden\"}", ""},
               // An offer the engine does not know: told so, unnumbered.
               {"{\"type\":\"offer.decline\",\"id\":\"o-1\"}", "error"},
               {"{\"type\":\"ping\"}", "pong"}}) {
        auto valid = conforms(sent, *page, str(json::parse(sent).at("type")));
        QVERIFY2(valid.empty(), valid.c_str());
        QVERIFY(ws.send_text(sent));
        if (answer.empty()) continue;
        auto got = ws.next_text(3000);
        QVERIFY2(got, qPrintable(QString::fromStdString("no answer to " + sent)));
        auto bad = conforms(*got, *server, answer);
        QVERIFY2(bad.empty(), bad.c_str());
      }
      // What the engine cannot read is answered with a documented error.
      for (const std::string& junk :
           {std::string("not json"), std::string("{\"type\":\"teleport\"}")}) {
        QVERIFY(ws.send_text(junk));
        auto got = ws.next_text(3000);
        QVERIFY2(got, qPrintable(QString::fromStdString("no answer to " + junk)));
        auto bad = conforms(*got, *server, "error");
        QVERIFY2(bad.empty(), bad.c_str());
      }
    }
  }

  void an_oversized_body_is_answered_413_as_documented() {
    std::string big = "{\"padding\":\"" + std::string(8000, 'x') + "\"}";
    auto r = http(port_, json_post("/v1/track", big, {{"Authorization", "Bearer " + secret_}}));
    QCOMPARE(r.status, 413);
    auto problems = spec_.check_reply(operation("/v1/track", "post"), r, "413");
    QVERIFY2(problems.empty(), first_of(problems).c_str());
    QCOMPARE(str(json::parse(r.body).at("error").at("code")), std::string("body_too_large"));
  }

  void oversized_headers_are_answered_431_as_documented() {
    auto r = http(port_, HttpCall{"GET", "/healthz", {{"X-Padding", std::string(9000, 'x')}}, {}});
    QCOMPARE(r.status, 431);
    auto problems = spec_.check_reply(operation("/healthz", "get"), r, "431");
    QVERIFY2(problems.empty(), first_of(problems).c_str());
    QCOMPARE(str(json::parse(r.body).at("error").at("code")), std::string("headers_too_large"));
  }

  void a_request_that_does_not_arrive_in_time_is_answered_408_as_documented() {
    HttpConnection slow(port_);
    QVERIFY(slow.write_raw("POST /v1/track HTTP/1.1\r\nHost: x\r\nContent-Len"));
    auto r = parse_raw_reply(slow.read_until_close(5000));
    QCOMPARE(r.status, 408);
    auto problems = spec_.check_reply(operation("/v1/track", "post"), r, "408");
    QVERIFY2(problems.empty(), first_of(problems).c_str());
    QCOMPARE(str(json::parse(r.body).at("error").at("code")), std::string("timeout"));
  }

  void connections_over_the_cap_are_answered_503_as_documented() {
    QVERIFY(wait_until([&] { return web_status().at("connections_open").as_int64() == 0; }, 10000));
    std::vector<std::unique_ptr<HttpConnection>> idle;
    for (int i = 0; i < 24; ++i) idle.push_back(std::make_unique<HttpConnection>(port_));
    QVERIFY(
        wait_until([&] { return web_status().at("connections_open").as_int64() >= 24; }, 10000));
    auto r = http(port_, HttpCall{"GET", "/healthz", {}, {}});
    QCOMPARE(r.status, 503);
    auto problems = spec_.check_reply(operation("/healthz", "get"), r, "503");
    QVERIFY2(problems.empty(), first_of(problems).c_str());
    QCOMPARE(str(json::parse(r.body).at("error").at("code")), std::string("over_capacity"));
    idle.clear();
    QVERIFY(wait_until([&] { return web_status().at("connections_open").as_int64() == 0; }, 10000));
    QCOMPARE(http(port_, HttpCall{"GET", "/healthz", {}, {}}).status, 200);
  }

  void cleanupTestCase() {
    if (engine_) PROFFER_VERIFY_ENGINE_STOPS(*engine_);
  }
};

QTEST_GUILESS_MAIN(OpenApiConformance)
#include "test_openapi_conformance.moc"
