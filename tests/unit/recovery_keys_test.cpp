// Unit tests for the signed pid and cursor of connection state recovery.
#include <gtest/gtest.h>

#include "libkasocki/recovery/recovery_keys.hpp"

using namespace kasocki::recovery;
using namespace std::chrono_literals;
using clock_type = std::chrono::system_clock;

namespace {

session_state six_partitions() {
  session_state s;
  s.topics.push_back({topic_hash("mediawiki.recentchange"), {}});
  for (int p = 0; p < 6; ++p) s.topics[0].partitions.push_back({p, (1LL << 32) - 1 - p});
  return s;
}

const clock_type::time_point now = clock_type::time_point(1'750'000'000s);

}  // namespace

TEST(RecoveryKeys, PidVerifiesAndCarriesItsIssueTime) {
  recovery_keys keys({"secret"});
  auto pid = keys.issue_pid(now);
  EXPECT_NE(pid, keys.issue_pid(now));  // random
  auto issued = keys.verify_pid(pid);
  ASSERT_TRUE(issued.has_value());
  EXPECT_EQ(*issued, now);
  EXPECT_EQ(recovery_keys({"other"}).verify_pid(pid).error().kind, recovery_errc::bad_signature);
  EXPECT_EQ(keys.verify_pid("").error().kind, recovery_errc::malformed);
  EXPECT_EQ(keys.verify_pid(pid + "A").error().kind, recovery_errc::malformed);
  EXPECT_EQ(keys.verify_pid("!" + pid.substr(1)).error().kind, recovery_errc::malformed);
  // Any changed character: the signature fails (or the form).
  for (std::size_t i = 0; i < pid.size(); ++i) {
    auto tampered = pid;
    tampered[i] = tampered[i] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(keys.verify_pid(tampered).has_value()) << i;
  }
}

TEST(RecoveryKeys, CursorOpensForItsPidOnly) {
  recovery_keys keys({"secret"});
  auto pid = keys.issue_pid(now);
  auto state = six_partitions();
  state.started = true;
  auto cursor = keys.sign_cursor(pid, state);
  auto opened = keys.open(pid, cursor, now + 1min, 24h);
  ASSERT_TRUE(opened.has_value());
  EXPECT_EQ(opened->state, state);
  EXPECT_EQ(opened->pid_issued, now);

  auto other_pid = keys.issue_pid(now);
  EXPECT_EQ(keys.open(other_pid, cursor, now, 24h).error().kind, recovery_errc::bad_signature);
  EXPECT_EQ(recovery_keys({"other"}).open(pid, cursor, now, 24h).error().kind,
            recovery_errc::bad_signature);
  for (std::size_t i = 0; i < cursor.size(); ++i) {
    auto tampered = cursor;
    tampered[i] = tampered[i] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(keys.open(pid, tampered, now, 24h).has_value()) << i;
  }
  EXPECT_EQ(keys.open(pid, "", now, 24h).error().kind, recovery_errc::malformed);
  EXPECT_EQ(keys.open(pid, "a.b", now, 24h).error().kind, recovery_errc::malformed);
}

TEST(RecoveryKeys, OneTopicOfSixPartitionsFitsIn64Characters) {
  recovery_keys keys({"secret"});
  auto pid = keys.issue_pid(now);
  auto state = six_partitions();
  state.started = true;
  state.age_minutes = 16383;
  for (int p = 0; p < 6; ++p)
    state.topics[0].partitions[p].next_offset = p % 2 ? 0 : (1LL << 32) - 1;
  EXPECT_LE(keys.sign_cursor(pid, state).size(), 64u);
}

TEST(RecoveryKeys, WindowCountsFromTheCursor) {
  recovery_keys keys({"secret"});
  auto pid = keys.issue_pid(now);
  auto state = six_partitions();
  state.age_minutes = 60 * 30;  // a session 30 h old sent this cursor
  auto cursor = keys.sign_cursor(pid, state);
  EXPECT_TRUE(keys.open(pid, cursor, now + 30h + 1h, 24h).has_value());
  EXPECT_EQ(keys.open(pid, cursor, now + 30h + 25h, 24h).error().kind, recovery_errc::expired);
  // A pid from the future (beyond clock skew) does not verify as fresh.
  EXPECT_EQ(keys.open(pid, cursor, now - 1h, 24h).error().kind, recovery_errc::expired);
}

TEST(RecoveryKeys, RotationKeepsOldSessions) {
  recovery_keys old_keys({"old"});
  auto pid = old_keys.issue_pid(now);
  auto cursor = old_keys.sign_cursor(pid, six_partitions());
  recovery_keys rotated({"new", "old"});
  EXPECT_TRUE(rotated.open(pid, cursor, now, 24h).has_value());
  // And cursors signed with the new secret for the old pid still open.
  cursor_signer signer(rotated, pid);
  std::string bytes, signed_cursor;
  encode_state(six_partitions(), bytes);
  signer.sign(bytes, signed_cursor);
  EXPECT_TRUE(rotated.open(pid, signed_cursor, now, 24h).has_value());
  EXPECT_FALSE(old_keys.open(pid, signed_cursor, now, 24h).has_value());
  EXPECT_FALSE(recovery_keys({"new"}).open(pid, cursor, now, 24h).has_value());
}

TEST(RecoveryKeys, SignerMatchesOneOffSigning) {
  recovery_keys keys({"secret"});
  auto pid = keys.issue_pid(now);
  cursor_signer signer(keys, pid);
  std::string bytes;
  encode_state(six_partitions(), bytes);
  std::string a, b;
  signer.sign(bytes, a);
  signer.sign(bytes, b);
  EXPECT_EQ(a, keys.sign_cursor(pid, six_partitions()));
  EXPECT_EQ(a, b);
}

TEST(RecoveryKeys, SecretLines) {
  EXPECT_EQ(parse_secret_lines("# comment\n\n  first \r\nsecond\n"),
            (std::vector<std::string>{"first", "second"}));
  EXPECT_TRUE(parse_secret_lines("\n# only a comment\n").empty());
}

TEST(RecoveryKeys, Base64Url) {
  for (std::string_view s : {"", "f", "fo", "foo", "foob", "\xff\xfe\xfd"}) {
    std::string text;
    base64url_encode(s, text);
    EXPECT_EQ(text.find_first_of("+/="), std::string::npos);
    EXPECT_EQ(base64url_decode(text), std::string(s));
  }
  std::string text;
  base64url_encode("\xfb\xff", text);
  EXPECT_EQ(text, "-_8");
  for (const char* bad : {"A", "AB=", "A+", "Zh", "Zm9=", "AAAAA"})
    EXPECT_FALSE(base64url_decode(bad).has_value()) << bad;
}
