#include "routing/sql_classifier.h"

#include "gtest/gtest.h"

namespace taskgres::router {
namespace {

StatementKind Kind(absl::string_view sql, StatementContext context = StatementContext::kSingle) {
  return ClassifyStatement(sql, context).kind;
}

TEST(SqlClassifierTest, PlainReadsAreReads) {
  EXPECT_EQ(Kind("SELECT 1"), StatementKind::kRead);
  EXPECT_EQ(Kind("  select * from tasks where id = $1;"), StatementKind::kRead);
  EXPECT_EQ(Kind("WITH t AS (SELECT 1) SELECT * FROM t"), StatementKind::kRead);
  EXPECT_EQ(Kind("VALUES (1), (2)"), StatementKind::kRead);
  EXPECT_EQ(Kind("TABLE tasks"), StatementKind::kRead);
  EXPECT_EQ(Kind("SHOW server_version"), StatementKind::kRead);
  EXPECT_EQ(Kind("EXPLAIN SELECT 1"), StatementKind::kRead);
  EXPECT_EQ(Kind("/* leading */ -- comment\n SELECT substring('abc' from 1 for 2)"),
            StatementKind::kRead);
}

TEST(SqlClassifierTest, KeywordsInsideLiteralsAndIdentifiersDoNotCount) {
  EXPECT_EQ(Kind("SELECT 'INSERT INTO x; DELETE' AS text"), StatementKind::kRead);
  EXPECT_EQ(Kind("SELECT \"update\" FROM t"), StatementKind::kRead);
  EXPECT_EQ(Kind("SELECT $$ DELETE FROM t; $$"), StatementKind::kRead);
  EXPECT_EQ(Kind("SELECT $tag$ x $$ DELETE $tag$"), StatementKind::kRead);
  EXPECT_EQ(Kind("SELECT E'it\\'s; UPDATE'"), StatementKind::kRead);
  EXPECT_EQ(Kind("SELECT 'a''; DROP TABLE t; --'"), StatementKind::kRead);
}

TEST(SqlClassifierTest, AnythingThatMayWriteGoesToThePrimary) {
  EXPECT_EQ(Kind("INSERT INTO t VALUES (1)"), StatementKind::kWrite);
  EXPECT_EQ(Kind("update t set x = 1"), StatementKind::kWrite);
  EXPECT_EQ(Kind("DELETE FROM t"), StatementKind::kWrite);
  EXPECT_EQ(Kind("CREATE TABLE t (x int)"), StatementKind::kWrite);
  EXPECT_EQ(Kind("WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d"), StatementKind::kWrite);
  EXPECT_EQ(Kind("SELECT * FROM t FOR UPDATE"), StatementKind::kWrite);
  EXPECT_EQ(Kind("SELECT * FROM t FOR KEY SHARE"), StatementKind::kWrite);
  EXPECT_EQ(Kind("SELECT * INTO newtable FROM t"), StatementKind::kWrite);
  EXPECT_EQ(Kind("SELECT nextval('s')"), StatementKind::kWrite);
  EXPECT_EQ(Kind("SELECT pg_notify('c', 'p')"), StatementKind::kWrite);
  EXPECT_EQ(Kind("EXPLAIN ANALYZE DELETE FROM t"), StatementKind::kWrite);
  EXPECT_EQ(Kind("CALL do_things()"), StatementKind::kWrite);
  EXPECT_EQ(Kind("NOTIFY c"), StatementKind::kWrite);
}

TEST(SqlClassifierTest, RejectsWhatCannotRunOnAPooledConnection) {
  for (const char* sql : {"",
                          "   ",
                          "-- only a comment",
                          ";",
                          "BEGIN",
                          "commit",
                          "ROLLBACK",
                          "SAVEPOINT a",
                          "SET search_path = x",
                          "RESET ALL",
                          "DISCARD ALL",
                          "LISTEN c",
                          "PREPARE p AS SELECT 1",
                          "COPY t FROM STDIN",
                          "SELECT 1; SELECT 2",
                          "SELECT 'unterminated",
                          "VACUUM t",
                          "CREATE INDEX CONCURRENTLY i ON t (x)",
                          "CREATE DATABASE d",
                          "ALTER SYSTEM SET x = 1",
                          "SELECT /* unterminated"}) {
    Classification c = ClassifyStatement(sql, StatementContext::kSingle);
    EXPECT_EQ(c.kind, StatementKind::kRejected) << sql;
    EXPECT_FALSE(c.reason.empty()) << sql;
  }
}

TEST(SqlClassifierTest, SetLocalIsAllowedOnlyInsideTransactions) {
  EXPECT_EQ(Kind("SET LOCAL statement_timeout = 100", StatementContext::kTransaction),
            StatementKind::kWrite);
  EXPECT_EQ(Kind("SET LOCAL statement_timeout = 100"), StatementKind::kRejected);
  EXPECT_EQ(Kind("SET statement_timeout = 100", StatementContext::kTransaction),
            StatementKind::kRejected);
}

TEST(SqlClassifierTest, SessionStateInsideStatementsIsRejected) {
  for (const char* sql :
       {"SELECT set_config('default_transaction_read_only', 'off', false)",
        "SELECT pg_advisory_lock(1)", "SELECT pg_try_advisory_lock(1, 2)",
        "SELECT pg_advisory_unlock_all()", "CREATE TEMP TABLE t (x int)",
        "CREATE LOCAL TEMPORARY TABLE t (x int)", "SELECT * INTO TEMP t FROM u"}) {
    Classification c = ClassifyStatement(sql, StatementContext::kSingle);
    EXPECT_EQ(c.kind, StatementKind::kRejected) << sql;
    EXPECT_NE(c.reason.find("pooled connection"), std::string::npos) << c.reason;
  }
  // The transaction-scoped forms are fine, and a column named temp is not a table.
  EXPECT_EQ(Kind("SELECT pg_advisory_xact_lock(1)", StatementContext::kTransaction),
            StatementKind::kWrite);
  EXPECT_EQ(Kind("CREATE TEMP TABLE t (x int) ON COMMIT DROP", StatementContext::kTransaction),
            StatementKind::kWrite);
  EXPECT_EQ(Kind("CREATE TEMP TABLE t (x int) ON COMMIT DROP"), StatementKind::kRejected);
  EXPECT_EQ(Kind("SELECT temp FROM weather"), StatementKind::kRead);
}

TEST(SqlClassifierTest, TrailingSemicolonIsFine) {
  EXPECT_EQ(Kind("SELECT 1;;"), StatementKind::kRead);
}

}  // namespace
}  // namespace taskgres::router
