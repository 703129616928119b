/*
 * The POP3 session layer against scripted exchanges: each script whole,
 * every step cut at every offset, and byte by byte, must send the same
 * bytes both ways and end the same (pop3_harness.h).
 */
#include "pop3_harness.h"

#define GREETING	"+OK POP3 ready <1896.697170952@dbc.mtview.ca.us>\r\n"
#define LOGIN_C		"USER testuser\r\nPASS testpass\r\n"
#define LOGIN_S		"+OK\r\n+OK Logged in.\r\n"

static struct pop3_limits
lim_default(void)
{
	struct pop3_limits	 l;

	pop3_limits_default(&l);
	return l;
}

/* RFC 1939's session, with dot-stuffed lines and CAPA. */
ATF_TC_WITHOUT_HEAD(full_session);
ATF_TC_BODY(full_session, tc)
{
	struct pop3_limits	 l = lim_default();
	const struct step	 sc[] = {
		SV(GREETING),
		CL("CAPA\r\n"),
		SV("+OK\r\nTOP\r\nUSER\r\nSTLS\r\nPIPELINING\r\n..X\r\n.\r\n"),
		CL(LOGIN_C),
		SV("+OK\r\n"),
		SV("+OK Logged in.\r\n"),
		CL("STAT\r\nLIST\r\nUIDL 2\r\nRETR 2\r\nTOP 1 0\r\n"
		    "DELE 1\r\nRSET\r\nQUIT\r\n"),
		SV("+OK 2 320\r\n"),
		SV("+OK 2 messages\r\n1 120\r\n2 200\r\n.\r\n"),
		SV("+OK 2 abc\r\n"),
		SV("+OK 200 octets\r\nSubject: x\r\n\r\n..\r\n"
		    "..starts with a dot\r\n.\r\n"),
		SV("+OK\r\nSubject: y\r\n\r\n.\r\n"),
		SV("+OK message 1 deleted\r\n+OK\r\n+OK bye\r\n"),
	};

	check_script(&l, sc, NSTEPS(sc),
	    "CAPA\r\n" LOGIN_C
	    "STAT\r\nLIST\r\nUIDL 2\r\nRETR 2\r\nTOP 1 0\r\n"
	    "DELE 1\r\nRSET\r\nQUIT\r\n",
	    GREETING
	    "+OK\r\nTOP\r\nUSER\r\nPIPELINING\r\n..X\r\n.\r\n"
	    LOGIN_S "+OK 2 320\r\n"
	    "+OK 2 messages\r\n1 120\r\n2 200\r\n.\r\n"
	    "+OK 2 abc\r\n"
	    "+OK 200 octets\r\nSubject: x\r\n\r\n..\r\n"
	    "..starts with a dot\r\n.\r\n"
	    "+OK\r\nSubject: y\r\n\r\n.\r\n"
	    "+OK message 1 deleted\r\n+OK\r\n+OK bye\r\n",
	    "open: state 3 held 0");
}

/*
 * RFC 2449's pipelined login: STAT waits for PASS's answer, so it is
 * judged in TRANSACTION, not refused in AUTHORIZATION.
 */
ATF_TC_WITHOUT_HEAD(pipelined_login);
ATF_TC_BODY(pipelined_login, tc)
{
	struct pop3_limits	 l = lim_default();
	const struct step	 sc[] = {
		CL(LOGIN_C "STAT\r\nLIST 2\r\nUIDL\r\nNOOP\r\n"),
		SV(GREETING),
		SV("+OK\r\n"),
		SV("+OK Logged in.\r\n"),
		SV("+OK 10 312890\r\n+OK 2 454\r\n"
		    "+OK\r\n1 a\r\n2 b\r\n.\r\n+OK\r\n"),
	};

	check_script(&l, sc, NSTEPS(sc),
	    LOGIN_C "STAT\r\nLIST 2\r\nUIDL\r\nNOOP\r\n",
	    GREETING "+OK\r\n+OK Logged in.\r\n+OK 10 312890\r\n"
	    "+OK 2 454\r\n+OK\r\n1 a\r\n2 b\r\n.\r\n+OK\r\n",
	    "open: state 2 held 0");
}

