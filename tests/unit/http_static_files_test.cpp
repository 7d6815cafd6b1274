// Unit tests of static file lookup: content types, ETags, the embedded page, the override folder,
// path replacements and the 404 for files found nowhere. Writes files in a temporary folder.
#include "libkasocki/http/static_files.hpp"

#include <unistd.h>

#include <cstdint>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace kasocki::http {
namespace {

namespace fs = std::filesystem;

struct temp_dir {
  fs::path path;
  temp_dir() {
    path = fs::temp_directory_path() / ("kasocki-static-" + std::to_string(::getpid()) + "-" +
                                        std::to_string(reinterpret_cast<std::uintptr_t>(this)));
    fs::create_directories(path);
  }
  ~temp_dir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
  fs::path write(const std::string& name, const std::string& content) const {
    std::ofstream(path / name, std::ios::binary) << content;
    return path / name;
  }
};

TEST(StaticFiles, ContentTypesByExtension) {
  EXPECT_EQ(content_type_for("index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(content_type_for("app.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(content_type_for("style.css"), "text/css; charset=utf-8");
  EXPECT_EQ(content_type_for("x.json"), "application/json");
  EXPECT_EQ(content_type_for("screenshot.png"), "image/png");
  EXPECT_EQ(content_type_for("README"), "application/octet-stream");
  EXPECT_EQ(content_type_for("js"), "application/octet-stream");
}

TEST(StaticFiles, EtagIsQuotedStableAndContentDependent) {
  auto a = etag_for("hello");
  EXPECT_EQ(a, etag_for("hello"));
  EXPECT_NE(a, etag_for("hellp"));
  EXPECT_NE(etag_for(""), etag_for(std::string(1, '\0')));
  ASSERT_EQ(a.size(), 18u);
  EXPECT_EQ(a.front(), '"');
  EXPECT_EQ(a.back(), '"');
}

TEST(StaticFiles, ThePageIsEmbedded) {
  for (std::string name : {"index.html", "app.js", "style.css"}) {
    bool found = false;
    for (const auto& f : embedded_files())
      if (f.name == name) found = !f.data.empty();
    EXPECT_TRUE(found) << name;
  }
  static_files files;
  files.add("/", "index.html");
  auto page = files.lookup("/");
  EXPECT_EQ(page.status, 200u);
  EXPECT_EQ(page.content_type, "text/html; charset=utf-8");
  EXPECT_NE(page.body.find("<script src=\"/socket.io/socket.io.js\">"), std::string::npos);
  EXPECT_EQ(page.etag, etag_for(page.body));
}

TEST(StaticFiles, UnknownPathIsA404Json) {
  static_files files;
  files.add("/", "index.html");
  auto r = files.lookup("/index.htm");
  EXPECT_EQ(r.status, 404u);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.body, R"({"error":"not found"})");
  EXPECT_TRUE(r.name.empty());
  EXPECT_TRUE(r.etag.empty());
}

TEST(StaticFiles, FileFoundNowhereIsA404NamingIt) {
  static_files files;
  files.add("/x.js", "not-embedded.js", "/nonexistent/not-embedded.js");
  auto r = files.lookup("/x.js");
  EXPECT_EQ(r.status, 404u);
  EXPECT_EQ(r.name, "not-embedded.js");
  auto body = nlohmann::json::parse(r.body, nullptr, false);
  ASSERT_TRUE(body.is_object()) << r.body;
  EXPECT_EQ(body["error"], "not found");
  EXPECT_EQ(body["file"], "not-embedded.js");
  EXPECT_EQ(body["looked_in"], "/nonexistent/not-embedded.js");
}

TEST(StaticFiles, OverrideFolderWinsOverEmbeddedAndFallbackIsLast) {
  temp_dir dir;
  dir.write("index.html", "<p>edited</p>");
  auto fallback = dir.write("elsewhere.js", "fallback();");
  static_files files({.override_dir = dir.path});
  files.add("/", "index.html");
  files.add("/app.js", "app.js");  // not in the folder: the embedded copy
  files.add("/f.js", "only-on-disk.js", fallback);
  EXPECT_EQ(files.lookup("/").body, "<p>edited</p>");
  auto app = files.lookup("/app.js");
  EXPECT_EQ(app.status, 200u);
  EXPECT_NE(app.body.find("socket.emit(\"subscribe\""), std::string::npos);
  auto f = files.lookup("/f.js");
  EXPECT_EQ(f.status, 200u);
  EXPECT_EQ(f.body, "fallback();");
  EXPECT_EQ(f.content_type, "text/javascript; charset=utf-8");
}

TEST(StaticFiles, ReplacementsRewriteEveryOccurrence) {
  temp_dir dir;
  dir.write("index.html", R"(<meta content="/socket.io/"><script src="/socket.io/socket.io.js">)");
  static_files files({.override_dir = dir.path});
  files.add("/", "index.html", {}, {{"/socket.io/", "/kafka/"}});
  auto r = files.lookup("/");
  EXPECT_EQ(r.body, R"(<meta content="/kafka/"><script src="/kafka/socket.io.js">)");
  EXPECT_EQ(r.etag, etag_for(r.body));
}

TEST(StaticFiles, ReplacementWhoseResultContainsThePatternTerminates) {
  temp_dir dir;
  dir.write("a.txt", "/a/ and /a/");
  static_files files({.override_dir = dir.path});
  files.add("/a", "a.txt", {}, {{"/a/", "/a/a/"}});
  EXPECT_EQ(files.lookup("/a").body, "/a/a/ and /a/a/");
}

}  // namespace
}  // namespace kasocki::http
