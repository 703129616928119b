/*
 * The examples of RFC 9051 sections 6 (commands) and 7 (responses),
 * typed in by hand, one string per direction and section.  The "C:" and
 * "S:" prefixes are gone and each line ends in CRLF.  Bytes a client sends
 * only after a "+" (a synchronizing literal) stay in the client string,
 * the "+" in the server string: each direction is its own byte stream.
 * Lines a client sends that are not commands (SASL responses, IDLE's
 * DONE) are in strings of their own, suffixed _raw, since the parser
 * reads them in raw mode.  Where the RFC breaks a base64 line "for
 * editorial clarity", the line is joined again.
 *
 * Editorial elisions of the RFC ("* 2 FETCH ....", "(...)") are kept as
 * written: they are still well-formed responses.  Literal counts are
 * exact; the test checks each one against the text it announces.
 */
#ifndef REGRESS_IMAP_RFC9051_EXAMPLES_H
#define REGRESS_IMAP_RFC9051_EXAMPLES_H

/* 6.1.1 CAPABILITY; the STARTTLS in the middle splits the client side. */
static const char rfc9051_611_c[] =
	"abcd CAPABILITY\r\n"
	"efgh STARTTLS\r\n";
static const char rfc9051_611_c_tls[] =
	"ijkl CAPABILITY\r\n";
static const char rfc9051_611_s[] =
	"* CAPABILITY IMAP4rev2 STARTTLS AUTH=GSSAPI LOGINDISABLED\r\n"
	"abcd OK CAPABILITY completed\r\n"
	"efgh OK STARTTLS completed\r\n";
static const char rfc9051_611_s_tls[] =
	"* CAPABILITY IMAP4rev2 AUTH=GSSAPI AUTH=PLAIN\r\n"
	"ijkl OK CAPABILITY completed\r\n";

/* 6.1.2 NOOP */
static const char rfc9051_612_c[] =
	"a002 NOOP\r\n"
	"a047 NOOP\r\n";
static const char rfc9051_612_s[] =
	"a002 OK NOOP completed\r\n"
	"* 22 EXPUNGE\r\n"
	"* 23 EXISTS\r\n"
	"* 14 FETCH (UID 1305 FLAGS (\\Seen \\Deleted))\r\n"
	"a047 OK NOOP completed\r\n";

/* 6.1.3 LOGOUT */
static const char rfc9051_613_c[] =
	"A023 LOGOUT\r\n";
static const char rfc9051_613_s[] =
	"* BYE IMAP4rev2 Server logging out\r\n"
	"A023 OK LOGOUT completed\r\n";

/* 6.2.1 STARTTLS, then SASL PLAIN with an initial response (SASL-IR). */
static const char rfc9051_621_c[] =
	"a001 CAPABILITY\r\n"
	"a002 STARTTLS\r\n";
static const char rfc9051_621_c_tls[] =
	"a003 CAPABILITY\r\n"
	"a004 AUTHENTICATE PLAIN dGVzdAB0ZXN0AHRlc3Q=\r\n";
static const char rfc9051_621_s[] =
	"* CAPABILITY IMAP4rev2 STARTTLS LOGINDISABLED\r\n"
	"a001 OK CAPABILITY completed\r\n"
	"a002 OK Begin TLS negotiation now\r\n";
static const char rfc9051_621_s_tls[] =
	"* CAPABILITY IMAP4rev2 AUTH=PLAIN\r\n"
	"a003 OK CAPABILITY completed\r\n"
	"a004 OK Success (tls protection)\r\n";

/*
 * 6.2.2 AUTHENTICATE GSSAPI: three client lines in raw mode, one empty.
 * The base64 is typed from the RFC's text; the parser does not decode it
 * (raw mode takes any printable line), so a slip there changes nothing.
 */
static const char rfc9051_622_c[] =
	"A001 AUTHENTICATE GSSAPI\r\n";
