/* Job journals written by hand for the state tests (test_jobs.c,
 * test_jobs_oom.c), one JSON object per line in the shapes the run writes
 * them (see agent/state/journal.h). */
#ifndef LDAPENROLL_TEST_JOURNALS_H
#define LDAPENROLL_TEST_JOURNALS_H

#define SHA "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
#define PEOPLE ",ou=people,dc=example,dc=com"
#define ROLE_DN "cn=staff,ou=roles,dc=example,dc=com"

/* A person's fields as rec_person writes them. */
#define P(k, line) "\"key\":\"" k "\",\"dn\":\"uid=" k PEOPLE "\",\"line\":" #line

#define HEADER(id, pid, actions)                                                                              \
	"{\"type\":\"job\",\"version\":1,\"id\":\"" id "\",\"command\":\"sync\",\"started\":\"2026-11-21T10:15:00Z\"," \
	"\"config\":\"/etc/ldapenroll/ldapenroll.yaml\",\"config_sha256\":\"" SHA "\",\"source\":\"users.csv\","      \
	"\"source_sha256\":\"" SHA "\",\"pid\":" #pid ",\"actions\":" #actions ",\"rows\":8}\n"

#define INTENT_PW(op, person) "{\"type\":\"intent\",\"op\":\"" op "\"," person ",\"password\":true}\n"
#define INTENT(op, person) "{\"type\":\"intent\",\"op\":\"" op "\"," person "}\n"
#define RESULT(op, person, status) "{\"type\":\"result\",\"op\":\"" op "\"," person ",\"status\":\"" status "\"}\n"
#define RESULT_ERR(op, person, code, error)                                                                  \
	"{\"type\":\"result\",\"op\":\"" op "\"," person ",\"status\":\"failed\",\"code\":" #code ",\"error\":\"" error \
	"\"}\n"
#define NOTIFY(k, line)                                                                                      \
	"{\"type\":\"notify\"," P(k, line) ",\"email\":\"" k "@example.com\",\"messages\":[\"welcome\",\"password\"]," \
	"\"status\":\"pending\"}\n"
#define NOTIFY_MANUAL(k, line, reason)                                                                       \
	"{\"type\":\"notify\"," P(k, line) ",\"email\":null,\"status\":\"manual\",\"reason\":\"" reason "\"}\n"
#define MESSAGE(k, line, kind, status, attempts)                                                             \
	"{\"type\":\"message\"," P(k, line) ",\"kind\":\"" kind "\",\"to\":\"" k "@example.com\",\"status\":\"" status \
	"\",\"attempts\":" #attempts ",\"message_id\":\"20261121T101500Z-0a01.0123456789abcdef." kind "@example.com\"}\n"
#define MESSAGE_ERR(k, line, kind, status, attempts, error)                                                 \
	"{\"type\":\"message\"," P(k, line) ",\"kind\":\"" kind "\",\"to\":\"" k "@example.com\",\"status\":\"" status \
	"\",\"attempts\":" #attempts ",\"error\":\"" error "\"}\n"
#define END(status)                                                                                          \
	"{\"type\":\"end\",\"status\":\"" status "\",\"finished\":\"2026-11-21T10:16:02Z\",\"elapsed_ms\":62000,"      \
	"\"counts\":{\"create_account\":1,\"create_person\":2,\"enable_person\":0,\"update_person\":0,"                \
	"\"disable_person\":0,\"reset_password\":1,\"create_role\":1,\"add_to_role\":0,\"failed\":2,\"skipped\":1,"     \
	"\"rejected\":2,\"passwords\":3,\"not_enforced\":1,\"memberships\":1}}\n"

/* Three jobs in a row, for the pending set across jobs. */
#define JA "20261121T090000Z-0001"
#define JB "20261122T090000Z-0002"
#define JC "20261123T090000Z-0003"

/* Job A: a got one of two messages, b none (the mail phase stopped), x
 * both; y only had an update. */
static const char JOB_A[] =
	HEADER(JA, 4242, 4)
	INTENT_PW("create_person", P("a", 2))
	RESULT("create_person", P("a", 2), "done")
	INTENT_PW("create_person", P("b", 3))
	RESULT("create_person", P("b", 3), "done")
	INTENT_PW("create_person", P("x", 4))
	RESULT("create_person", P("x", 4), "done")
	INTENT("update_person", P("y", 5))
	RESULT("update_person", P("y", 5), "done")
	NOTIFY("a", 2)
	NOTIFY("b", 3)
	NOTIFY("x", 4)
	MESSAGE("a", 2, "welcome", "sent", 1)
	MESSAGE_ERR("a", 2, "password", "pending", 3, "421 try later")
	MESSAGE_ERR("b", 3, "welcome", "pending", 0, "the mail phase stopped before this message")
	MESSAGE_ERR("b", 3, "password", "pending", 0, "the mail phase stopped before this message")
	MESSAGE("x", 4, "welcome", "sent", 1)
	MESSAGE("x", 4, "password", "sent", 1)
	END("completed_with_failures");

/* Job B: b gets a fresh password and both messages; c is new and waits. */
static const char JOB_B[] =
	HEADER(JB, 4243, 2)
	INTENT_PW("reset_password", P("b", 3))
	RESULT("reset_password", P("b", 3), "done")
	INTENT_PW("create_person", P("c", 6))
	RESULT("create_person", P("c", 6), "done")
	NOTIFY("b", 3)
	NOTIFY("c", 6)
	MESSAGE("b", 3, "welcome", "sent", 1)
	MESSAGE("b", 3, "password", "sent", 1)
	MESSAGE_ERR("c", 6, "welcome", "pending", 3, "421 try later")
	MESSAGE_ERR("c", 6, "password", "pending", 0, "the mail phase stopped before this message")
	END("completed_with_failures");

/* Job C crashed: a got a fresh password, then d's intent was the last
 * thing written. */
static const char JOB_C[] =
	HEADER(JC, 4244, 2)
	INTENT_PW("reset_password", P("a", 2))
	RESULT("reset_password", P("a", 2), "done")
	INTENT_PW("reset_password", P("d", 7));

#endif
