// librdkafka's own log lines and error texts, as the server's structured log lines, with their
// repeats collapsed: during an outage every handle repeats "N/N brokers are down" and "Connect
// to ... failed" several times a second; the log gets the first line of each kind, and one line
// with the count when the kind goes quiet (30 s), every 5 minutes while it goes on, when Kafka is
// reachable again, and at shutdown. Process-wide and thread-safe (librdkafka logs from its own
// threads). Writes to the log (stderr).
#pragma once

#include <string_view>

namespace kasocki::kafka {

// One line of librdkafka: `syslog_level` as librdkafka gives it (3 error, 4 warning, 6 info, 7
// debug), `facility` its facility (e.g. "FAIL", "ERROR"), `client` the handle's name.
void log_librdkafka(int syslog_level, std::string_view facility, std::string_view text,
                    std::string_view client);

// Writes the summaries of the kinds that went quiet (`all`: of every kind, which then end).
// Called periodically and when Kafka is reachable again.
void flush_librdkafka_repeats(bool all);

}  // namespace kasocki::kafka
