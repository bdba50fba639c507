// The offer engine's tables: its decisions with their explanations, offers at each change, and
// verified phone numbers. Upserts by id, so a retried write leaves one row.
#include "proffer/store/store.hpp"
#include "store_impl.hpp"
#include "table_helpers.hpp"

namespace proffer::store {
namespace {

constexpr const char* kPutDecision = R"sql(
  INSERT OR IGNORE INTO engage_decision (id, tenant, session, ts_ms, outcome, rule, explanation)
  VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7))sql";
constexpr const char* kFindDecision = R"sql(
  SELECT id, tenant, session, ts_ms, outcome, rule, explanation FROM engage_decision WHERE id = ?1)sql";
constexpr const char* kDecisions = R"sql(
  SELECT id, tenant, session, ts_ms, outcome, rule, explanation FROM engage_decision
  WHERE tenant = ?1 AND session = ?2 ORDER BY ts_ms DESC, rowid DESC LIMIT ?3)sql";
constexpr const char* kPutOffer = R"sql(
  INSERT INTO offer (id, tenant, session, decision, state, mode, created_ms, updated_ms,
                     expires_ms, channel, detail)
  VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
  ON CONFLICT (id) DO UPDATE SET state = excluded.state, mode = excluded.mode,
    updated_ms = excluded.updated_ms, channel = excluded.channel, detail = excluded.detail)sql";
constexpr const char* kOffers = R"sql(
  SELECT id, tenant, session, decision, state, mode, created_ms, updated_ms, expires_ms, channel,
         detail
  FROM offer WHERE (?1 = '' OR tenant = ?1) AND (?2 = '' OR session = ?2)
  ORDER BY created_ms DESC LIMIT ?3)sql";
constexpr const char* kFindOffer = R"sql(
  SELECT id, tenant, session, decision, state, mode, created_ms, updated_ms, expires_ms, channel,
         detail
  FROM offer WHERE id = ?1)sql";
constexpr const char* kPutVerified =
    "INSERT OR IGNORE INTO verified_number (e164, verified_ms) VALUES (?1, ?2)";
constexpr const char* kVerified = "SELECT e164 FROM verified_number";
constexpr const char* kPutLearning = R"sql(
  INSERT INTO engage_learning (segment, accept_yes, accept_no, order_yes, order_no, updated_ms)
  VALUES (?1, ?2, ?3, ?4, ?5, ?6)
  ON CONFLICT (segment) DO UPDATE SET accept_yes = excluded.accept_yes,
    accept_no = excluded.accept_no, order_yes = excluded.order_yes, order_no = excluded.order_no,
    updated_ms = excluded.updated_ms)sql";
constexpr const char* kPutAdmission = R"sql(
  INSERT INTO callback_admission (id, tenant, e164, visitor, address, at_ms, cost_micros, settled)
  VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
  ON CONFLICT (id) DO UPDATE SET cost_micros = excluded.cost_micros, settled = excluded.settled)sql";
constexpr const char* kAdmissionsSince = R"sql(
  SELECT id, tenant, e164, visitor, address, at_ms, cost_micros, settled
  FROM callback_admission WHERE at_ms >= ?1 ORDER BY at_ms)sql";
constexpr const char* kLearning =
    "SELECT segment, accept_yes, accept_no, order_yes, order_no, updated_ms FROM engage_learning";

EngageDecision read_decision(const sql::Statement& s) {
  return {s.column_text(0), s.column_text(1), s.column_text(2), s.column_int64(3),
          s.column_text(4), s.column_text(5), s.column_text(6)};
}

OfferRow read_offer(const sql::Statement& s) {
  return {s.column_text(0),  s.column_text(1), s.column_text(2),  s.column_text(3),
          s.column_text(4),  s.column_text(5), s.column_int64(6), s.column_int64(7),
          s.column_int64(8), s.column_text(9), s.column_text(10)};
}

}  // namespace

void Store::put_decision(EngageDecision d, std::function<void(core::Status)> done) {
  impl_->writer->submit(WriteJob{[d = std::move(d)](sql::Database& db) {
                                   return run_bound(
                                       db, kPutDecision,
                                       [&](sql::Statement& s) {
                                         s.bind(1, d.id).bind(2, d.tenant).bind(3, d.session);
                                         s.bind(4, d.ts_ms).bind(5, d.outcome).bind(6, d.rule);
                                         s.bind(7, d.explanation);
                                       },
                                       "put decision " + d.id);
                                 },
                                 std::move(done)});
}

core::Result<std::optional<EngageDecision>> Store::find_decision(const std::string& id) const {
  return first(read_rows<EngageDecision>(
      *impl_, kFindDecision, [&](sql::Statement& s) { s.bind(1, id); }, read_decision));
}