static const char rfc9051_622_c_raw[] =
	"YIIB+wYJKoZIhvcSAQICAQBuggHqMIIB5qADAgEFoQMCAQ6iBw"
	"MFACAAAACjggEmYYIBIjCCAR6gAwIBBaESGxB1Lndhc2hpbmd0"
	"b24uZWR1oi0wK6ADAgEDoSQwIhsEaW1hcBsac2hpdmFtcy5jYW"
	"MudWFzaGluZ3Rvbi5lZHWjgdMwgdCgAwIBAaEDAgEDooHDBIHA"
	"cS1GSa5b+fXnPZNmXB9SjL8Ollj2SKyb+3S0iXMljen/jNkpJX"
	"AleKTz6BQPzj8duz8EtoOuNfKgweViyn/9B9bccy1uuAE2HI0y"
	"C/PHXNNU9ZrBziJ8Lm0tTNc98kUpjXnHZhsMcz5Mx2GR6dGknb"
	"I0iaGcRerMUsWOuBmKKKRmVMMdR9T3EZdpqsBd7jZCNMWotjhi"
	"vd5zovQlFqQ2Wjc2+y46vKP/iXxWIuQJuDiisyXF0Y8+5GTpAL"
	"pHDc1/pIGmMIGjoAMCAQGigZsEgZg2on5mSuxoDHEA1w9bcW9n"
	"FdFxDKpdrQhVGVRDIzcCMCTzvUboqb5KjY1NJKJsfjRQiBCM+z"
	"RcrV8lVAaBnJ+XELgdQpx7cmO0ZBAG+IwSAyljdlwfbp8rZgs2"
	"c+TyXKiKlRUBZgEp8CUVWf4FrG5Ru5zq0r7yNT6ZJKj8OWm+Ir"
	"sY7SW6ZlwRmWbRBgwX8OOGJ9xHdy0A==\r\n"
	"\r\n"
	"YDMGCSqGSIb3EgECAgIBAAD/////3LQBHXTpFfZgrejpLlLImP"
	"wkhbfa2QteAQAgAG1yYwE=\r\n";
static const char rfc9051_622_s[] =
	"* OK IMAP4rev2 Server\r\n"
	"+ \r\n"
	"+ YGgGCSqGSIb3EgECAgIAb1kwV6ADAgEFoQMCAQ+iSzBJoAMC"
	"AQGiQgRAtHTEuOP2BXb9sBYFR4SJlDZxmg39IxmRBOhXRKdDA0"
	"uHTCOT9Bq3OsUTXUlk0CsFLoa8j+gvGDlgHuqzWHPSQg==\r\n"
	"+ YDMGCSqGSIb3EgECAgIBAAD/////6jcyG4GE3KkTzBeBiVHe"
	"ceP2CWY0SR0fAQAgAAQEBAQ=\r\n"
	"A001 OK GSSAPI authentication successful\r\n";

/* 6.2.3 LOGIN */
static const char rfc9051_623_c[] =
	"a001 LOGIN SMITH SESAME\r\n";
static const char rfc9051_623_s[] =
	"a001 OK LOGIN completed\r\n";

/* 6.3.1 ENABLE */
static const char rfc9051_631_c[] =
	"t1 CAPABILITY\r\n"
	"t2 ENABLE CONDSTORE X-GOOD-IDEA\r\n"
	"t3 CAPABILITY\r\n";
static const char rfc9051_631_s[] =
	"* CAPABILITY IMAP4rev2 ID LITERAL+ ENABLE X-GOOD-IDEA\r\n"
	"t1 OK foo\r\n"
	"* ENABLED X-GOOD-IDEA\r\n"
	"t2 OK foo\r\n"
	"* CAPABILITY IMAP4rev2 ID LITERAL+ ENABLE X-GOOD-IDEA\r\n"
	"t3 OK foo again\r\n";

/* 6.3.2 SELECT */
static const char rfc9051_632_c[] =
	"A142 SELECT INBOX\r\n";
static const char rfc9051_632_s[] =
	"* 172 EXISTS\r\n"
	"* OK [UIDVALIDITY 3857529045] UIDs valid\r\n"
	"* OK [UIDNEXT 4392] Predicted next UID\r\n"
	"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"
	"* OK [PERMANENTFLAGS (\\Deleted \\Seen \\*)] Limited\r\n"
	"* LIST () \"/\" INBOX\r\n"
	"A142 OK [READ-WRITE] SELECT completed\r\n";

/* 6.3.3 EXAMINE */
static const char rfc9051_633_c[] =
	"A932 EXAMINE blurdybloop\r\n";
static const char rfc9051_633_s[] =
	"* 17 EXISTS\r\n"
	"* OK [UIDVALIDITY 3857529045] UIDs valid\r\n"
	"* OK [UIDNEXT 4392] Predicted next UID\r\n"
	"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"
	"* OK [PERMANENTFLAGS ()] No permanent flags permitted\r\n"
	"* LIST () \".\" blurdybloop\r\n"
	"A932 OK [READ-ONLY] EXAMINE completed\r\n";

/* 6.3.4 CREATE */
static const char rfc9051_634_c[] =
	"A003 CREATE owatagusiam/\r\n"
	"A004 CREATE owatagusiam/blurdybloop\r\n";
static const char rfc9051_634_s[] =
	"A003 OK CREATE completed\r\n"
	"A004 OK CREATE completed\r\n";

/* 6.3.5 DELETE: two hierarchies, "/" and "." */
static const char rfc9051_635_c[] =
	"A682 LIST \"\" *\r\n"
	"A683 DELETE blurdybloop\r\n"
	"A684 DELETE foo\r\n"
	"A685 DELETE foo/bar\r\n"
	"A686 LIST \"\" *\r\n"
	"A687 DELETE foo\r\n"
	"A82 LIST \"\" *\r\n"
	"A83 DELETE blurdybloop\r\n"
	"A84 DELETE foo\r\n"
	"A85 LIST \"\" *\r\n"
	"A86 LIST \"\" %\r\n";
