/*
 * Example exchanges typed in from RFC 3501 section 8 and the IMAP4rev2
 * sample session of RFC 9051, one string per direction.  The literal
 * counts are exact (the {342} header is 342 octets).
 */
#ifndef REGRESS_IMAP_RFC_STREAMS_H
#define REGRESS_IMAP_RFC_STREAMS_H

#define RFC3501_HEADER							\
	"Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\r\n"		\
	"From: Terry Gray <gray@cac.washington.edu>\r\n"		\
	"Subject: IMAP4rev1 WG mtg summary and minutes\r\n"		\
	"To: imap@cac.washington.edu\r\n"				\
	"cc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>\r\n" \
	"Message-Id: <B27397-0100000@cac.washington.edu>\r\n"		\
	"MIME-Version: 1.0\r\n"						\
	"Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n"		\
	"\r\n"

#define RFC3501_FETCH_FULL						\
	"* 12 FETCH (FLAGS (\\Seen) INTERNALDATE "			\
	"\"17-Jul-1996 02:44:25 -0700\" RFC822.SIZE 4286 ENVELOPE "	\
	"(\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" "			\
	"\"IMAP4rev1 WG mtg summary and minutes\" "			\
	"((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "	\
	"((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "	\
	"((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "	\
	"((NIL NIL \"imap\" \"cac.washington.edu\")) "			\
	"((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\")"			\
	"(\"John Klensin\" NIL \"KLENSIN\" \"MIT.EDU\")) NIL NIL "	\
	"\"<B27397-0100000@cac.washington.edu>\") "			\
	"BODY (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL "	\
	"\"7BIT\" 3028 92))\r\n"

/* RFC 3501 section 8, client side. */
static const char rfc3501_c[] =
	"a001 login mrc secret\r\n"
	"a002 select inbox\r\n"
	"a003 fetch 12 full\r\n"
	"a004 fetch 12 body[header]\r\n"
	"a005 store 12 +flags \\deleted\r\n"
	"a006 logout\r\n";

/* RFC 3501 section 8, server side. */
static const char rfc3501_s[] =
	"* OK IMAP4rev1 Service Ready\r\n"
	"a001 OK LOGIN completed\r\n"
	"* 18 EXISTS\r\n"
	"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"
	"* 2 RECENT\r\n"
	"* OK [UNSEEN 17] Message 17 is the first unseen message\r\n"
	"* OK [UIDVALIDITY 3857529045] UIDs valid\r\n"
	"a002 OK [READ-WRITE] SELECT completed\r\n"
	RFC3501_FETCH_FULL
	"a003 OK FETCH completed\r\n"
	"* 12 FETCH (BODY[HEADER] {342}\r\n"
	RFC3501_HEADER
	")\r\n"
	"a004 OK FETCH completed\r\n"
	"* 12 FETCH (FLAGS (\\Seen \\Deleted))\r\n"
	"a005 OK +FLAGS completed\r\n"
	"* BYE IMAP4rev1 server terminating connection\r\n"
	"a006 OK LOGOUT completed\r\n";

/*
 * The IMAP4rev2 sample session of RFC 9051 section 8 (after STARTTLS),
 * with SCRAM and its empty final client line.
 */
static const char rfc9051_c_auth[] =
	"A001 AUTHENTICATE SCRAM-SHA-256 "
	"biwsbj11c2VyLHI9ck9wck5HZndFYmVSV2diTkVrcU8=\r\n";
static const char rfc9051_c_sasl[] =
	"Yz1iaXdzLHI9ck9wck5HZndFYmVSV2diTkVrcU8laHZZRHBXVWEyUmFUQ0FmdXhG"
	"SWxqKWhObEYkazAscD1kSHpiWmFwV0lrNGpVaE4rVXRlOXl0YWc5empmTUhnc3Ft"
	"bWl6N0FuZFZRPQ==\r\n"
	"\r\n";
static const char rfc9051_c[] =
	"babc ENABLE IMAP4rev2\r\n"
	"a002 select inbox\r\n"
	"a003 fetch 12 full\r\n"
	"a004 fetch 12 body[header]\r\n"
	"a005 store 12 +flags \\deleted\r\n"
	"a006 logout\r\n";
static const char rfc9051_s[] =
	"* OK [CAPABILITY IMAP4rev2 STARTTLS AUTH=SCRAM-SHA-256 "
	"LOGINDISABLED] IMAP4rev2 Service Ready\r\n"
	"+ cj1yT3ByTkdmd0ViZVJXZ2JORWtxTyVodllEcFdVYTJSYVRDQWZ1eEZJbGopaE5s"
	"RiRrMCxzPVcyMlphSjBTTlk3c29Fc1VFamI2Z1E9PSxpPTQwOTY=\r\n"
	"+ dj02cmlUVFJCaTIzV3BSUi93dHVwK21NaFVaVW4vZEI1bkxUSlJzamw5NUc0PQ==\r\n"
	"A001 OK SCRAM-SHA-256 authentication successful\r\n"
	"* ENABLED IMAP4rev2\r\n"
	"babc OK Some capabilities enabled\r\n"
	"* 18 EXISTS\r\n"
	"* OK [UIDVALIDITY 3857529045] UIDs valid\r\n"
	"* OK [UIDNEXT 4392] Predicted next UID\r\n"
	"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"
	"* OK [PERMANENTFLAGS (\\Deleted \\Seen \\*)] Limited\r\n"
	"* LIST () \"/\" INBOX\r\n"
	"a002 OK [READ-WRITE] SELECT completed\r\n"
	RFC3501_FETCH_FULL
	"a003 OK FETCH completed\r\n"
	"* 12 FETCH (BODY[HEADER] {342}\r\n"
	RFC3501_HEADER
	")\r\n"
	"a004 OK FETCH completed\r\n"
	"* 12 FETCH (FLAGS (\\Seen \\Deleted))\r\n"
	"a005 OK +FLAGS completed\r\n"
	"* BYE IMAP4rev2 server terminating connection\r\n"
	"a006 OK LOGOUT completed\r\n";

#endif
