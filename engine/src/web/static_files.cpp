#include "static_files.hpp"

#include <spdlog/spdlog.h>
#include <zlib.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace proffer::web {
namespace {

namespace fs = std::filesystem;

struct Type {
  std::string_view extension;
  std::string_view content_type;
  bool compress;
};
constexpr std::array kTypes = {
    Type{".html", "text/html; charset=utf-8", true},
    Type{".js", "text/javascript; charset=utf-8", true},
    Type{".mjs", "text/javascript; charset=utf-8", true},
    Type{".css", "text/css; charset=utf-8", true},
    Type{".json", "application/json", true},
    Type{".svg", "image/svg+xml", true},
    Type{".png", "image/png", false},
    Type{".ico", "image/x-icon", false},
    Type{".wav", "audio/wav", false},
    Type{".txt", "text/plain; charset=utf-8", true},
};

const Type* type_of(const fs::path& p) {
  auto ext = p.extension().string();
  for (const auto& t : kTypes)
    if (t.extension == ext) return &t;
  return nullptr;
}

std::string gzip(const std::string& data) {
  z_stream z{};
  // 15 + 16: a gzip header and trailer rather than zlib's, which is what Content-Encoding: gzip
  // means.
  if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return {};
  std::string out(deflateBound(&z, data.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return rc == Z_STREAM_END ? out : std::string();
}

std::string etag_of(const std::string& body) {
  return "\"" + std::to_string(std::hash<std::string>{}(body)) + "\"";
}

bool accepts_gzip(const HttpRequest& r) {
  return r.header("accept-encoding").find("gzip") != std::string_view::npos;
}

std::string url_of(const fs::path& rel) {
  auto parts = rel.generic_string();
  auto slash = parts.find('/');
  if (slash == std::string::npos) return "/" + parts;
  auto dir = parts.substr(0, slash);
  auto rest = parts.substr(slash + 1);
  if (dir == "shop" && rest.find('/') == std::string::npos && rest.ends_with(".html"))
    return "/" + rest;
  if (dir == "widget") return "/" + rest;
  return "/" + dir + "/" + rest;
}

}  // namespace

core::Status StaticFiles::load(const std::string& assets_dir) {
  std::error_code ec;
  if (!fs::is_directory(assets_dir, ec))
    return core::Error{"web_assets", "web.assets_dir: " + assets_dir + " is not a folder"};
  for (auto it = fs::recursive_directory_iterator(assets_dir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    const Type* type = type_of(it->path());
    if (!type) continue;
    std::ifstream in(it->path(), std::ios::binary);
    std::stringstream buf;
    buf << in.rdbuf();
    File f{std::string(type->content_type), buf.str(), {}, {}, "no-cache"};
    f.etag = etag_of(f.body);
    if (type->compress && f.body.size() > 512) f.gzipped = gzip(f.body);
    // widget.js is loaded by every page of every shop: let browsers keep it a few minutes.
    if (it->path().filename() == "widget.js") f.cache_control = "public, max-age=300";
    add(url_of(fs::relative(it->path(), assets_dir)), std::move(f));
  }
  if (ec)
    return core::Error{"web_assets",
                       "web.assets_dir: cannot read " + assets_dir + ": " + ec.message()};
  if (auto index = files_.find("/index.html"); index != files_.end()) files_["/"] = index->second;
  spdlog::debug("web: {} assets from {}", files_.size(), assets_dir);
  return core::ok_status();
}

void StaticFiles::add(const std::string& url, File file) { files_[url] = std::move(file); }

std::optional<HttpResponse> StaticFiles::serve(const HttpRequest& request) const {
  auto it = files_.find(request.path);
  if (it == files_.end()) return std::nullopt;
  const File& f = it->second;
  HttpResponse r;
  r.content_type = f.content_type;
  r.with_header("ETag", f.etag).with_header("Cache-Control", f.cache_control);
  r.with_header("Vary", "Accept-Encoding");
  if (request.header("if-none-match") == f.etag) {
    r.status = 304;
    return r;
  }
  if (!f.gzipped.empty() && accepts_gzip(request)) {
    r.body = f.gzipped;
    r.with_header("Content-Encoding", "gzip");
  } else {
    r.body = f.body;
  }
  if (request.method == "HEAD") r.body.clear();
  return r;
}

}  // namespace proffer::web