static const char rfc9051_635_s[] =
	"* LIST () \"/\" blurdybloop\r\n"
	"* LIST (\\Noselect) \"/\" foo\r\n"
	"* LIST () \"/\" foo/bar\r\n"
	"A682 OK LIST completed\r\n"
	"A683 OK DELETE completed\r\n"
	"A684 NO Name \"foo\" has inferior hierarchical names\r\n"
	"A685 OK DELETE Completed\r\n"
	"* LIST (\\Noselect) \"/\" foo\r\n"
	"A686 OK LIST completed\r\n"
	"A687 OK DELETE Completed\r\n"
	"* LIST () \".\" blurdybloop\r\n"
	"* LIST () \".\" foo\r\n"
	"* LIST () \".\" foo.bar\r\n"
	"A82 OK LIST completed\r\n"
	"A83 OK DELETE completed\r\n"
	"A84 OK DELETE Completed\r\n"
	"* LIST () \".\" foo.bar\r\n"
	"A85 OK LIST completed\r\n"
	"* LIST (\\Noselect) \".\" foo\r\n"
	"A86 OK LIST completed\r\n";

/* 6.3.6 RENAME: ordinary, and INBOX (which stays, emptied) */
static const char rfc9051_636_c[] =
	"A682 LIST \"\" *\r\n"
	"A683 RENAME blurdybloop sarasoop\r\n"
	"A684 RENAME foo zowie\r\n"
	"A685 LIST \"\" *\r\n"
	"Z432 LIST \"\" *\r\n"
	"Z433 RENAME INBOX old-mail\r\n"
	"Z434 LIST \"\" *\r\n";
static const char rfc9051_636_s[] =
	"* LIST () \"/\" blurdybloop\r\n"
	"* LIST (\\Noselect) \"/\" foo\r\n"
	"* LIST () \"/\" foo/bar\r\n"
	"A682 OK LIST completed\r\n"
	"A683 OK RENAME completed\r\n"
	"A684 OK RENAME Completed\r\n"
	"* LIST () \"/\" sarasoop\r\n"
	"* LIST (\\Noselect) \"/\" zowie\r\n"
	"* LIST () \"/\" zowie/bar\r\n"
	"A685 OK LIST completed\r\n"
	"* LIST () \".\" INBOX\r\n"
	"* LIST () \".\" INBOX.bar\r\n"
	"Z432 OK LIST completed\r\n"
	"Z433 OK RENAME completed\r\n"
	"* LIST () \".\" INBOX\r\n"
	"* LIST () \".\" INBOX.bar\r\n"
	"* LIST () \".\" old-mail\r\n"
	"Z434 OK LIST completed\r\n";

/* 6.3.7 SUBSCRIBE and 6.3.8 UNSUBSCRIBE */
static const char rfc9051_637_c[] =
	"A002 SUBSCRIBE #news.comp.mail.mime\r\n";
static const char rfc9051_637_s[] =
	"A002 OK SUBSCRIBE completed\r\n";
static const char rfc9051_638_c[] =
	"A002 UNSUBSCRIBE #news.comp.mail.mime\r\n";
static const char rfc9051_638_s[] =
	"A002 OK UNSUBSCRIBE completed\r\n";

/* 6.3.9 LIST: the basic examples (reference and empty pattern). */
static const char rfc9051_639_c[] =
	"A101 LIST \"\" \"\"\r\n"
	"A102 LIST #news.comp.mail.misc \"\"\r\n"
	"A103 LIST /usr/staff/jones \"\"\r\n"
	"A202 LIST ~/Mail/ %\r\n";
static const char rfc9051_639_s[] =
	"* LIST (\\Noselect) \"/\" \"\"\r\n"
	"A101 OK LIST Completed\r\n"
	"* LIST (\\Noselect) \".\" #news.\r\n"
	"A102 OK LIST Completed\r\n"
	"* LIST (\\Noselect) \"/\" /\r\n"
	"A103 OK LIST Completed\r\n"
	"* LIST (\\Noselect) \"/\" ~/Mail/foo\r\n"
	"* LIST () \"/\" ~/Mail/meetings\r\n"
	"A202 OK LIST completed\r\n";

/*
 * 6.3.9 LIST-EXTENDED: selection and return options, CHILDINFO, several
 * patterns, RETURN (STATUS ...), and the OLDNAME extended data item.
 */
