// A history fetch's lead: `lead` for readers that read slowly (or not yet), what a fast one reads
// in the lead time, never beyond lead_growth x lead.
#include <gtest/gtest.h>

#include <chrono>

#include "libkasocki/kafka/fetcher_pool.hpp"

namespace kasocki::kafka {
namespace {

using namespace std::chrono_literals;

fetch_options options() {
  fetch_options o;
  o.lead = 128;
  o.lead_time = 250ms;
  o.pace_after = 500ms;
  o.fast_leads = 4;
  o.lead_growth = 16;
  return o;
}

TEST(PacedLead, IsTheLeadForReadersThatReadLittle) {
  EXPECT_EQ(paced_lead(options(), 0, 1s), 128);
  EXPECT_EQ(paced_lead(options(), 128, 1s), 128);
  // 3,334 offsets in 20 s (a client of history_same's partition): 42 in 250 ms.
  EXPECT_EQ(paced_lead(options(), 3334, 20s), 128);
}

TEST(PacedLead, IsTheLeadForReadersSlowerThanFastLeads) {
  // 1,500 offsets a second (a client of `history`, on a busy machine): 375 in 250 ms, below
  // 4 leads (512).
  EXPECT_EQ(paced_lead(options(), 15'000, 10s), 128);
  EXPECT_EQ(paced_lead(options(), 20'472, 10s), 128);  // 511.8
  EXPECT_EQ(paced_lead(options(), 20'480, 10s), 512);
}

TEST(PacedLead, IsWhatAFastReaderReadsInTheLeadTime) {
  // 4,000 offsets a second.
  EXPECT_EQ(paced_lead(options(), 4'000, 1s), 1000);
  EXPECT_EQ(paced_lead(options(), 8'000, 2s), 1000);
}

TEST(PacedLead, CountsThePaceOnlyAfterPaceAfter) {
  // 717 offsets in the first 92 ms: a client of `history` catching up with what a job had just
  // stored, not a pace of 7,800 a second.
  EXPECT_EQ(paced_lead(options(), 717, 92ms), 128);
  EXPECT_EQ(paced_lead(options(), 4'000, 499ms), 128);
  EXPECT_EQ(paced_lead(options(), 4'000, 500ms), 2000);
}

TEST(PacedLead, StaysWithinTheGrowth) {
  EXPECT_EQ(paced_lead(options(), 1'000'000, 1s), 2048);
  auto o = options();
  o.lead_growth = 0;  // no growth
  EXPECT_EQ(paced_lead(o, 1'000'000, 1s), 128);
  o.lead = 0;
  EXPECT_EQ(paced_lead(o, 1'000'000, 1s), 0);
}

}  // namespace
}  // namespace kasocki::kafka