/* Our refusals wait their turn behind the responses before them. */
ATF_TC_WITHOUT_HEAD(refusals_in_order);
ATF_TC_BODY(refusals_in_order, tc)
{
	struct pop3_limits	 l = lim_default();
	const struct step	 sc[] = {
		SV(GREETING),
		CL("STAT\r\nPASS x\r\nXYZZY\r\nQUIT x\r\n" LOGIN_C),
		SV("+OK\r\n"),
		SV("+OK Logged in.\r\n"),
		CL("RETR 1\r\nXYZZY\r\nRETR abc\r\nRETR 0\r\nRETR -1\r\n"
		    "RETR 1 2\r\nDELE\r\nTOP 1\r\nTOP 1 x\r\nLIST 1x\r\n"
		    "STLS\r\nUSER a\r\nAPOP a b\r\nNOOP\r\n"),
		SV("+OK 5 octets\r\nabc\r\n.\r\n"),
		SV("+OK\r\n"),
	};

	check_script(&l, sc, NSTEPS(sc),
	    LOGIN_C "RETR 1\r\nNOOP\r\n",
	    GREETING
	    "-ERR Command not valid in this state\r\n"
	    "-ERR Command not valid in this state\r\n"
	    "-ERR Unknown command\r\n"
	    "-ERR Invalid arguments\r\n"
	    LOGIN_S
	    "+OK 5 octets\r\nabc\r\n.\r\n"
	    "-ERR Unknown command\r\n"
	    "-ERR Invalid message number\r\n"
	    "-ERR Invalid message number\r\n"
	    "-ERR Invalid message number\r\n"
	    "-ERR Invalid message number\r\n"
	    "-ERR Invalid message number\r\n"
	    "-ERR TOP needs a message number and a line count\r\n"
	    "-ERR TOP needs a message number and a line count\r\n"
	    "-ERR Invalid message number\r\n"
	    "-ERR Command not valid in this state\r\n"
	    "-ERR Command not valid in this state\r\n"
	    "-ERR Command not valid in this state\r\n"
	    "+OK\r\n",
	    "open: state 2 held 0");
}

/* A failed PASS goes back to the start of AUTHORIZATION. */
ATF_TC_WITHOUT_HEAD(failed_login);
ATF_TC_BODY(failed_login, tc)
{
	struct pop3_limits	 l = lim_default();
	const struct step	 sc[] = {
		SV(GREETING),
		CL("USER a\r\nPASS b\r\nPASS c\r\nSTAT\r\nUSER a\r\n"),
		SV("+OK\r\n"),
		SV("-ERR [AUTH] Authentication failed.\r\n"),
		SV("+OK\r\n"),
		CL("QUIT\r\n"),
		SV("+OK Logging out\r\n"),
		CL("NOOP\r\n"),
	};

	check_script(&l, sc, NSTEPS(sc),
	    "USER a\r\nPASS b\r\nUSER a\r\nQUIT\r\n",
	    GREETING "+OK\r\n-ERR [AUTH] Authentication failed.\r\n"
	    "-ERR Command not valid in this state\r\n"
	    "-ERR Command not valid in this state\r\n"
	    "+OK\r\n+OK Logging out\r\n"
	    "-ERR Command not valid in this state\r\n",
	    "open: state 3 held 0");
}

/* Malformed input: each line gets -ERR and the state stays. */
ATF_TC_WITHOUT_HEAD(malformed);
ATF_TC_BODY(malformed, tc)
{
	static const char	 bad[] = "US\0R a\r\nNOOP\n\r\n \r\nAUTH\r\n"
	    "AUTH \r\nUSERNAMEISAVERYLONGKEYWORD x\r\nUSER\r\n";
	struct pop3_limits	 l = lim_default();
	const struct step	 sc[] = {
		SV(GREETING),
		{ 'C', bad, sizeof(bad) - 1 },
		CL("STAT\r\n"),
	};

	check_script(&l, sc, NSTEPS(sc), "",
	    GREETING
	    "-ERR Control character in command\r\n"
	    "-ERR Line must end in CRLF\r\n"
	    "-ERR Invalid command\r\n"
	    "-ERR Invalid command\r\n"
	    "-ERR AUTH needs a mechanism\r\n"
	    "-ERR AUTH needs a mechanism\r\n"
	    "-ERR Invalid command\r\n"
	    "-ERR Invalid arguments\r\n"
	    "-ERR Command not valid in this state\r\n",
	    "open: state 1 held 0");
}