static const char rfc9051_639x_c[] =
	"A01 LIST \"\" \"*\"\r\n"
	"A02 LIST (SUBSCRIBED) \"\" \"*\"\r\n"
	"A03 LIST () \"\" \"%\" RETURN (CHILDREN)\r\n"
	"A04 LIST () \"\" \"%\" RETURN (CHILDREN)\r\n"
	"A05 LIST (REMOTE) \"\" \"%\" RETURN (CHILDREN)\r\n"
	"A06 LIST (SUBSCRIBED RECURSIVEMATCH) \"\" \"%\"\r\n"
	"A07 LIST (SUBSCRIBED RECURSIVEMATCH) \"\" \"%\" RETURN (CHILDREN)\r\n"
	"A10 LIST \"\" (\"INBOX\" \"Drafts\" \"Sent/%\")\r\n"
	"A11 LIST \"\" % RETURN (STATUS (MESSAGES UNSEEN))\r\n"
	"A12 LIST \"\" \"NewName\"\r\n";
static const char rfc9051_639x_s[] =
	"* LIST (\\Marked \\NoInferiors) \"/\" \"inbox\"\r\n"
	"* LIST () \"/\" \"Fruit\"\r\n"
	"* LIST () \"/\" \"Fruit/Apple\"\r\n"
	"* LIST () \"/\" \"Fruit/Banana\"\r\n"
	"* LIST () \"/\" \"Tofu\"\r\n"
	"* LIST () \"/\" \"Vegetable\"\r\n"
	"* LIST () \"/\" \"Vegetable/Broccoli\"\r\n"
	"* LIST () \"/\" \"Vegetable/Corn\"\r\n"
	"A01 OK done\r\n"
	"* LIST (\\Marked \\NoInferiors \\Subscribed) \"/\" \"inbox\"\r\n"
	"* LIST (\\Subscribed) \"/\" \"Fruit/Banana\"\r\n"
	"* LIST (\\Subscribed \\NonExistent) \"/\" \"Fruit/Peach\"\r\n"
	"* LIST (\\Subscribed) \"/\" \"Vegetable\"\r\n"
	"* LIST (\\Subscribed) \"/\" \"Vegetable/Broccoli\"\r\n"
	"A02 OK done\r\n"
	"* LIST (\\Marked \\NoInferiors) \"/\" \"inbox\"\r\n"
	"* LIST (\\HasChildren) \"/\" \"Fruit\"\r\n"
	"* LIST (\\HasNoChildren) \"/\" \"Tofu\"\r\n"
	"* LIST (\\HasChildren) \"/\" \"Vegetable\"\r\n"
	"A03 OK done\r\n"
	"* LIST (\\Marked \\NoInferiors) \"/\" \"inbox\"\r\n"
	"* LIST (\\NonExistent \\HasChildren) \"/\" \"Fruit\"\r\n"
	"* LIST (\\HasNoChildren) \"/\" \"Tofu\"\r\n"
	"* LIST (\\HasChildren) \"/\" \"Vegetable\"\r\n"
	"A04 OK done\r\n"
	"* LIST (\\Marked \\NoInferiors) \"/\" \"inbox\"\r\n"
	"* LIST (\\HasChildren) \"/\" \"Fruit\"\r\n"
	"* LIST (\\HasNoChildren) \"/\" \"Tofu\"\r\n"
	"* LIST (\\HasChildren) \"/\" \"Vegetable\"\r\n"
	"* LIST (\\Remote) \"/\" \"Bread\"\r\n"
	"* LIST (\\HasChildren \\Remote) \"/\" \"Meat\"\r\n"
	"A05 OK done\r\n"
	"* LIST (\\Marked \\NoInferiors \\Subscribed) \"/\" \"inbox\"\r\n"
	"* LIST () \"/\" \"Fruit\" (\"CHILDINFO\" (\"SUBSCRIBED\"))\r\n"
	"* LIST (\\Subscribed) \"/\" \"Vegetable\" "
	"(\"CHILDINFO\" (\"SUBSCRIBED\"))\r\n"
	"A06 OK done\r\n"
	"* LIST (\\Marked \\NoInferiors \\Subscribed) \"/\" \"inbox\"\r\n"
	"* LIST (\\HasChildren) \"/\" \"Fruit\" "
	"(\"CHILDINFO\" (\"SUBSCRIBED\"))\r\n"
	"* LIST (\\Subscribed \\HasChildren) \"/\" \"Vegetable\" "
	"(\"CHILDINFO\" (\"SUBSCRIBED\"))\r\n"
	"A07 OK done\r\n"
	"* LIST () \"/\" \"INBOX\"\r\n"
	"* LIST (\\Drafts) \"/\" \"Drafts\"\r\n"
	"* LIST () \"/\" \"Sent/March2004\"\r\n"
	"* LIST (\\Marked) \"/\" \"Sent/December2003\"\r\n"
	"* LIST () \"/\" \"Sent/August2004\"\r\n"
	"A10 OK done\r\n"
	"* LIST () \".\" \"INBOX\"\r\n"
	"* STATUS \"INBOX\" (MESSAGES 17 UNSEEN 16)\r\n"
	"* LIST () \".\" \"foo\"\r\n"
	"* STATUS \"foo\" (MESSAGES 30 UNSEEN 29)\r\n"
	"* LIST (\\NoSelect) \".\" \"bar\"\r\n"
	"A11 OK List completed.\r\n"
	"* LIST () \"/\" \"NewName\" (\"OLDNAME\" (\"OldName\"))\r\n"
	"A12 OK done\r\n";

