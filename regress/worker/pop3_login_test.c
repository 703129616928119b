/*
 * login proxy, POP3 (pop3_login.h): the server's CAPA lines as the
 * health check keeps them, AUTH PLAIN's response taken apart, and the
 * login replayed in the form the server takes.
 */
#include <string.h>

#include <atf-c.h>

#include "pop3_login.h"

/* Dovecot's CAPA before the login, as the check keeps it. */
#define DOVECOT	"CAPA\nTOP\nUIDL\nRESP-CODES\nPIPELINING\n" \
		"AUTH-RESP-CODE\nSTLS\nUSER\n" \
		"SASL PLAIN LOGIN CRAM-MD5 SCRAM-SHA-1"

ATF_TC_WITHOUT_HEAD(capa);
ATF_TC_BODY(capa, tc)
{
	ATF_CHECK(pop3_capa_has(DOVECOT, "USER"));
	ATF_CHECK(pop3_capa_has(DOVECOT, "user"));
	ATF_CHECK(pop3_capa_has(DOVECOT, "CAPA"));
	ATF_CHECK(pop3_capa_has(DOVECOT, "SASL"));
	/* A mechanism is no capability, nor a prefix of one. */
	ATF_CHECK(!pop3_capa_has(DOVECOT, "LOGIN"));
	ATF_CHECK(!pop3_capa_has(DOVECOT, "UID"));
	ATF_CHECK(!pop3_capa_has("", "USER"));
	ATF_CHECK(pop3_capa_sasl(DOVECOT, "PLAIN"));
	ATF_CHECK(pop3_capa_sasl(DOVECOT, "scram-sha-1"));
	ATF_CHECK(!pop3_capa_sasl(DOVECOT, "SCRAM"));
	ATF_CHECK(!pop3_capa_sasl(DOVECOT, "USER"));
	ATF_CHECK(!pop3_capa_sasl("SASLX PLAIN\nUSER", "PLAIN"));
	ATF_CHECK(pop3_capa_sasl("USER\nSASL  GSSAPI  PLAIN", "PLAIN"));
}

/* AUTH PLAIN's response b64 decoded into bin and taken apart. */
static int
decode(const char *b64, struct pop3_plain *p, uint8_t *bin, size_t size)
{
	return pop3_plain_decode(b64, strlen(b64), bin, size, p);
}

ATF_TC_WITHOUT_HEAD(plain);
ATF_TC_BODY(plain, tc)
{
	uint8_t			 bin[64];
	struct pop3_plain	 p;

	/* "\0testuser\0testpass" */
	ATF_REQUIRE_EQ(0, decode("AHRlc3R1c2VyAHRlc3RwYXNz", &p, bin,
	    sizeof(bin)));
	ATF_CHECK_EQ(0, p.authzlen);
	ATF_CHECK_EQ(8, p.authclen);
	ATF_CHECK(memcmp(p.authc, "testuser", 8) == 0);
	ATF_CHECK_EQ(8, p.passlen);
	ATF_CHECK(memcmp(p.pass, "testpass", 8) == 0);
	/* "adm\0u\0p" */
	ATF_REQUIRE_EQ(0, decode("YWRtAHUAcA==", &p, bin, sizeof(bin)));
	ATF_CHECK_EQ(3, p.authzlen);
	ATF_CHECK_EQ(1, p.authclen);
	ATF_CHECK_EQ(1, p.passlen);
	/* Not base64; one NUL only ("testuser"); an empty user. */
	ATF_CHECK_EQ(-1, decode("!!", &p, bin, sizeof(bin)));
	ATF_CHECK_EQ(-1, decode("dGVzdHVzZXI=", &p, bin, sizeof(bin)));
	ATF_CHECK_EQ(-1, decode("AAB4", &p, bin, sizeof(bin)));
	ATF_CHECK_EQ(-1, decode("", &p, bin, sizeof(bin)));
	/* A third NUL in the password: "\0u\0p\0q"; CR in the name. */
	ATF_CHECK_EQ(-1, decode("AHUAcABx", &p, bin, sizeof(bin)));
	ATF_CHECK_EQ(-1, decode("AHUNAHA=", &p, bin, sizeof(bin)));
	/* Longer than the buffer takes. */
	ATF_CHECK_EQ(-1, decode("AHRlc3R1c2VyAHRlc3RwYXNz", &p, bin, 8));
}

