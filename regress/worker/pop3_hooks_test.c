/*
 * The POP3 session layer with a policy behind it (pop3_hooks.h): what
 * each verdict does to the bytes both ways, STLS and CAPA by the TLS
 * state, starttls-required.  The policy here is a table of keywords.
 */
#include "pop3_harness.h"

#define GREETING	"+OK POP3 ready <1896.697170952@dbc.mtview.ca.us>\r\n"
#define LOGIN_C		"USER testuser\r\nPASS testpass\r\n"
#define LOGIN_S		"+OK\r\n+OK Logged in.\r\n"

static int	 transitions;

static void
t_request(void *arg, const struct pop3_session *s, const struct pop3_cmd *c,
    int known, struct pop3_verdict *v)
{
	(void)arg;
	(void)s;
	if (strcmp(c->kw, "NOOP") == 0)
		v->act = POP3_V_DROP;
	else if (strcmp(c->kw, "RSET") == 0) {
		v->act = POP3_V_REJECT;
		v->text = "+OK answered by the policy";
	} else if (strcmp(c->kw, "XTND") == 0)
		v->act = POP3_V_ACCEPT_MLINE;
	else if (strcmp(c->kw, "USER") == 0 || strcmp(c->kw, "PASS") == 0)
		v->act = POP3_V_APOP;
	else if (!known) {
		v->act = POP3_V_REJECT;
		v->text = "-ERR Unknown command";
	}
}

static void
t_response(void *arg, const struct pop3_session *s, const char *kw,
    const uint8_t *p, size_t len, struct pop3_verdict *v)
{
	(void)arg;
	(void)s;
	(void)p;
	(void)len;
	if (strcmp(kw, "STAT") == 0) {
		v->act = POP3_V_REPLACE;
		v->text = "+OK 0 0";
	} else if (strcmp(kw, "RETR") == 0) {
		v->act = POP3_V_REJECT;
		v->text = "-ERR no";
	} else if (strcmp(kw, "LIST") == 0)
		v->act = POP3_V_DROP;
	else if (strcmp(kw, "DELE") == 0) {
		v->act = POP3_V_ABORT;
		v->text = "Session ended by policy";
	}
}

static int
t_capa(void *arg, const struct pop3_session *s, const uint8_t *p, size_t len)
{
	(void)arg;
	(void)s;
	return !(len == 3 && memcmp(p, "TOP", 3) == 0);
}

static void
t_state(void *arg, enum pop3_state from, enum pop3_state to)
{
	(void)arg;
	if (from == POP3_S_AUTHORIZATION && to == POP3_S_TRANSACTION)
		transitions++;
}

static const struct pop3_hooks_ops t_ops = {
	.request = t_request,
	.response = t_response,
	.capa = t_capa,
	.state = t_state,
};

static struct pop3_limits
lim_default(void)
{
	struct pop3_limits	 l;

	pop3_limits_default(&l);
	h_ops = &t_ops;
	memset(&h_tls, 0, sizeof(h_tls));
	return l;
}

/* The policy's own answers, and the APOP conversion by its verdict. */
ATF_TC_WITHOUT_HEAD(requests);
ATF_TC_BODY(requests, tc)
{
	struct pop3_limits	 l = lim_default();
	const struct step	 sc[] = {
		SV(GREETING),
		CL("USER mrose\r\nPASS tanstaaf\r\n"),
		SV("+OK maildrop ready\r\n"),
		CL("NOOP\r\nRSET\r\nXTND\r\nFOO\r\n"),
		SV("+OK xtnd\r\nline\r\n.\r\n"),
	};

	transitions = 0;
	check_script(&l, sc, NSTEPS(sc),
	    "APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\nXTND\r\n",
	    GREETING "+OK Password required\r\n+OK maildrop ready\r\n"
	    "+OK answered by the policy\r\n+OK xtnd\r\nline\r\n.\r\n"
	    "-ERR Unknown command\r\n",
	    "open: state 2 held 0");
	ATF_CHECK(transitions > 0);
}

/* Responses: replaced, refused (body dropped), dropped, abort. */
ATF_TC_WITHOUT_HEAD(responses);
ATF_TC_BODY(responses, tc)
{
	struct pop3_limits	 l = lim_default();
	const struct step	 sc[] = {
		SV(GREETING),
		CL("APOP a c4c9334bac560ecc979e58001b3e22fb\r\n"),
		SV("+OK in\r\n"),
		CL("STAT\r\nRETR 1\r\nLIST\r\nCAPA\r\nDELE 1\r\n"),
		SV("+OK 1 5\r\n+OK 5 octets\r\n.x\r\n..\r\n.\r\n"
		    "+OK\r\n1 5\r\n.\r\n+OK\r\nTOP\r\nUSER\r\nSTLS\r\n.\r\n"
		    "+OK deleted\r\n"),
	};

	check_script(&l, sc, NSTEPS(sc),
	    "APOP a c4c9334bac560ecc979e58001b3e22fb\r\n"
	    "STAT\r\nRETR 1\r\nLIST\r\nCAPA\r\nDELE 1\r\n",
	    GREETING "+OK in\r\n+OK 0 0\r\n-ERR no\r\n+OK\r\nUSER\r\n.\r\n",
	    "closed: Session ended by policy");
}

/* STLS offered: listed in CAPA by us; taken, nothing goes upstream. */
ATF_TC_WITHOUT_HEAD(stls);
ATF_TC_BODY(stls, tc)
{
	struct pop3_limits	 l = lim_default();
	const struct step	 sc[] = {
		SV(GREETING),
		CL("CAPA\r\n"),
		SV("+OK\r\nUSER\r\n.\r\n"),
		CL("STLS\r\nSTAT\r\n"),
	};

	h_tls.offered = 1;
	check_script(&l, sc, NSTEPS(sc), "CAPA\r\n",
	    GREETING "+OK\r\nUSER\r\nSTLS\r\n.\r\n",
	    "open: state 1 held 6");
}

/* Not offered: refused, and the session goes on. */
ATF_TC_WITHOUT_HEAD(stls_refused);
ATF_TC_BODY(stls_refused, tc)
{
	struct pop3_limits	 l = lim_default();
	const struct step	 sc[] = {
		SV(GREETING),
		CL("STLS\r\nCAPA\r\n"),
		SV("+OK\r\nSTLS\r\n.\r\n"),
	};

	check_script(&l, sc, NSTEPS(sc), "CAPA\r\n",
	    GREETING "-ERR STLS is not available through this proxy\r\n"
	    "+OK\r\n.\r\n", "open: state 1 held 0");
}

/* starttls-required: no login command before TLS. */
ATF_TC_WITHOUT_HEAD(stls_required);
ATF_TC_BODY(stls_required, tc)
{
	struct pop3_limits	 l = lim_default();
	const struct step	 sc[] = {
		SV(GREETING),
		CL("USER a\r\nAUTH PLAIN\r\n"
		    "APOP a c4c9334bac560ecc979e58001b3e22fb\r\n"),
	};

	h_tls.offered = 1;
	h_tls.required = 1;
	check_script(&l, sc, NSTEPS(sc), "",
	    GREETING "-ERR Use STLS first\r\n-ERR Use STLS first\r\n"
	    "-ERR Use STLS first\r\n", "open: state 1 held 0");
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, requests);
	ATF_TP_ADD_TC(tp, responses);
	ATF_TP_ADD_TC(tp, stls);
	ATF_TP_ADD_TC(tp, stls_refused);
	ATF_TP_ADD_TC(tp, stls_required);
	return atf_no_error();
}
