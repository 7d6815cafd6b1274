// Table-driven tests of the client's chunked transfer decoder (client/chunked_decoder.hpp): every
// input whole and cut at every position gives the same data and the same ending.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "client/chunked_decoder.hpp"

namespace {

using kasocki::client::chunked_decoder;
using kind = chunked_decoder::kind;

struct outcome {
  std::string data;
  kind end = kind::need_more;  // need_more, done or error
  std::string rest;            // what followed the body (after done)
};

outcome decode(const std::vector<std::string_view>& pieces) {
  chunked_decoder decoder;
  outcome out;
  for (auto piece : pieces) {
    for (;;) {
      auto got = decoder.next(piece);
      if (got.what == kind::data) {
        EXPECT_FALSE(got.data.empty());
        out.data += got.data;
        continue;
      }
      out.end = got.what;
      break;
    }
    if (out.end == kind::done) out.rest += piece;
    if (out.end == kind::error) break;
  }
  return out;
}

struct row {
  const char* wire;
  const char* data;
  kind end;
  const char* rest = "";
};

const row rows[] = {
    {"5\r\nhello\r\n0\r\n\r\n", "hello", kind::done},
    {"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\nNEXT", "hello world", kind::done, "NEXT"},
    {"A\r\n0123456789\r\n", "0123456789", kind::need_more},
    {"a;name=value\r\n0123456789\r\n0\r\n\r\n", "0123456789", kind::done},
    {"3 ;x\r\nabc\r\n0\r\nExpires: never\r\nX: y\r\n\r\n", "abc", kind::done},
    {"000003\r\nabc\r\n0000\r\n\r\n", "abc", kind::done},
    {"3\r\nab", "ab", kind::need_more},
    {"", "", kind::need_more},
    {"\r\n", "", kind::error},                        // no size
    {"g\r\n", "", kind::error},                       // not hex
    {"3\nabc\r\n", "", kind::error},                  // a bare LF after the size
    {"3\r\nabcX\r\n", "abc", kind::error},            // no CRLF after the data
    {"3\r\nabc\r\n0\r\n\n", "abc", kind::error},      // a bare LF ending the body
    {"3\r\nabc\r\n0\r\nX: y\n", "abc", kind::error},  // a bare LF in the trailer
    {"3;a\x01\r\nabc\r\n", "", kind::error},          // a control character in an extension
    {"ffffffffffffffffff\r\n", "", kind::error},      // beyond max_chunk_size
};

TEST(ClientChunkedDecoder, Table) {
  for (const auto& r : rows) {
    const std::string wire = r.wire;
    auto whole = decode({wire});
    EXPECT_EQ(whole.data, r.data) << wire;
    EXPECT_EQ(whole.end, r.end) << wire;
    EXPECT_EQ(whole.rest, r.rest) << wire;
    for (std::size_t cut = 0; cut <= wire.size(); ++cut) {
      std::string_view w = wire;
      auto parts = decode({w.substr(0, cut), w.substr(cut)});
      EXPECT_EQ(parts.data, whole.data) << wire << " cut at " << cut;
      EXPECT_EQ(parts.end, whole.end) << wire << " cut at " << cut;
      EXPECT_EQ(parts.rest, whole.rest) << wire << " cut at " << cut;
    }
  }
}

TEST(ClientChunkedDecoder, StaysDoneOrFailed) {
  chunked_decoder done;
  std::string_view body = "0\r\n\r\nmore";
  EXPECT_EQ(done.next(body).what, kind::done);
  EXPECT_TRUE(done.done());
  EXPECT_EQ(body, "more");
  EXPECT_EQ(done.next(body).what, kind::done);
  EXPECT_EQ(body, "more");

  chunked_decoder failed;
  std::string_view bad = "z";
  EXPECT_EQ(failed.next(bad).what, kind::error);
  std::string_view good = "1\r\na\r\n";
  EXPECT_EQ(failed.next(good).what, kind::error);
  EXPECT_TRUE(failed.failed());
}

TEST(ClientChunkedDecoder, DataIsAViewOfTheInput) {
  chunked_decoder decoder;
  const std::string wire = "4\r\nabcd\r\n";
  std::string_view input = wire;
  auto got = decoder.next(input);
  ASSERT_EQ(got.what, kind::data);
  EXPECT_EQ(got.data.data(), wire.data() + 3);
  EXPECT_EQ(got.data, "abcd");
}

}  // namespace