ATF_TC_WITHOUT_HEAD(replay);
ATF_TC_BODY(replay, tc)
{
	static const char	 ir[] = "AHRlc3R1c2VyAHRlc3RwYXNz";
	char			 out[POP3_LOGIN_REPLAY_MAX];
	uint8_t			 bin[64];
	struct pop3_plain	 p;
	int			 n;

	ATF_REQUIRE_EQ(0, decode(ir, &p, bin, sizeof(bin)));
	/* AUTH PLAIN to a server that takes it: as the client said it. */
	n = pop3_login_replay(DOVECOT, &p, ir, strlen(ir), out, sizeof(out));
	ATF_CHECK_STREQ("AUTH PLAIN AHRlc3R1c2VyAHRlc3RwYXNz\r\n", out);
	ATF_CHECK_EQ((int)strlen(out), n);
	/* USER and PASS to it: as they came. */
	n = pop3_login_replay(DOVECOT, &p, NULL, 0, out, sizeof(out));
	ATF_CHECK_STREQ("USER testuser\r\nPASS testpass\r\n", out);
	/* Nothing known of the server: USER and PASS, from either. */
	n = pop3_login_replay("", &p, ir, strlen(ir), out, sizeof(out));
	ATF_CHECK_STREQ("USER testuser\r\nPASS testpass\r\n", out);
	/* A server without USER: the client's USER and PASS as PLAIN. */
	n = pop3_login_replay("TOP\nSASL PLAIN", &p, NULL, 0, out,
	    sizeof(out));
	ATF_CHECK_STREQ("AUTH PLAIN AHRlc3R1c2VyAHRlc3RwYXNz\r\n", out);
	/* Too small a buffer. */
	ATF_CHECK_EQ(-1, pop3_login_replay(DOVECOT, &p, NULL, 0, out, 10));
	/* "adm\0u\0p": only a server with PLAIN can take it. */
	ATF_REQUIRE_EQ(0, decode("YWRtAHUAcA==", &p, bin, sizeof(bin)));
	ATF_CHECK_EQ(0, pop3_login_replay("USER", &p, "YWRtAHUAcA==", 12, out,
	    sizeof(out)));
	n = pop3_login_replay(DOVECOT, &p, "YWRtAHUAcA==", 12, out,
	    sizeof(out));
	ATF_CHECK_STREQ("AUTH PLAIN YWRtAHUAcA==\r\n", out);
	/* "u\0u\0p": the user's own identity is as good as none. */
	ATF_REQUIRE_EQ(0, decode("dQB1AHA=", &p, bin, sizeof(bin)));
	n = pop3_login_replay("USER", &p, "dQB1AHA=", 8, out, sizeof(out));
	ATF_CHECK_STREQ("USER u\r\nPASS p\r\n", out);
	/* "\0a b\0p": a name with a space is no USER argument. */
	ATF_REQUIRE_EQ(0, decode("AGEgYgBw", &p, bin, sizeof(bin)));
	ATF_CHECK_EQ(0, pop3_login_replay("USER", &p, "AGEgYgBw", 8, out,
	    sizeof(out)));
	n = pop3_login_replay(DOVECOT, &p, NULL, 0, out, sizeof(out));
	ATF_CHECK_STREQ("AUTH PLAIN AGEgYgBw\r\n", out);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, capa);
	ATF_TP_ADD_TC(tp, plain);
	ATF_TP_ADD_TC(tp, replay);
	return atf_no_error();
}
