/* Defaults of the IMAP engine limits; the configuration overrides them. */
#include "imap_limits.h"

void
imap_limits_default(struct imap_limits *l)
{
	l->cmd_line_max = IMAP_CMD_LINE_MAX;
	l->resp_line_max = IMAP_RESP_LINE_MAX;
	l->lit_append_max = IMAP_LIT_APPEND_MAX;
	l->lit_max = IMAP_LIT_MAX;
	l->cmd_depth_max = IMAP_CMD_DEPTH_MAX;
	l->resp_depth_max = IMAP_RESP_DEPTH_MAX;
	l->cmd_args_max = IMAP_CMD_ARGS_MAX;
	l->resp_args_max = IMAP_RESP_ARGS_MAX;
	l->inflight_max = IMAP_INFLIGHT_MAX;
}