/* limit pop3-line, username, password: refused, the session goes on. */
ATF_TC_WITHOUT_HEAD(limits);
ATF_TC_BODY(limits, tc)
{
	struct pop3_limits	 l = lim_default();
	static char		 big[1200];
	struct step		 sc[] = {
		SV(GREETING),
		{ 'C', big, 0 },
		CL("USER 123456789\r\nUSER 12345678\r\n"),
		SV("+OK\r\n"),
		CL("PASS 1234567890123\r\nPASS 123456789012\r\n"),
		SV("+OK\r\n"),
	};

	l.line_max = 300;
	l.user_max = 8;
	l.pass_max = 12;
	memset(big, 'x', sizeof(big));
	memcpy(big, "NOOP ", 5);
	memcpy(big + sizeof(big) - 2, "\r\n", 2);
	sc[1].len = sizeof(big);
	check_script(&l, sc, NSTEPS(sc),
	    "USER 12345678\r\nPASS 123456789012\r\n",
	    GREETING "-ERR Line too long\r\n"
	    "-ERR User name too long\r\n+OK\r\n"
	    "-ERR Password too long\r\n+OK\r\n",
	    "open: state 2 held 0");
}

/* RFC 5034: a challenge, a response, and "*" to cancel. */
ATF_TC_WITHOUT_HEAD(auth_sasl);
ATF_TC_BODY(auth_sasl, tc)
{
	struct pop3_limits	 l = lim_default();
	const struct step	 sc[] = {
		SV(GREETING),
		CL("AUTH PLAIN\r\n*\r\nAUTH PLAIN\r\nAHRlc3QAdGVzdA==\r\n"
		    "STAT\r\n"),
		SV("+ \r\n"),
		SV("-ERR Authentication aborted by client.\r\n"),
		SV("+ \r\n"),
		SV("+OK Logged in.\r\n"),
		SV("+OK 0 0\r\n"),
	};

	check_script(&l, sc, NSTEPS(sc),
	    "AUTH PLAIN\r\n*\r\nAUTH PLAIN\r\nAHRlc3QAdGVzdA==\r\nSTAT\r\n",
	    GREETING "+ \r\n-ERR Authentication aborted by client.\r\n"
	    "+ \r\n+OK Logged in.\r\n+OK 0 0\r\n",
	    "open: state 2 held 0");
}

/* Zorp's example 4.16 with RFC 1939's own example digest. */
ATF_TC_WITHOUT_HEAD(apop_conversion);
ATF_TC_BODY(apop_conversion, tc)
{
	struct pop3_limits	 l = lim_default();
	const struct step	 sc[] = {
		SV(GREETING),
		CL("USER mrose\r\nPASS tanstaaf\r\nSTAT\r\n"),
		SV("+OK maildrop has 1 message (369 octets)\r\n"),
		SV("+OK 1 369\r\n"),
	};

	l.apop_userpass = 1;
	check_script(&l, sc, NSTEPS(sc),
	    "APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\nSTAT\r\n",
	    GREETING "+OK Password required\r\n"
	    "+OK maildrop has 1 message (369 octets)\r\n+OK 1 369\r\n",
	    "open: state 2 held 0");
}

/* No timestamp in the greeting: the converted login fails clearly. */
ATF_TC_WITHOUT_HEAD(apop_no_timestamp);
ATF_TC_BODY(apop_no_timestamp, tc)
{
	struct pop3_limits	 l = lim_default();
	const struct step	 sc[] = {
		SV("+OK POP3 ready\r\n"),
		CL("USER mrose\r\nPASS tanstaaf\r\nSTAT\r\n"),
	};

	l.apop_userpass = 1;
	check_script(&l, sc, NSTEPS(sc), "",
	    "+OK POP3 ready\r\n+OK Password required\r\n"
	    "-ERR [AUTH] The server does not offer APOP\r\n"
	    "-ERR Command not valid in this state\r\n",
	    "open: state 1 held 0");
}

/* A client's own APOP goes through; a bad digest does not. */
ATF_TC_WITHOUT_HEAD(apop_client);
ATF_TC_BODY(apop_client, tc)
{
	struct pop3_limits	 l = lim_default();
	const struct step	 sc[] = {
		SV(GREETING),
		CL("APOP mrose c4c9334bac560ecc979e58001b3e22fX\r\n"
		    "APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n"),
		SV("+OK\r\n"),
	};

	check_script(&l, sc, NSTEPS(sc),
	    "APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n",
	    GREETING "-ERR Invalid arguments\r\n+OK\r\n",
	    "open: state 2 held 0");
}