/* 6.3.10 NAMESPACE: the nine server configurations. */
static const char rfc9051_6310_c[] =
	"A001 NAMESPACE\r\n"
	"A002 CREATE INBOX.Archive\r\n";
static const char rfc9051_6310_s[] =
	"* NAMESPACE ((\"\" \"/\")) NIL NIL\r\n"
	"A001 OK NAMESPACE command completed\r\n"
	"* NAMESPACE NIL NIL ((\"\" \".\"))\r\n"
	"A001 OK NAMESPACE command completed\r\n"
	"* NAMESPACE ((\"\" \"/\")) NIL ((\"Public Folders/\" \"/\"))\r\n"
	"A001 OK NAMESPACE command completed\r\n"
	"* NAMESPACE ((\"\" \"/\")(\"#mh/\" \"/\" \"X-PARAM\" "
	"(\"FLAG1\" \"FLAG2\"))) NIL NIL\r\n"
	"A001 OK NAMESPACE command completed\r\n"
	"* NAMESPACE ((\"\" \"/\")) ((\"~\" \"/\")) ((\"#shared/\" \"/\")"
	"(\"#public/\" \"/\")(\"#ftp/\" \"/\")(\"#news.\" \".\"))\r\n"
	"A001 OK NAMESPACE command completed\r\n"
	"* NAMESPACE ((\"INBOX.\" \".\")) NIL  NIL\r\n"
	"A001 OK NAMESPACE command completed\r\n"
	"A002 OK CREATE command completed\r\n"
	"* NAMESPACE ((\"\" \"/\")) ((\"Other Users/\" \"/\")) NIL\r\n"
	"A001 OK NAMESPACE command completed\r\n"
	"* NAMESPACE ((\"\" \"/\")) ((\"#Users/\" \"/\")) NIL\r\n"
	"A001 OK NAMESPACE command completed\r\n"
	"* NAMESPACE ((\"\" \"/\")) ((\"~\" \"/\")) NIL\r\n"
	"A001 OK NAMESPACE command completed\r\n";

/* 6.3.11 STATUS */
static const char rfc9051_6311_c[] =
	"A042 STATUS blurdybloop (UIDNEXT MESSAGES)\r\n";
static const char rfc9051_6311_s[] =
	"* STATUS blurdybloop (MESSAGES 231 UIDNEXT 44292)\r\n"
	"A042 OK STATUS completed\r\n";

/* 6.3.12 APPEND: the message is the {326} literal. */
#define RFC9051_APPEND_MSG						\
	"Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)\r\n"		\
	"From: Fred Foobar <foobar@Blurdybloop.example>\r\n"		\
	"Subject: afternoon meeting\r\n"				\
	"To: mooch@owatagu.siam.edu.example\r\n"			\
	"Message-Id: <B27397-0100000@Blurdybloop.example>\r\n"		\
	"MIME-Version: 1.0\r\n"						\
	"Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n"		\
	"\r\n"								\
	"Hello Joe, do you think we can meet at 3:30 tomorrow?\r\n"
#define RFC9051_APPEND_LEN	326
static const char rfc9051_6312_c[] =
	"A003 APPEND saved-messages (\\Seen) {326}\r\n"
	RFC9051_APPEND_MSG
	"\r\n";
static const char rfc9051_6312_s[] =
	"+ Ready for literal data\r\n"
	"A003 OK APPEND completed\r\n";

/*
 * 6.3.13 IDLE.  The RFC's "(...)" is kept; DONE is a raw line, so the
 * client side is four pieces.
 */
static const char rfc9051_6313_c1[] =
	"A001 SELECT INBOX\r\n"
	"A002 IDLE\r\n";
static const char rfc9051_6313_c2[] =
	"A003 FETCH 4 ALL\r\n"
	"A004 IDLE\r\n";
static const char rfc9051_6313_c_raw[] =
	"DONE\r\n";
static const char rfc9051_6313_s[] =
	"* FLAGS (\\Deleted \\Seen \\Flagged)\r\n"
	"* OK [PERMANENTFLAGS (\\Deleted \\Seen \\Flagged)] Limited\r\n"
	"* 3 EXISTS\r\n"
	"* OK [UIDVALIDITY 1] UIDs valid\r\n"
	"* LIST () \"/\" INBOX\r\n"
	"A001 OK [READ-WRITE] SELECT completed\r\n"
	"+ idling\r\n"
	"* 4 EXISTS\r\n"
	"A002 OK IDLE terminated\r\n"
	"* 4 FETCH (...)\r\n"
	"A003 OK FETCH completed\r\n"
	"* 2 EXPUNGE\r\n"
	"* 3 EXISTS\r\n"
	"+ idling\r\n"
	"* 3 EXPUNGE\r\n"
	"* 2 EXISTS\r\n"
	"* 3 EXISTS\r\n"
	"A004 OK IDLE terminated\r\n";

