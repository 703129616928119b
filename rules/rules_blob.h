/*
 * The compiled form of a rule set: one flat byte blob with no pointers,
 * so it can be stored as is and matched in place.  Every number is a
 * little-endian u32 unless said otherwise, read with memcpy (no
 * alignment is assumed).  Offsets are from the blob's start; a string
 * reference is an offset into the string table, where every string ends
 * with a NUL.
 *
 *	header		RB_HDR_SIZE bytes, the RB_H_* fields below
 *	keys		nkeys entries of RB_KEY_SIZE, sorted by
 *			(proto, table, k1, kind, k3), strings by strcmp
 *	rules		nrules entries of RB_RULE_SIZE, grouped by key,
 *			in source order within a key
 *	plist		u32 string references (respond's untagged lines)
 *	code		condition bytecode, postfix (RB_OP_*)
 *	strings		NUL-terminated strings
 */
#ifndef POSTERN_RULES_BLOB_H
#define POSTERN_RULES_BLOB_H

#include <endian.h>
#include <stdint.h>
#include <string.h>

#define RB_MAGIC	0x4c555250u	/* "PRUL" */
#define RB_VERSION	1u
#define RB_NONE		0xffffffffu	/* no string */

/* header fields: byte offsets of u32s */
#define RB_H_MAGIC	0
#define RB_H_VERSION	4
#define RB_H_SIZE	8
#define RB_H_NKEYS	12
#define RB_H_KEYS	16
#define RB_H_NRULES	20
#define RB_H_RULES	24
#define RB_H_NPLIST	28
#define RB_H_PLIST	32
#define RB_H_CODELEN	36
#define RB_H_CODE	40
#define RB_H_STRLEN	44
#define RB_H_STR	48
#define RB_H_FILE	52	/* string: the source's file name */
#define RB_HDR_SIZE	56

/* key entry: u8 proto, u8 table, u8 kind, u8 0, then u32s */
#define RB_K_PROTO	0
#define RB_K_TABLE	1
#define RB_K_KIND	2
#define RB_K_K1		4	/* string: command, capability, TLS */
#define RB_K_K3		8	/* string: response name, else "" */
#define RB_K_FIRST	12	/* first rule */
#define RB_K_COUNT	16	/* rules of the key */
#define RB_KEY_SIZE	20

/* rule entry: u8 action, u8 flags, u8 tls mode, u8 0, then u32s */
#define RB_R_ACTION	0
#define RB_R_FLAGS	1
#define RB_R_TLS	2
#define RB_R_LINE	4
#define RB_R_COL	8
#define RB_R_TEXT	12	/* string or RB_NONE */
#define RB_R_PLIST	16	/* first plist index */
#define RB_R_PCOUNT	20
#define RB_R_CODE	24	/* offset in the code section */
#define RB_R_CODELEN	28	/* 0: the rule always holds */
#define RB_RULE_SIZE	32

#define RB_RF_ARGS	0x01	/* reads arguments: not cacheable */

/*
 * Condition bytecode: each op pushes or combines booleans on a stack of
 * at most RB_STACK_MAX; a valid condition leaves exactly one.
 */
enum rb_op {
	RB_OP_TLS = 1,		/* */
	RB_OP_STATE = 2,	/* u8 state */
	RB_OP_USER = 3,		/* u32 glob */
	RB_OP_CLIENT4 = 4,	/* u8 prefix, 4 bytes */
	RB_OP_CLIENT6 = 5,	/* u8 prefix, 16 bytes */
	RB_OP_LISTENER = 6,	/* u32 name */
	RB_OP_PORT = 7,		/* u32 port */
	RB_OP_ARG = 8,		/* u32 n (1-based), u32 glob */
	RB_OP_MAILBOX = 9,	/* u32 glob */
	RB_OP_NOT = 10,
	RB_OP_AND = 11,
	RB_OP_OR = 12,
	RB_OP_ID = 13,		/* u32 field name, u32 glob */
	RB_OP_JA4 = 14,		/* u32 glob */
};
#define RB_STACK_MAX	32

static inline uint32_t
rb_get32(const unsigned char *p)
{
	uint32_t	v;

	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

static inline void
rb_put32(unsigned char *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, sizeof(v));
}

#endif