/* What the server says wrong ends the session. */
ATF_TC_WITHOUT_HEAD(server_errors);
ATF_TC_BODY(server_errors, tc)
{
	struct pop3_limits	 l = lim_default();
	const struct step	 bad[] = {
		SV(GREETING), CL("CAPA\r\n"), SV("+OK2 x\r\n"),
	};
	const struct step	 unsol[] = {
		SV(GREETING), SV("+OK injected\r\n"),
	};
	const struct step	 bye[] = {
		SV(GREETING), SV("-ERR Disconnected for inactivity.\r\n"),
	};
	const struct step	 greet[] = {
		SV("-ERR go away\r\n"), CL("USER a\r\n"),
	};
	const struct step	 cont[] = {
		SV(GREETING), CL("USER a\r\n"), SV("+ more\r\n"),
	};

	check_script(&l, bad, NSTEPS(bad), "CAPA\r\n", GREETING,
	    "closed: Error in protocol");
	check_script(&l, unsol, NSTEPS(unsol), "", GREETING,
	    "closed: Error in protocol");
	check_script(&l, bye, NSTEPS(bye), "",
	    GREETING "-ERR Disconnected for inactivity.\r\n",
	    "open: state 1 held 0");
	check_script(&l, greet, NSTEPS(greet), "", "-ERR go away\r\n",
	    "closed: -");
	check_script(&l, cont, NSTEPS(cont), "USER a\r\n", GREETING,
	    "closed: Error in protocol");
}

/* A server line over limit pop3-line ends the session. */
ATF_TC_WITHOUT_HEAD(server_long_line);
ATF_TC_BODY(server_long_line, tc)
{
	struct pop3_limits	 l = lim_default();
	static char		 big[400];
	struct step		 sc[] = {
		SV(GREETING), CL("CAPA\r\n"), { 'S', big, sizeof(big) },
	};

	l.line_max = 300;
	memset(big, 'x', sizeof(big));
	memcpy(big, "+OK ", 4);
	memcpy(big + sizeof(big) - 2, "\r\n", 2);
	check_script(&l, sc, NSTEPS(sc), "CAPA\r\n", GREETING,
	    "closed: Error in protocol");
}

/* Body lines longer than any limit go through: they are not collected. */
ATF_TC_WITHOUT_HEAD(long_body_line);
ATF_TC_BODY(long_body_line, tc)
{
	struct pop3_limits	 l = lim_default();
	static char		 big[2000], want[4000];
	struct step		 sc[] = {
		SV(GREETING), CL(LOGIN_C "RETR 1\r\n"), SV("+OK\r\n"),
		SV("+OK Logged in.\r\n"),
		{ 'S', big, sizeof(big) },
		SV("+OK 1 0\r\n"),
	};

	l.line_max = 300;
	memset(big, 'x', sizeof(big));
	memcpy(big, "+OK\r\n.", 6);
	memcpy(big + sizeof(big) - 5, "\r\n.\r\n", 5);
	snprintf(want, sizeof(want), "%s%s%.*s", GREETING, LOGIN_S,
	    (int)sizeof(big), big);
	sc[1].data = LOGIN_C "RETR 1\r\nSTAT\r\n";
	sc[1].len = strlen(sc[1].data);
	strcat(want, "+OK 1 0\r\n");
	check_script(&l, sc, NSTEPS(sc), LOGIN_C "RETR 1\r\nSTAT\r\n",
	    want, "open: state 2 held 0");
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, full_session);
	ATF_TP_ADD_TC(tp, pipelined_login);
	ATF_TP_ADD_TC(tp, refusals_in_order);
	ATF_TP_ADD_TC(tp, failed_login);
	ATF_TP_ADD_TC(tp, malformed);
	ATF_TP_ADD_TC(tp, limits);
	ATF_TP_ADD_TC(tp, auth_sasl);
	ATF_TP_ADD_TC(tp, apop_conversion);
	ATF_TP_ADD_TC(tp, apop_no_timestamp);
	ATF_TP_ADD_TC(tp, apop_client);
	ATF_TP_ADD_TC(tp, server_errors);
	ATF_TP_ADD_TC(tp, server_long_line);
	ATF_TP_ADD_TC(tp, long_body_line);
	return atf_no_error();
}