core::Result<std::vector<EngageDecision>> Store::decisions(const std::string& tenant,
                                                           const std::string& session,
                                                           std::size_t limit) const {
  return read_rows<EngageDecision>(
      *impl_, kDecisions,
      [&](sql::Statement& s) { s.bind(1, tenant).bind(2, session).bind(3, std::int64_t(limit)); },
      read_decision);
}

void Store::put_offer(OfferRow o, std::function<void(core::Status)> done) {
  impl_->writer->submit(
      WriteJob{[o = std::move(o)](sql::Database& db) {
                 return run_bound(
                     db, kPutOffer,
                     [&](sql::Statement& s) {
                       s.bind(1, o.id).bind(2, o.tenant).bind(3, o.session);
                       s.bind(4, o.decision).bind(5, o.state).bind(6, o.mode);
                       s.bind(7, o.created_ms).bind(8, o.updated_ms);
                       s.bind(9, o.expires_ms).bind(10, o.channel).bind(11, o.detail);
                     },
                     "put offer " + o.id);
               },
               std::move(done)});
}

core::Result<std::vector<OfferRow>> Store::offers(const std::string& tenant,
                                                  const std::string& session,
                                                  std::size_t limit) const {
  return read_rows<OfferRow>(
      *impl_, kOffers,
      [&](sql::Statement& s) { s.bind(1, tenant).bind(2, session).bind(3, std::int64_t(limit)); },
      read_offer);
}

core::Result<std::optional<OfferRow>> Store::find_offer(const std::string& id) const {
  return first(read_rows<OfferRow>(
      *impl_, kFindOffer, [&](sql::Statement& s) { s.bind(1, id); }, read_offer));
}

void Store::put_verified_number(std::string e164, std::int64_t ts_ms,
                                std::function<void(core::Status)> done) {
  impl_->writer->submit(WriteJob{[e164 = std::move(e164), ts_ms](sql::Database& db) {
                                   return run_bound(
                                       db, kPutVerified,
                                       [&](sql::Statement& s) { s.bind(1, e164).bind(2, ts_ms); },
                                       "put verified number");
                                 },
                                 std::move(done)});
}

core::Result<std::vector<std::string>> Store::verified_numbers() const {
  return read_rows<std::string>(*impl_, kVerified, kNoBinds,
                                [](const sql::Statement& s) { return s.column_text(0); });
}

void Store::put_admission(CallbackAdmission a, std::function<void(core::Status)> done) {
  impl_->writer->submit(WriteJob{[a = std::move(a)](sql::Database& db) {
                                   return run_bound(
                                       db, kPutAdmission,
                                       [&](sql::Statement& s) {
                                         s.bind(1, a.id).bind(2, a.tenant).bind(3, a.e164);
                                         s.bind(4, a.visitor).bind(5, a.address).bind(6, a.at_ms);
                                         s.bind(7, a.cost_micros).bind(8, a.settled ? 1 : 0);
                                       },
                                       "put callback admission");
                                 },
                                 std::move(done)});
}

core::Result<std::vector<CallbackAdmission>> Store::admissions_since(std::int64_t since_ms) const {
  return read_rows<CallbackAdmission>(
      *impl_, kAdmissionsSince, [&](sql::Statement& s) { s.bind(1, since_ms); },
      [](const sql::Statement& s) {
        return CallbackAdmission{s.column_text(0),  s.column_text(1),      s.column_text(2),
                                 s.column_text(3),  s.column_text(4),      s.column_int64(5),
                                 s.column_int64(6), s.column_int64(7) != 0};
      });
}

void Store::put_learning(LearningRow row, std::function<void(core::Status)> done) {
  impl_->writer->submit(
      WriteJob{[row = std::move(row)](sql::Database& db) {
                 return run_bound(
                     db, kPutLearning,
                     [&](sql::Statement& s) {
                       s.bind(1, row.segment).bind_double(2, row.accept_yes);
                       s.bind_double(3, row.accept_no).bind_double(4, row.order_yes);
                       s.bind_double(5, row.order_no).bind(6, row.updated_ms);
                     },
                     "put learning");
               },
               std::move(done)});
}

core::Result<std::vector<LearningRow>> Store::learning() const {
  return read_rows<LearningRow>(*impl_, kLearning, kNoBinds, [](const sql::Statement& s) {
    return LearningRow{s.column_text(0),   s.column_double(1), s.column_double(2),
                       s.column_double(3), s.column_double(4), s.column_int64(5)};
  });
}

}  // namespace proffer::store