/* 6.4.1 CLOSE, 6.4.2 UNSELECT */
static const char rfc9051_641_c[] =
	"A341 CLOSE\r\n";
static const char rfc9051_641_s[] =
	"A341 OK CLOSE completed\r\n";
static const char rfc9051_642_c[] =
	"A342 UNSELECT\r\n";
static const char rfc9051_642_s[] =
	"A342 OK Unselect completed\r\n";

/* 6.4.3 EXPUNGE */
static const char rfc9051_643_c[] =
	"A202 EXPUNGE\r\n";
static const char rfc9051_643_s[] =
	"* 3 EXPUNGE\r\n"
	"* 3 EXPUNGE\r\n"
	"* 5 EXPUNGE\r\n"
	"* 8 EXPUNGE\r\n"
	"A202 OK EXPUNGE completed\r\n";

/*
 * 6.4.4 SEARCH with ESEARCH results; the UTF-8 search string is
 * "отпуск", 6 Cyrillic letters of 2 octets: {12}, then {12+}.
 */
#define RFC9051_OTPUSK	"\xd0\xbe\xd1\x82\xd0\xbf\xd1\x83\xd1\x81\xd0\xba"
static const char rfc9051_644_c[] =
	"A282 SEARCH RETURN (MIN COUNT) FLAGGED SINCE 1-Feb-1994 "
	"NOT FROM \"Smith\"\r\n"
	"A283 SEARCH RETURN () FLAGGED SINCE 1-Feb-1994 NOT FROM \"Smith\"\r\n"
	"A284 SEARCH TEXT \"string not in mailbox\"\r\n"
	"A285 SEARCH CHARSET UTF-8 TEXT {12}\r\n"
	RFC9051_OTPUSK "\r\n"
	"A286 SEARCH CHARSET UTF-8 TEXT {12+}\r\n"
	RFC9051_OTPUSK "\r\n"
	/* SAVE and "$": the commands are the RFC's, the answers ours */
	"A301 SEARCH RETURN (SAVE) SINCE 1-Jan-2004 NOT FROM \"Smith\"\r\n"
	"A302 UID SEARCH UID $ SMALLER 4096\r\n"
	"A303 UID FETCH $ (UID FLAGS)\r\n"
	"A304 UID SEARCH RETURN (MIN MAX) 1:5000\r\n";
static const char rfc9051_644_s[] =
	"* ESEARCH (TAG \"A282\") MIN 2 COUNT 3\r\n"
	"A282 OK SEARCH completed\r\n"
	"* ESEARCH (TAG \"A283\") ALL 2,10:11\r\n"
	"A283 OK SEARCH completed\r\n"
	"* ESEARCH (TAG \"A284\")\r\n"
	"A284 OK SEARCH completed\r\n"
	"+ Ready for literal text\r\n"
	"* ESEARCH (TAG \"A285\") ALL 43\r\n"
	"A285 OK SEARCH completed\r\n"
	"* ESEARCH (TAG \"A286\") ALL 43\r\n"
	"A286 OK SEARCH completed\r\n"
	"A301 OK SEARCH completed, result saved\r\n"
	"* ESEARCH (TAG \"A302\") UID ALL 17,900,901\r\n"
	"A302 OK SEARCH completed\r\n"
	"* 3 FETCH (UID 17 FLAGS (\\Seen))\r\n"
	"A303 OK UID FETCH completed\r\n"
	"* ESEARCH (TAG \"A304\") UID MIN 7 MAX 3800\r\n"
	"A304 OK SEARCH completed\r\n";

/* 6.4.5 FETCH: the RFC elides the data as "....". */
static const char rfc9051_645_c[] =
	"A654 FETCH 2:4 (FLAGS BODY[HEADER.FIELDS (DATE FROM)])\r\n";
static const char rfc9051_645_s[] =
	"* 2 FETCH ....\r\n"
	"* 3 FETCH ....\r\n"
	"* 4 FETCH ....\r\n"
	"A654 OK FETCH completed\r\n";

/* 6.4.6 STORE */
static const char rfc9051_646_c[] =
	"A003 STORE 2:4 +FLAGS (\\Deleted)\r\n";
static const char rfc9051_646_s[] =
	"* 2 FETCH (FLAGS (\\Deleted \\Seen))\r\n"
	"* 3 FETCH (FLAGS (\\Deleted))\r\n"
	"* 4 FETCH (FLAGS (\\Deleted \\Flagged \\Seen))\r\n"
	"A003 OK STORE completed\r\n";

