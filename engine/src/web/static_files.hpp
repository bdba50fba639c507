#pragma once
// The assets the engine serves (widget.js, the demo storefront), read once at start and kept in
// memory with a gzip copy of each compressible file and an ETag.
#include <map>
#include <string>

#include "http_types.hpp"
#include "proffer/core/error.hpp"

namespace proffer::web {

class StaticFiles {
 public:
  // assets/shop/<page>.html → /<page>.html (index.html also at /), assets/shop/<rest> →
  // /shop/<rest>, assets/widget/widget.js → /widget.js, any other assets/<dir>/<rest> →
  // /<dir>/<rest>.
  core::Status load(const std::string& assets_dir);
  // nullopt when no file has that path.
  std::optional<HttpResponse> serve(const HttpRequest& request) const;
  std::size_t size() const { return files_.size(); }

 private:
  struct File {
    std::string content_type;
    std::string body;
    std::string gzipped;  // empty when not worth it
    std::string etag;
    std::string cache_control;
  };
  void add(const std::string& url, File file);
  std::map<std::string, File, std::less<>> files_;
};

}  // namespace proffer::web
