/*
 * The IMAP session layer: state machine, tag bookkeeping, the literal
 * and continuation dance, IDLE, AUTHENTICATE, STARTTLS, COMPRESS, limits
 * and the answers to malformed input.  Every script is also run cut at
 * every offset of every step and byte by byte, with the same result.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <atf-c.h>

#include "imap_reply.h"
#include "session_harness.h"
#include "rfc_streams.h"

#define GREETING	"* OK [CAPABILITY IMAP4rev1 SASL-IR IDLE LITERAL+ " \
			"STARTTLS AUTH=PLAIN] ready\r\n"
#define GREETING_NOLIT	"* OK [CAPABILITY IMAP4rev1 IDLE] ready\r\n"

/* RFC 3501 section 8, both directions, step by step. */
ATF_TC_WITHOUT_HEAD(rfc3501_exchange);
ATF_TC_BODY(rfc3501_exchange, tc)
{
	static const struct step sc[] = {
		SV("* OK IMAP4rev1 Service Ready\r\n"),
		CL("a001 login mrc secret\r\n"),
		SV("a001 OK LOGIN completed\r\n"),
		CL("a002 select inbox\r\n"),
		SV("* 18 EXISTS\r\n"
		   "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"
		   "* 2 RECENT\r\n"
		   "* OK [UNSEEN 17] Message 17 is the first unseen message\r\n"
		   "* OK [UIDVALIDITY 3857529045] UIDs valid\r\n"
		   "a002 OK [READ-WRITE] SELECT completed\r\n"),
		CL("a003 fetch 12 full\r\n"),
		SV(RFC3501_FETCH_FULL "a003 OK FETCH completed\r\n"),
		CL("a004 fetch 12 body[header]\r\n"),
		SV("* 12 FETCH (BODY[HEADER] {342}\r\n" RFC3501_HEADER ")\r\n"
		   "a004 OK FETCH completed\r\n"),
		CL("a005 store 12 +flags \\deleted\r\n"),
		SV("* 12 FETCH (FLAGS (\\Seen \\Deleted))\r\n"
		   "a005 OK +FLAGS completed\r\n"),
		CL("a006 logout\r\n"),
		SV("* BYE IMAP4rev1 server terminating connection\r\n"
		   "a006 OK LOGOUT completed\r\n"),
	};
	struct run	 r;

	RUN(&r, NULL, sc);
	EXPECT_STR(r.ev.s,
	    "S line fwd * OK +greet =not authenticated\n"
	    "C line fwd a001/LOGIN +start\n"
	    "S line fwd a001/LOGIN OK +done =authenticated\n"
	    "C line fwd a002/SELECT +start\n"
	    "S line fwd a002/SELECT EXISTS\n"
	    "S line fwd a002/SELECT FLAGS\n"
	    "S line fwd a002/SELECT RECENT\n"
	    "S line fwd a002/SELECT OK\n"
	    "S line fwd a002/SELECT OK\n"
	    "S line fwd a002/SELECT OK +done =selected\n"
	    "C line fwd a003/FETCH +start\n"
	    "S line fwd a003/FETCH FETCH\n"
	    "S line fwd a003/FETCH OK +done\n"
	    "C line fwd a004/FETCH +start\n"
	    "S line fwd a004/FETCH FETCH\n"
	    "S data fwd 342\n"
	    "S line fwd a004/FETCH FETCH\n"
	    "S line fwd a004/FETCH OK +done\n"
	    "C line fwd a005/STORE +start\n"
	    "S line fwd a005/STORE FETCH\n"
	    "S line fwd a005/STORE OK +done\n"
	    "C line fwd a006/LOGOUT +start\n"
	    "S line fwd a006/LOGOUT BYE =logout\n"
	    "S line fwd a006/LOGOUT OK +done\n");
	EXPECT_STR(r.up.s, rfc3501_c);
	EXPECT_STR(r.down.s, rfc3501_s);
	ATF_REQUIRE(TAILQ_EMPTY(&r.s.inflight));
	run_free(&r);
}

