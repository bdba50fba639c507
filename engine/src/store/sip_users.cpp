// The sip_user table: agent phones that may register with the engine's registrar.
#include "proffer/store/store.hpp"
#include "store_impl.hpp"

namespace proffer::store {
namespace {

constexpr const char* kPutSipUser = R"sql(
  INSERT INTO sip_user (name, realm, ha1, display_name) VALUES (?1, ?2, ?3, ?4)
  ON CONFLICT (name) DO UPDATE SET realm = excluded.realm, ha1 = excluded.ha1,
                                   display_name = excluded.display_name)sql";
constexpr const char* kFindSipUser =
    "SELECT name, realm, ha1, display_name FROM sip_user WHERE name = ?1";
constexpr const char* kSipUsers =
    "SELECT name, realm, ha1, display_name FROM sip_user ORDER BY name";

SipUser read_user(const sql::Statement& s) {
  return SipUser{s.column_text(0), s.column_text(1), s.column_text(2), s.column_text(3)};
}

}  // namespace

void Store::put_sip_user(SipUser user, std::function<void(core::Status)> done) {
  impl_->writer->submit(
      WriteJob{[user = std::move(user)](sql::Database& db) -> core::Status {
                 auto stmt = db.cached(kPutSipUser);
                 if (!stmt) return stmt.error();
                 stmt.value()->bind(1, user.name).bind(2, user.realm).bind(3, user.ha1);
                 stmt.value()->bind(4, user.display_name);
                 if (auto st = stmt.value()->run(); !st)
                   return core::Error{st.error().code,
                                      "put sip user " + user.name + ": " + st.error().message};
                 return core::ok_status();
               },
               std::move(done)});
}

core::Result<std::optional<SipUser>> Store::find_sip_user(const std::string& name) const {
  std::lock_guard lock(impl_->read_mu);
  auto stmt = impl_->reader.cached(kFindSipUser);
  if (!stmt) return stmt.error();
  sql::ScopedReset reset(stmt.value());
  stmt.value()->bind(1, name);
  auto row = stmt.value()->step();
  if (!row) return row.error();
  if (!row.value()) return std::optional<SipUser>{};
  return std::optional<SipUser>{read_user(*stmt.value())};
}

core::Result<std::vector<SipUser>> Store::sip_users() const {
  std::lock_guard lock(impl_->read_mu);
  auto stmt = impl_->reader.cached(kSipUsers);
  if (!stmt) return stmt.error();
  sql::ScopedReset reset(stmt.value());
  std::vector<SipUser> users;
  for (;;) {
    auto row = stmt.value()->step();
    if (!row) return row.error();
    if (!row.value()) break;
    users.push_back(read_user(*stmt.value()));
  }
  return users;
}

}  // namespace proffer::store