/* 6.4.7 COPY, 6.4.8 MOVE */
static const char rfc9051_647_c[] =
	"A003 COPY 2:4 MEETING\r\n";
static const char rfc9051_647_s[] =
	"A003 OK [COPYUID 38505 304,319:320 3956:3958] Done\r\n";
static const char rfc9051_648_c[] =
	"a UID MOVE 42:69 foo\r\n";
static const char rfc9051_648_s[] =
	"* OK [COPYUID 432432 42:69 1202:1229]\r\n"
	"* 22 EXPUNGE\r\n"
	"a OK Done\r\n";

/* 6.4.9 UID: FETCH and EXPUNGE */
static const char rfc9051_649_c[] =
	"A999 UID FETCH 4827313:4828442 FLAGS\r\n"
	"A003 UID EXPUNGE 3000:3002\r\n";
static const char rfc9051_649_s[] =
	"* 23 FETCH (FLAGS (\\Seen) UID 4827313)\r\n"
	"* 24 FETCH (FLAGS (\\Seen) UID 4827943)\r\n"
	"* 25 FETCH (FLAGS (\\Seen) UID 4828442)\r\n"
	"A999 OK UID FETCH completed\r\n"
	"* 3 EXPUNGE\r\n"
	"* 3 EXPUNGE\r\n"
	"* 3 EXPUNGE\r\n"
	"A003 OK UID EXPUNGE completed\r\n";

/* 7.1.1 OK .. 7.1.5 BYE: status responses without codes but ALERT. */
static const char rfc9051_71_c[] =
	"A001 LOGIN fred blurdybloop\r\n"
	"A222 COPY 1:2 owatagusiam\r\n"
	"A223 COPY 3:200 blurdybloop\r\n"
	"A443 EXPUNGE\r\n";
static const char rfc9051_71_s[] =
	"* OK IMAP4rev2 server ready\r\n"
	"* OK [ALERT] System shutdown in 10 minutes\r\n"
	"A001 OK LOGIN Completed\r\n"
	"* NO Disk is 98% full, please delete unnecessary data\r\n"
	"A222 OK COPY completed\r\n"
	"* NO Disk is 98% full, please delete unnecessary data\r\n"
	"* NO Disk is 99% full, please delete unnecessary data\r\n"
	"A223 NO COPY failed: disk is full\r\n"
	"* BAD Command line too long\r\n"
	"* BAD Empty command line\r\n"
	"* BAD Disk crash, attempting salvage to a new disk!\r\n"
	"* OK Salvage successful, no data lost\r\n"
	"A443 OK Expunge completed\r\n"
	"* PREAUTH IMAP4rev2 server logged in as Smith\r\n"
	"* BYE Autologout; idle for too long\r\n";

/*
 * 7.1 response codes: the examples given with ALREADYEXISTS ..
 * UNAVAILABLE, then codes met in other sections' examples.
 */
static const char rfc9051_71codes_c[] =
	"o356 RENAME this that\r\n"
	"b LOGIN \"fred\" \"foo\"\r\n"
	"c1 AUTHENTICATE PLAIN\r\n"
	"l create \"///////\"\r\n"
	"k1 select \"/archive/projects/experiment-iv\"\r\n"
	"k2 status \"/archive/projects/experiment-iv\" (messages)\r\n"
	"e login \"fred\" \"foo\"\r\n"
	"i select \"/archive/projects/experiment-iv\"\r\n"
	"d login \"fred\" \"foo\"\r\n"
	"h search from fred@example.com\r\n"
	"o356 DELETE Notes\r\n"
	"g1 DELETE \"/archive/projects/experiment-iv\"\r\n"
	"m STORE 1:* keywords abc\r\n"
	"o356 SELECT \"/archive/projects/experiment-iv\"\r\n"
	"f select \"/archive/projects/experiment-iv\"\r\n"
	"n1 uid copy 1:* oldmail\r\n"
	"n2 uid copy 1:* oldmail\r\n"
	"j select \"/archive/projects/experiment-iv\"\r\n"
	"a LOGIN \"fred\" \"foo\"\r\n";