/* The RFC 9051 sample: SASL-IR, SCRAM's empty last line, ENABLE. */
ATF_TC_WITHOUT_HEAD(rfc9051_exchange);
ATF_TC_BODY(rfc9051_exchange, tc)
{
	static const struct step sc[] = {
		SV("* OK [CAPABILITY IMAP4rev2 STARTTLS AUTH=SCRAM-SHA-256 "
		   "LOGINDISABLED] IMAP4rev2 Service Ready\r\n"),
		CL("A001 AUTHENTICATE SCRAM-SHA-256 "
		   "biwsbj11c2VyLHI9ck9wck5HZndFYmVSV2diTkVrcU8=\r\n"),
		SV("+ cj1yT3ByTkdmd0ViZVJXZ2JORWtxTyVodllEcFdVYTJSYVRDQWZ1eEZJ"
		   "bGopaE5sRiRrMCxzPVcyMlphSjBTTlk3c29Fc1VFamI2Z1E9PSxpPTQwOTY="
		   "\r\n"),
		CL("Yz1iaXdzLHI9ck9wck5HZndFYmVSV2diTkVrcU8laHZZRHBXVWEyUmFU"
		   "Q0FmdXhGSWxqKWhObEYkazAscD1kSHpiWmFwV0lrNGpVaE4rVXRlOXl0YWc5"
		   "empmTUhnc3FtbWl6N0FuZFZRPQ==\r\n"),
		SV("+ dj02cmlUVFJCaTIzV3BSUi93dHVwK21NaFVaVW4vZEI1bkxUSlJzamw5"
		   "NUc0PQ==\r\n"),
		CL("\r\n"),
		SV("A001 OK SCRAM-SHA-256 authentication successful\r\n"),
		CL("babc ENABLE IMAP4rev2\r\n"),
		SV("* ENABLED IMAP4rev2\r\nbabc OK Some capabilities enabled\r\n"),
		CL("a002 select inbox\r\n"),
		SV("* 18 EXISTS\r\n"
		   "* OK [UIDVALIDITY 3857529045] UIDs valid\r\n"
		   "* OK [UIDNEXT 4392] Predicted next UID\r\n"
		   "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"
		   "* OK [PERMANENTFLAGS (\\Deleted \\Seen \\*)] Limited\r\n"
		   "* LIST () \"/\" INBOX\r\n"
		   "a002 OK [READ-WRITE] SELECT completed\r\n"),
		CL("a006 logout\r\n"),
		SV("* BYE IMAP4rev2 server terminating connection\r\n"
		   "a006 OK LOGOUT completed\r\n"),
	};
	struct run	 r;

	RUN(&r, NULL, sc);
	EXPECT_STR(r.ev.s,
	    "S line fwd * OK +greet +caps =not authenticated\n"
	    "C line fwd A001/AUTHENTICATE +start\n"
	    "S line fwd A001/AUTHENTICATE +\n"
	    "C line fwd A001/AUTHENTICATE +sasl\n"
	    "S line fwd A001/AUTHENTICATE +\n"
	    "C line fwd A001/AUTHENTICATE +sasl\n"
	    "S line fwd A001/AUTHENTICATE OK +done =authenticated\n"
	    "C line fwd babc/ENABLE +start\n"
	    "S line fwd babc/ENABLE ENABLED\n"
	    "S line fwd babc/ENABLE OK +done\n"
	    "C line fwd a002/SELECT +start\n"
	    "S line fwd a002/SELECT EXISTS\n"
	    "S line fwd a002/SELECT OK\n"
	    "S line fwd a002/SELECT OK\n"
	    "S line fwd a002/SELECT FLAGS\n"
	    "S line fwd a002/SELECT OK\n"
	    "S line fwd a002/SELECT LIST\n"
	    "S line fwd a002/SELECT OK +done =selected\n"
	    "C line fwd a006/LOGOUT +start\n"
	    "S line fwd a006/LOGOUT BYE =logout\n"
	    "S line fwd a006/LOGOUT OK +done\n");
	ATF_REQUIRE(r.s.enabled & IMAP_CAP_IMAP4REV2);
	ATF_REQUIRE(r.s.caps & IMAP_CAP_IMAP4REV2);
	ATF_REQUIRE(r.s.caps & IMAP_CAP_LOGINDISABLED);
	run_free(&r);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, rfc3501_exchange);
	ATF_TP_ADD_TC(tp, rfc9051_exchange);
	return atf_no_error();
}