static const char rfc9051_71codes_s[] =
	"o356 NO [ALREADYEXISTS] Mailbox \"that\" already exists\r\n"
	"A003 OK [APPENDUID 38505 3955] APPEND completed\r\n"
	"b NO [AUTHENTICATIONFAILED] Authentication failed\r\n"
	"c1 NO [AUTHORIZATIONFAILED] No such authorization-ID\r\n"
	"l NO [CANNOT] Adjacent slashes are not supported\r\n"
	"k1 OK [READ-ONLY] Done\r\n"
	"k2 OK [CLIENTBUG] Done\r\n"
	"e OK [CONTACTADMIN]\r\n"
	"A004 OK [COPYUID 38505 304,319:320 3956:3958] Done\r\n"
	"i NO [CORRUPTION] Cannot open mailbox\r\n"
	"d NO [EXPIRED] That password isn't valid any more\r\n"
	"* ESEARCH (TAG \"h\") ALL 1:3,5,8,13,21,42\r\n"
	"h OK [EXPUNGEISSUED] Search completed\r\n"
	"o356 NO [HASCHILDREN] Mailbox \"Notes\" has children that "
	"need to be deleted first\r\n"
	"g1 NO [INUSE] Mailbox in use\r\n"
	"m NO [LIMIT] At most 32 keywords in a mailbox\r\n"
	"o356 NO [NONEXISTENT] No such mailbox\r\n"
	"f NO [NOPERM] Access denied\r\n"
	"n1 NO [OVERQUOTA] Sorry\r\n"
	"n2 OK [OVERQUOTA] You are now over your soft quota\r\n"
	"d NO [PRIVACYREQUIRED] Connection offers no privacy\r\n"
	"j NO [SERVERBUG] This is not supposed to happen\r\n"
	"a NO [UNAVAILABLE] User's backend down for maintenance\r\n"
	"* OK [UIDNEXT 4392] Predicted next UID\r\n"
	"* OK [UIDVALIDITY 3857529045] UIDs valid\r\n"
	"* OK [PERMANENTFLAGS (\\Deleted \\Seen \\*)] Limited\r\n"
	"A142 OK [READ-WRITE] SELECT completed\r\n"
	"* OK [CAPABILITY IMAP4rev2 STARTTLS AUTH=SCRAM-SHA-256 "
	"LOGINDISABLED] IMAP4rev2 Service Ready\r\n";

/*
 * Codes section 7.1 describes without an example line of its own; the
 * code and its arguments follow the grammar, the text is ours.
 */
static const char rfc9051_71codes_x_s[] =
	"A003 NO [TRYCREATE] Mailbox doesn't exist\r\n"
	"* OK [CLOSED] Previous mailbox closed\r\n"
	"* NO [BADCHARSET (UTF-8)] charset not supported\r\n"
	"* OK [PARSE] Header parsing failed\r\n"
	"A005 OK [UIDNOTSTICKY] Non-persistent UIDs\r\n";

/* 7.2 CAPABILITY and ENABLED */
static const char rfc9051_72_s[] =
	"* CAPABILITY IMAP4rev2 STARTTLS AUTH=GSSAPI XPIG-LATIN\r\n"
	"* ENABLED X-GOOD-IDEA\r\n"
	"* ENABLED\r\n";

/* 7.3 ESEARCH, FLAGS, LIST, NAMESPACE, STATUS */
static const char rfc9051_73_s[] =
	"* ESEARCH UID COUNT 17 ALL 4:18,21,28\r\n"
	"* ESEARCH (TAG \"a567\") UID COUNT 17 ALL 4:18,21,28\r\n"
	"* ESEARCH COUNT 18 ALL 1:17,21\r\n"
	"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"
	"* LIST (\\Noselect) \"/\" ~/Mail/foo\r\n"
	"* LIST (\\Noselect) \".\" #news.\r\n"
	"* LIST () NIL inbox\r\n"
	"* LIST () \"/\" \"NewName\" (\"OLDNAME\" (\"OldName\"))\r\n"
	"* NAMESPACE ((\"\" \"/\")) ((\"~\" \"/\")) NIL\r\n"
	"* STATUS blurdybloop (MESSAGES 231 UIDNEXT 44292)\r\n";

/* 7.4 EXISTS and EXPUNGE */
static const char rfc9051_74_s[] =
	"* 23 EXISTS\r\n"
	"* 44 EXPUNGE\r\n";

/*
 * 7.5 FETCH.  The first line is the RFC's; the second returns the
 * message of 6.3.12 as BODY[] (a literal), the third as BINARY[] in a
 * literal8, the form RFC 9051 gives for BINARY.
 */
static const char rfc9051_75_s[] =
	"* 23 FETCH (FLAGS (\\Seen) RFC822.SIZE 44827)\r\n"
	"* 24 FETCH (UID 4827943 RFC822.SIZE 326 BODY[] {326}\r\n"
	RFC9051_APPEND_MSG
	")\r\n"
	"* 24 FETCH (BINARY[] ~{326}\r\n"
	RFC9051_APPEND_MSG
	" BINARY.SIZE[] 326)\r\n";

/* 7.6 continuation: LOGIN in literals, then a refused literal. */
static const char rfc9051_76_c[] =
	"A001 LOGIN {11}\r\n"
	"FRED FOOBAR {7}\r\n"
	"fat man\r\n";
static const char rfc9051_76_c_refused[] =
	"A044 BLURDYBLOOP {102856}\r\n";
static const char rfc9051_76_s[] =
	"+ Ready for additional command text\r\n"
	"+ Ready for additional command text\r\n"
	"A001 OK LOGIN completed\r\n"
	"A044 BAD No such command as \"BLURDYBLOOP\"\r\n";

#endif
